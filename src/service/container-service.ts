/**
 * The service: one actor per container, commands serialized per container,
 * every change made durable before it is answered. It owns no rules (the
 * machine does) and no I/O of its own (the journal and the runtime do).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createActor, fromPromise, type Actor } from "xstate";
import type { ContainerRuntime, ImageInfo, LogLine } from "../effects/types.js";
import {
  CtrRemovedError,
  errorFromWire,
  InternalError,
  InvalidArgError,
  NameInUseError,
  NoSuchCtrError,
  NoSuchImageError,
} from "../errors.js";
import { envelope, type CloudEvent } from "../events/index.js";
import {
  applyFacts,
  committed,
  containerMachine,
  evolve,
  fact,
  rejection,
  type CommandBody,
  type CreateData,
  type ContainerCommand,
  type ContainerRecord,
  type PersistInput,
  type PersistOutput,
  type RequestMeta,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { runtimeEffects, type ExitWaiter } from "./runtime-effects.js";
import { SerialQueue } from "./serial-queue.js";
import { containerName, restartPolicy, seconds, signalName } from "./validate.js";

/** What `create` needs; defaults follow Podman. */
export interface CreateOptions {
  image: string;
  command: string[];
  name?: string;
  stopSignal?: string;
  stopTimeout?: number;
  /** Allocate a terminal (create -t). */
  terminal?: boolean;
  /** Keep stdin open (create -i). */
  stdin?: boolean;
  /** no, always, unless-stopped or on-failure[:N]. */
  restart?: string;
  /** Containers (id, prefix or name) that must be running before this one starts. */
  requires?: string[];
}

export interface ServiceDeps {
  host: string;
  journal: Journal;
  runtime: ContainerRuntime;
  exits: ExitWaiter & {
    onExit(
      listener: (
        id: string,
        exit: { exitCode: number; exitedAt: string; oomKilled: boolean },
      ) => void,
    ): () => void;
  };
}

type ContainerActor = Actor<ReturnType<typeof provideMachine>>;

interface Entry {
  actor: ContainerActor;
  queue: SerialQueue;
}

/** The runtime, not a user, is the actor of facts it reports. */
const RUNTIME_META = (): RequestMeta => ({ actor: "runtime:conmon", requestId: randomUUID() });

function provideMachine(deps: ServiceDeps) {
  return containerMachine.provide({
    actors: {
      ...runtimeEffects(deps.runtime, deps.exits),
      persist: fromPromise<PersistOutput, PersistInput>(async ({ input }) => {
        const at = {
          id: input.record.id,
          time: new Date().toISOString(),
          version: input.record.version + 1,
        };
        await deps.journal.append({
          stream: at.id,
          expectedVersion: input.record.version,
          events: input.facts.map((f) =>
            envelope(f, { host: deps.host, subject: at.id, time: at.time, meta: input.meta }),
          ),
          projection: applyFacts(input.record, input.facts, at),
        });
        return at;
      }),
    },
  });
}

export class ContainerService {
  private readonly entries = new Map<string, Entry>();
  /** Removed containers: their history and exit code stay answerable by id. */
  private readonly tombstones = new Map<string, ContainerRecord>();
  private readonly reservedNames = new Set<string>();
  private readonly machine: ReturnType<typeof provideMachine>;
  private readonly stopWatching: () => void;

  private constructor(private readonly deps: ServiceDeps) {
    this.machine = provideMachine(deps);
    this.stopWatching = deps.exits.onExit((id, exit) => {
      const entry = this.entries.get(id);
      if (entry) void this.observe(entry, { type: "EXITED", exit, meta: RUNTIME_META() });
    });
  }

  /** Restores every container from its projection without running an effect. */
  static async open(deps: ServiceDeps): Promise<ContainerService> {
    const service = new ContainerService(deps);
    for (const raw of await deps.journal.projections()) {
      const record = raw as ContainerRecord;
      if (record.state === "removed") service.tombstones.set(record.id, record);
      else service.spawn(record);
    }
    return service;
  }

  async close(): Promise<void> {
    this.stopWatching();
    await Promise.all([...this.entries.values()].map((e) => e.queue.run(() => Promise.resolve())));
    for (const e of this.entries.values()) e.actor.stop();
  }

  importImage(tarPath: string, name: string): Promise<ImageInfo> {
    return this.deps.runtime.importImage(tarPath, name);
  }

  /** Records a new container (state configured); nothing runs yet. */
  async create(options: CreateOptions, meta: RequestMeta): Promise<ContainerRecord> {
    const id = randomBytes(32).toString("hex");
    const name = containerName(options.name ?? `berth_${id.slice(0, 12)}`);
    const stopSignal = signalName(options.stopSignal ?? "SIGTERM");
    const stopTimeout = seconds(options.stopTimeout ?? 10, "stop timeout");
    if (options.command.length === 0)
      throw new InvalidArgError("a container needs a command to run");
    if (this.nameTaken(name))
      throw new NameInUseError(`the container name "${name}" is already in use`);
    this.reservedNames.add(name);
    try {
      if (!(await this.deps.runtime.getImage(options.image))) {
        throw new NoSuchImageError(`image ${options.image} not found: import it first`);
      }
      const data: CreateData = {
        name,
        image: options.image,
        command: options.command,
        stopSignal,
        stopTimeout,
        terminal: options.terminal ?? false,
        stdin: options.stdin ?? false,
        restartPolicy: restartPolicy(options.restart),
        requires: (options.requires ?? []).map((ref) => this.inspect(ref).id),
      };
      const created = fact("create", data);
      const time = new Date().toISOString();
      const record = evolve(undefined, created, { id, time, version: 1 });
      await this.deps.journal.append({
        stream: id,
        expectedVersion: 0,
        events: [envelope(created, { host: this.deps.host, subject: id, time, meta })],
        projection: record,
      });
      this.spawn(record);
      return record;
    } finally {
      this.reservedNames.delete(name);
    }
  }

