/**
 * The service: one actor per container, commands serialized per container,
 * every change made durable before it is answered. It owns no rules (the
 * machine does) and no I/O of its own (the journal and the host ports do).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createActor, waitFor, type Actor } from "xstate";
import type { ArtifactInfo } from "../effects/storage.js";
import type { ExitInfo, ImageInfo, LogLine } from "../effects/types.js";
import type { BerthError } from "../errors.js";
import {
  asBerthError,
  CtrHasDependentsError,
  CtrRemovedError,
  errorFromWire,
  InternalError,
  InvalidArgError,
  NameInUseError,
  NoSuchImageError,
  NotImplementedError,
  VersionConflictError,
} from "../errors.js";
import { envelope, type CloudEvent } from "../events/index.js";
import {
  applyFacts,
  argsOf,
  committed,
  evolve,
  fact,
  rejectedFact,
  rejection,
  removedError,
  replay,
  runtimeMounted,
  restartDue,
  type CommandBody,
  type ContainerCommand,
  type ContainerRecord,
  type ContainerState,
  type CreateData,
  type RequestMeta,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { provideMachine, type ProvidedMachine } from "./actor-machine.js";
import { dependencyError, notRunning, startOrder } from "./dependencies.js";
import {
  answerOf,
  fingerprint,
  idempotencyMetaKey,
  sameRequestOrThrow,
  type IdempotencyRecord,
} from "./idempotency.js";
import { Registry } from "./registry.js";
import type { HostPorts } from "./runtime-effects.js";
import { SerialQueue } from "./serial-queue.js";
import { containerName, labels, restartPolicy, seconds, signalName } from "./validate.js";

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
  /** key=value metadata; keys are non-empty and have no "=". */
  labels?: Record<string, string>;
}

/** The files and artifacts side of the host, beyond what the machine's effects use. */
export interface ArtifactStore {
  addArtifact(id: string, name: string, data: Buffer): Promise<ArtifactInfo>;
  getArtifact(id: string, name: string): Promise<Buffer>;
  removeArtifact(id: string, name: string): Promise<void>;
}

export interface ServiceDeps extends HostPorts {
  host: string;
  journal: Journal;
  artifacts: ArtifactStore;
  exits: HostPorts["exits"] & {
    onExit(listener: (id: string, exit: ExitInfo) => void): () => void;
  };
}

/** Options of `wait`: the states to wait for (default: stopped or exited) and a poll interval. */
export interface WaitOptions {
  conditions?: ContainerState[];
  intervalMs?: number;
}

type ContainerActor = Actor<ProvidedMachine>;

interface Entry {
  /** Replaced only when a journal failure leaves it ahead of or behind the journal. */
  actor: ContainerActor;
  queue: SerialQueue;
}

/** The runtime and the restart policy, not a user, are the actors of what they cause. */
const RUNTIME_META = (): RequestMeta => ({ actor: "runtime:conmon", requestId: randomUUID() });
const POLICY_META = (): RequestMeta => ({ actor: "policy:restart", requestId: randomUUID() });
const RECONCILE_META = (): RequestMeta => ({ actor: "berth:reconcile", requestId: randomUUID() });
const EXIT_STATES: ContainerState[] = ["stopped", "exited", "removed"];
const MIN_WAIT_INTERVAL_MS = 50;
const RECONCILE_CONCURRENCY = 8;

const recordOf = (e: Entry) => e.actor.getSnapshot().context.record;

/** If-Match: the request was built on a version that is no longer current. */
function staleVersion(record: ContainerRecord, meta: RequestMeta): BerthError | undefined {
  if (meta.expectedVersion === undefined || meta.expectedVersion === record.version)
    return undefined;
  return new VersionConflictError(
    `container ${record.id} is at version ${record.version}, the request expected ${meta.expectedVersion}`,
  );
}
const settled = (e: Entry) => waitFor(e.actor, (s) => s.hasTag("settled"), { timeout: Infinity });

export class ContainerService {
  private readonly entries = new Map<string, Entry>();
  private readonly registry = new Registry(() => [...this.entries.values()].map(recordOf));
  private readonly reservedNames = new Set<string>();
  private readonly inflight = new Map<
    string,
    IdempotencyRecord & { answer: Promise<ContainerRecord> }
  >();
  private readonly machine: ProvidedMachine;
  private readonly stopWatching: () => void;

  private constructor(private readonly deps: ServiceDeps) {
    this.machine = provideMachine(deps);
    this.stopWatching = deps.exits.onExit((id, exit) => {
      const entry = this.entries.get(id);
      if (entry) void this.observe(entry, { type: "EXITED", exit, meta: RUNTIME_META() });
    });
  }

  /**
   * Restores every container from its projection without running an effect,
   * then resumes restarts that a policy still owes.
   */
  static async open(deps: ServiceDeps): Promise<ContainerService> {
    const service = new ContainerService(deps);
    for (const raw of await deps.journal.projections()) {
      const record = raw as ContainerRecord;
      if (record.state === "removed") {
        service.registry.bury(record);
        // Left behind if the daemon died between journaling a removal and discarding the exit file.
        void deps.runtime.discardExit(record.id).catch(() => undefined);
      } else service.spawn(record);
    }
    // One `runc list` instead of a `runc state` per container keeps start-up fast on big roots.
    const inRuntime = new Set(await deps.runtime.list().catch(() => []));
    const toCheck: Entry[] = [];
    for (const entry of service.entries.values()) {
      const record = recordOf(entry);
      // What changed while no daemon watched is journaled with cause "reconcile".
      const check = runtimeMounted(record.state) || inRuntime.has(record.id);
      if (check && record.state !== "removing") toCheck.push(entry);
      if (restartDue(record)) {
        void service.observe(entry, { type: "RESTART", byPolicy: true, meta: POLICY_META() });
      }
    }
    // A few at a time: thousands of running containers must not mean thousands of runc processes at once.
    const next = async (): Promise<void> => {
      const entry = toCheck.shift();
      if (!entry) return;
      await service.reconcile(entry);
      return next();
    };
    for (let i = 0; i < RECONCILE_CONCURRENCY; i++) void next();
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
  create(options: CreateOptions, meta: RequestMeta): Promise<ContainerRecord> {
    return this.idempotent(meta, "CREATE", options, () => this.createOnce(options, meta));
  }

  private async createOnce(options: CreateOptions, meta: RequestMeta): Promise<ContainerRecord> {
    const id = randomBytes(32).toString("hex");
    const name = containerName(options.name ?? `berth_${id.slice(0, 12)}`);
    if (options.command.length === 0)
      throw new InvalidArgError("a container needs a command to run");
    const data: CreateData = {
      name,
      image: options.image,
      command: options.command,
      stopSignal: signalName(options.stopSignal ?? "SIGTERM"),
      stopTimeout: seconds(options.stopTimeout ?? 10, "stop timeout"),
      terminal: options.terminal ?? false,
      stdin: options.stdin ?? false,
      restartPolicy: restartPolicy(options.restart),
      requires: (options.requires ?? []).map((ref) => this.registry.live(ref).id),
      labels: labels(options.labels),
    };
    if (this.nameTaken(name))
      throw new NameInUseError(`the container name "${name}" is already in use`);
    this.reservedNames.add(name);
    try {
      if (!(await this.deps.runtime.getImage(options.image))) {
        throw new NoSuchImageError(`image ${options.image} not found: import it first`);
      }
      const created = fact("create", data);
      const time = new Date().toISOString();
      const record = evolve(undefined, created, { id, time, version: 1 });
      await this.deps.journal.append({
        stream: id,
        expectedVersion: 0,
        events: [envelope(created, { host: this.deps.host, subject: id, time, meta })],
        ...(meta.idempotencyKey
          ? {
              meta: {
                [idempotencyMetaKey(meta.idempotencyKey)]: JSON.stringify({
                  container: id,
                  requestId: meta.requestId,
                  fingerprint: fingerprint("CREATE", options),
                } satisfies IdempotencyRecord),
              },
            }
          : {}),
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
   * With `recursive`, a start first starts the containers it requires.
   */
  command(
    ref: string,
    body: CommandBody,
    meta: RequestMeta,
    options: { recursive?: boolean } = {},
  ): Promise<ContainerRecord> {
    // The container the key is for; an unknown ref keeps its text, which matches no stored id.
    const target = meta.idempotencyKey ? (this.registry.find(ref)?.id ?? ref) : undefined;
    return this.idempotent(
      meta,
      body.type,
      argsOf(body),
      () => this.commandOnce(ref, body, meta, options),
      target,
    );
  }

  /**
   * Runs `run` once per idempotency key: a retry while it runs waits for it; a
   * retry afterwards gets the answer rebuilt from the journal.
   */
  private async idempotent(
    meta: RequestMeta,
    command: string,
    args: unknown,
    run: () => Promise<ContainerRecord>,
    /** The container a command targets (none for create). */
    target?: string,
  ): Promise<ContainerRecord> {
    const key = meta.idempotencyKey;
    if (!key) return run();
    const print = fingerprint(command, args);
    const inflight = this.inflight.get(key);
    if (inflight) {
      sameRequestOrThrow(key, inflight, print, target);
      return inflight.answer;
    }
    // Registered before any await, so a concurrent retry always finds it.
    const answer = (async () => {
      const raw = await this.deps.journal.getMeta(idempotencyMetaKey(key));
      if (!raw) return run();
      const stored = JSON.parse(raw) as IdempotencyRecord;
      sameRequestOrThrow(key, stored, print, target);
      return answerOf(await this.deps.journal.readStream(stored.container), stored.requestId);
    })();
    this.inflight.set(key, {
      container: target ?? "",
      requestId: meta.requestId,
      fingerprint: print,
      answer,
    });
    try {
      return await answer;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async commandOnce(
    ref: string,
    body: CommandBody,
    meta: RequestMeta,
    options: { recursive?: boolean },
  ): Promise<ContainerRecord> {
    let entry: Entry;
    try {
      entry = this.entry(ref);
    } catch (err) {
      if (err instanceof CtrRemovedError) await this.rejectRemoved(ref, body, meta, err);
      throw err;
    }
    if (options.recursive && body.type === "START") {
      for (const dep of startOrder(recordOf(entry), (id) => this.registry.find(id))) {
        // The dependencies' starts are their own requests, not retries of this one.
        const { idempotencyKey: _key, ...depMeta } = meta;
        if (dep.state !== "running") await this.command(dep.id, { type: "START" }, depMeta);
      }
    }
    return entry.queue.run(() => this.apply(entry, body, meta));
  }

  /**
   * Several commands under one serialization: nothing else runs on the
   * container between them. Stops at the first failure, naming the command.
   */
  batch(ref: string, bodies: CommandBody[], meta: RequestMeta): Promise<ContainerRecord> {
    if (meta.idempotencyKey) {
      // Each command of a batch is its own request in the journal; one key cannot answer for all.
      return Promise.reject(new InvalidArgError("a batch does not take an idempotency key"));
    }
    const entry = this.entry(ref);
    return entry.queue.run(async () => {
      let record = recordOf(entry);
      for (const [i, body] of bodies.entries()) {
        try {
          record = await this.apply(entry, body, meta);
        } catch (err) {
          const e = err as Error;
          e.message = `batch command ${i + 1} (${body.type}): ${e.message}`;
          throw e;
        }
      }
      return record;
    });
  }

  /**
   * Podman's wait: by default resolves with the exit code once the container
   * has stopped; with other conditions, resolves with -1 once it is in one of
   * them. A removed container still answers with its last exit code.
   */
  async wait(ref: string, options: WaitOptions = {}): Promise<number> {
    const conditions: ContainerState[] = options.conditions?.length
      ? options.conditions
      : ["stopped", "exited"];
    const forExit = conditions.some((c) => EXIT_STATES.includes(c));
    const tomb = this.registry.removed(ref);
    if (tomb) return this.exitOfRemoved(tomb, forExit, conditions);
    const entry = this.entry(ref);
    const reached = (r: ContainerRecord) =>
      forExit
        ? EXIT_STATES.includes(r.state) && r.exitCode !== undefined
        : conditions.includes(r.state);
    const id = recordOf(entry).id;
    return new Promise<number>((resolve, reject) => {
      const finish = (answer: () => number) => {
        sub.unsubscribe();
        clearInterval(poll);
        try {
          resolve(answer());
        } catch (err) {
          reject(asBerthError(err));
        }
      };
      const check = () => {
        // Removed meanwhile: answer as for a tombstone, never hang.
        const tombstone = this.registry.removed(id);
        if (tombstone) return finish(() => this.exitOfRemoved(tombstone, forExit, conditions));
        // The actor may have been replaced (journal failure): look it up each time.
        const snap = this.entries.get(id)?.actor.getSnapshot();
        if (snap?.hasTag("settled") && reached(snap.context.record)) {
          const r = snap.context.record;
          finish(() => (forExit ? (r.exitCode ?? -1) : -1));
        }
      };
      const sub = entry.actor.subscribe({ next: check, complete: check });
      // Events drive the wait; the interval (seed: WaitWithInterval) is a safety net.
      const poll = setInterval(check, Math.max(MIN_WAIT_INTERVAL_MS, options.intervalMs ?? 1_000));
      check();
    });
  }

  list(all: boolean): ContainerRecord[] {
    return [...this.entries.values()]
      .map(recordOf)
      .filter((r) => all || r.state === "running" || r.state === "paused")
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  /** A container's record; removed ones stay answerable by id, name or prefix. */
  inspect(ref: string): ContainerRecord {
    return this.registry.find(ref) ?? this.registry.live(ref);
  }

  /** Where `mount` makes the container's root filesystem visible. */
  rootfsPath(ref: string): string {
    return this.deps.storage.rootfsPath(this.inspect(ref).id);
  }

  logs(ref: string): Promise<LogLine[]> {
    return this.deps.runtime.readLogs(this.inspect(ref).id);
  }

  history(ref: string): Promise<CloudEvent[]> {
    return this.deps.journal.readStream(this.inspect(ref).id);
  }

  /** Time travel: the container as the fold of its events up to a point, without any effect. */
  async inspectAt(ref: string, upTo: (e: CloudEvent) => boolean): Promise<ContainerRecord> {
    const events = (await this.history(ref)).filter(upTo);
    const record = replay(events);
    if (!record) throw new InvalidArgError(`container ${ref} did not exist yet at that point`);
    return record;
  }

  addArtifact(ref: string, name: string, data: Buffer): Promise<ArtifactInfo> {
    const entry = this.entry(ref);
    return entry.queue.run(() => this.deps.artifacts.addArtifact(recordOf(entry).id, name, data));
  }

  getArtifact(ref: string, name: string): Promise<Buffer> {
    return this.deps.artifacts.getArtifact(this.registry.live(ref).id, name);
  }

  removeArtifact(ref: string, name: string): Promise<void> {
    const entry = this.entry(ref);
    return entry.queue.run(() => this.deps.artifacts.removeArtifact(recordOf(entry).id, name));
  }

  /** Removed from the seed API: always NotImplemented. */
  refresh(): Promise<never> {
    return Promise.reject(
      new NotImplementedError("refresh has been removed; it is not implemented"),
    );
  }

  /** One command on an entry whose queue the caller holds. */
  private async apply(
    entry: Entry,
    body: CommandBody,
    meta: RequestMeta,
  ): Promise<ContainerRecord> {
    // A restart the policy began on its own finishes before the next command looks at the state.
    await settled(entry);
    if (this.entries.get(recordOf(entry).id) !== entry) {
      // Removed while this request waited in the queue: refuse it against the tombstone.
      const err = removedError();
      await this.rejectRemoved(recordOf(entry).id, body, meta, err);
      throw err;
    }
    const before = recordOf(entry);
    const refused =
      staleVersion(before, meta) ?? rejection(before, body) ?? this.dependencyProblem(before, body);
    if (refused) {
      // The refusal is journaled as an audit record; if even that fails, the refusal still stands.
      const reject = { type: "REJECT" as const, command: body, error: refused.toJSON(), meta };
      await this.send(entry, reject).catch(() => undefined);
      throw refused;
    }
    const done = await this.send(entry, { ...body, meta });
    if (done.error) throw errorFromWire(done.error);
    if (done.record.state === "removed") {
      this.bury(done.record);
      // Only now that the removal is durable may the evidence of how the container ended go.
      await this.deps.runtime.discardExit(done.record.id).catch(() => undefined);
    }
    return done.record;
  }

  private dependencyProblem(record: ContainerRecord, body: CommandBody): BerthError | undefined {
    if (body.type === "START" || body.type === "INIT" || body.type === "RESTART") {
      const down = notRunning(record, (id) => this.registry.find(id));
      if (down.length > 0) return dependencyError(record, down);
    }
    if (body.type === "REMOVE") {
      const dependents = this.list(true).filter((r) => r.requires.includes(record.id));
      if (dependents.length > 0) {
        const ids = dependents.map((d) => d.id).join(",");
        return new CtrHasDependentsError(
          `container ${record.id} has dependent containers which must be removed before it: ${ids}`,
        );
      }
    }
    return undefined;
  }

  /** A request that reached a removed container: its refusal goes into the tombstone's stream. */
  private async rejectRemoved(
    ref: string,
    body: CommandBody,
    meta: RequestMeta,
    error: BerthError,
  ) {
    const tomb = this.registry.removed(ref);
    if (!tomb) return;
    const refused = rejectedFact(body, error.toJSON(), "removed");
    const at = { id: tomb.id, time: new Date().toISOString(), version: tomb.version + 1 };
    const record = applyFacts(tomb, [refused], at);
    const event = envelope(refused, {
      host: this.deps.host,
      subject: tomb.id,
      time: at.time,
      meta,
    });
    await this.deps.journal
      .append({
        stream: tomb.id,
        expectedVersion: tomb.version,
        events: [event],
        projection: record,
      })
      .then(() => this.registry.bury(record))
      .catch(() => undefined);
  }

  private exitOfRemoved(
    record: ContainerRecord,
    forExit: boolean,
    conditions: ContainerState[],
  ): number {
    if (forExit && record.exitCode !== undefined) return record.exitCode;
    if (forExit)
      throw new CtrRemovedError(`container ${record.id} was removed without ever exiting`);
    if (conditions.includes("removed")) return -1;
    throw new InvalidArgError(
      `container ${record.id} has been removed and never reaches ${conditions.join("|")}`,
    );
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
    // The tombstone first, so whoever hears the actor stop finds the container removed.
    this.registry.bury(record);
    const entry = this.entries.get(record.id);
    this.entries.delete(record.id);
    entry?.actor.stop();
  }

  /**
   * A failed journal write may still have landed (a failed sync is ambiguous),
   * and the effect before it may have changed the runtime. The actor is reset
   * to what the journal holds, and a reconcile journals whatever the runtime
   * did, retried until the journal takes writes again.
   */
  private async afterJournalFailure(entry: Entry, attempt = 1) {
    const id = recordOf(entry).id;
    const stored = (await this.deps.journal.projection(id).catch(() => undefined)) as
      ContainerRecord | undefined;
    if (stored && stored.version !== recordOf(entry).version) {
      entry.actor.stop();
      entry.actor = createActor(this.machine, {
        snapshot: this.machine.resolveState(committed(stored)),
        input: { record: stored },
      });
      entry.actor.start();
    }
    if (attempt <= 20) this.reconcileLater(id, attempt);
  }

  /** A reconcile after a backoff; if the journal still fails, `send` schedules the next one. */
  private reconcileLater(id: string, attempt: number) {
    const delay = Math.min(250 * 2 ** attempt, 10_000);
    setTimeout(() => {
      const entry = this.entries.get(id);
      if (!entry) return;
      void entry.queue.run(async () => {
        await settled(entry);
        if (rejection(recordOf(entry), { type: "RECONCILE" })) return;
        await this.send(entry, { type: "RECONCILE", meta: RECONCILE_META() }, attempt + 1);
      });
    }, delay).unref();
  }

  /** Compares the container with the runtime and journals any difference. */
  private reconcile(entry: Entry) {
    return this.observe(entry, { type: "RECONCILE", meta: RECONCILE_META() });
  }

  /** Runtime and policy observations go through the same queue; a stale one is dropped. */
  private observe(entry: Entry, command: ContainerCommand) {
    return entry.queue
      .run(async () => {
        await settled(entry);
        if (rejection(recordOf(entry), command)) return;
        await this.send(entry, command);
      })
      .catch(() => undefined);
  }

  /**
   * Sends one command and waits until the machine rests again. Whoever sent it,
   * a journal failure on the way resets the actor to the journal and schedules
   * a reconcile (`attempt` counts those retries).
   */
  private async send(entry: Entry, command: ContainerCommand, attempt = 1) {
    const done = await this.sendOnce(entry, command);
    if (done.journalFailed || done.error?.code === "VERSION_CONFLICT") {
      await this.afterJournalFailure(entry, attempt);
    }
    return done;
  }

  private sendOnce(entry: Entry, command: ContainerCommand) {
    const { actor } = entry;
    type Done = {
      record: ContainerRecord;
      error?: { code: string; message: string };
      journalFailed?: boolean;
    };
    return new Promise<Done>((resolve, reject) => {
      let left = false;
      const sub = actor.subscribe({
        next: (s) => {
          if (!left && !s.hasTag("settled")) left = true;
          if (left && s.hasTag("settled")) {
            sub.unsubscribe();
            const { record, error, journalFailed } = s.context;
            resolve({ record, error, journalFailed });
          }
        },
        error: (err) =>
          reject(new InternalError(`container actor failed: ${String(err)}`, { cause: err })),
      });
      actor.send(command);
      if (!left) {
        sub.unsubscribe();
        const where = JSON.stringify(actor.getSnapshot().value);
        reject(new InternalError(`the machine ignored ${command.type} in ${where}`));
      }
    });
  }

  private nameTaken(name: string) {
    return this.reservedNames.has(name) || this.list(true).some((r) => r.name === name);
  }

  private entry(ref: string): Entry {
    const entry = this.entries.get(this.registry.live(ref).id);
    if (!entry) throw new InternalError(`container ${ref} has no actor`);
    return entry;
  }
}