  /**
   * Runs one command on a container and answers once its facts are durable.
   * A command the seed forbids in the current state fails with the seed's error.
   */
  command(ref: string, body: CommandBody, meta: RequestMeta): Promise<ContainerRecord> {
    const entry = this.entry(ref);
    const command = { ...body, meta };
    return entry.queue.run(async () => {
      const before = entry.actor.getSnapshot().context.record;
      const refused = rejection(
        before,
        command.type,
        command.type === "REMOVE" ? { force: command.force } : {},
      );
      if (refused) throw refused;
      const done = await this.send(entry, command);
      if (done.error) throw errorFromWire(done.error);
      if (done.record.state === "removed") this.bury(done.record);
      return done.record;
    });
  }

  /** Resolves with the exit code once the container has stopped (Podman's wait). */
  async wait(ref: string): Promise<number> {
    const tomb = this.tombstone(ref);
    if (tomb) return exitCodeOf(tomb);
    const entry = this.entry(ref);
    return new Promise<number>((resolve) => {
      const check = (record: ContainerRecord) => {
        if (
          ["stopped", "exited", "removed"].includes(record.state) &&
          record.exitCode !== undefined
        ) {
          sub.unsubscribe();
          resolve(record.exitCode);
          return true;
        }
        return false;
      };
      const sub = entry.actor.subscribe((s) => {
        if (s.hasTag("settled")) check(s.context.record);
      });
      check(entry.actor.getSnapshot().context.record);
    });
  }

  list(all: boolean): ContainerRecord[] {
    return [...this.entries.values()]
      .map((e) => e.actor.getSnapshot().context.record)
      .filter((r) => all || r.state === "running" || r.state === "paused")
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  inspect(ref: string): ContainerRecord {
    return this.tombstone(ref) ?? this.entry(ref).actor.getSnapshot().context.record;
  }

  logs(ref: string): Promise<LogLine[]> {
    return this.deps.runtime.readLogs(this.inspect(ref).id);
  }

  history(ref: string): Promise<CloudEvent[]> {
    return this.deps.journal.readStream(this.inspect(ref).id);
  }

  private spawn(record: ContainerRecord): Entry {
    const actor = createActor(this.machine, {
      snapshot: this.machine.resolveState(committed(record)),
      input: { record },
    });
    actor.start();
    const entry = { actor, queue: new SerialQueue() };
    this.entries.set(record.id, entry);
    return entry;
  }

  private bury(record: ContainerRecord) {
    this.entries.get(record.id)?.actor.stop();
    this.entries.delete(record.id);
    this.tombstones.set(record.id, record);
  }

  /** Runtime observations go through the same queue; a stale one is dropped. */
  private observe(entry: Entry, command: ContainerCommand) {
    return entry.queue
      .run(async () => {
        const record = entry.actor.getSnapshot().context.record;
        if (rejection(record, command.type)) return;
        await this.send(entry, command);
      })
      .catch(() => undefined);
  }

  private async send(entry: Entry, command: ContainerCommand) {
    const { actor } = entry;
    return new Promise<{ record: ContainerRecord; error?: { code: string; message: string } }>(
      (resolve, reject) => {
        let left = false;
        const sub = actor.subscribe({
          next: (s) => {
            if (!left && !s.hasTag("settled")) left = true;
            if (left && s.hasTag("settled")) {
              sub.unsubscribe();
              resolve({ record: s.context.record, error: s.context.error });
            }
          },
          error: (err) =>
            reject(new InternalError(`container actor failed: ${String(err)}`, { cause: err })),
        });
        actor.send(command);
        if (!left) {
          sub.unsubscribe();
          reject(
            new InternalError(
              `the machine ignored ${command.type} in ${JSON.stringify(actor.getSnapshot().value)}`,
            ),
          );
        }
      },
    );
  }

  private nameTaken(name: string) {
    if (this.reservedNames.has(name)) return true;
    for (const e of this.entries.values())
      if (e.actor.getSnapshot().context.record.name === name) return true;
    return false;
  }

  private tombstone(ref: string) {
    return this.tombstones.get(ref);
  }

  /** Finds a live container by full id, name, or unique id prefix. */
  private entry(ref: string): Entry {
    const exact = this.entries.get(ref);
    if (exact) return exact;
    const records = [...this.entries.values()];
    const byName = records.filter((e) => e.actor.getSnapshot().context.record.name === ref);
    if (byName[0]) return byName[0];
    const byPrefix =
      ref.length > 0
        ? records.filter((e) => e.actor.getSnapshot().context.record.id.startsWith(ref))
        : [];
    if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
    if (byPrefix.length > 1)
      throw new NoSuchCtrError(
        `more than one container matches ${JSON.stringify(ref)}: use more of the id`,
      );
    if (this.tombstones.has(ref)) throw new CtrRemovedError(`container ${ref} has been removed`);
    throw new NoSuchCtrError(`no container with name or ID ${JSON.stringify(ref)} found`);
  }
}

function exitCodeOf(record: ContainerRecord): number {
  if (record.exitCode === undefined)
    throw new CtrRemovedError(`container ${record.id} was removed without an exit code`);
  return record.exitCode;
}
