/**
 * Read-only questions about containers: list, inspect (now or at a point in
 * the journal), history, logs and the root filesystem's path. None of them
 * waits in a container's queue.
 */
import type { FollowItem, FollowOptions, LogLine } from "../effects/index.js";
import { InvalidArgError, NoSuchCtrError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import { replay, restartDue, type ContainerRecord } from "../machines/index.js";
import type { Journal } from "../store/index.js";
import type { ActorPool } from "./actor-pool.js";
import { isTombstone, type Known } from "./registry.js";
import { asItems, windowed, type LogWindow } from "./log-window.js";
import type { RootfsStorage } from "./runtime-effects.js";

/** Live containers, newest first; with `all` false, only running and paused ones. */
export function listContainers(pool: ActorPool, all: boolean): ContainerRecord[] {
  return pool
    .records()
    .filter((r) => all || r.state === "running" || r.state === "paused")
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

/** What the queries read besides the pool. */
export interface QueryDeps {
  journal: Journal;
  runtime: {
    readLogs(id: string): Promise<LogLine[]>;
    logLines(id: string): AsyncIterable<LogLine>;
    followLogs(id: string, options: FollowOptions): AsyncIterable<FollowItem>;
  };
  storage: RootfsStorage;
}

/** The queries over one pool and its journal. */
export class ContainerQueries {
  constructor(
    private readonly pool: ActorPool,
    private readonly deps: QueryDeps,
  ) {}

  /**
   * A container's record; removed ones stay answerable by id, name or prefix,
   * read from their projection in the journal (memory keeps only a tombstone).
   */
  async inspect(ref: string): Promise<ContainerRecord> {
    const found = this.lookup(ref);
    if (!isTombstone(found)) return found;
    const stored = (await this.deps.journal.projection(found.id)) as ContainerRecord | undefined;
    if (stored) return stored;
    // A journal without the projection (never after an append): the fold of the stream.
    const folded = replay(await this.deps.journal.readStream(found.id));
    if (folded) return folded;
    throw new NoSuchCtrError(`container ${found.id} has no record in the journal`);
  }

  /** A live container's record; a removed or unknown ref throws the registry's error. */
  live(ref: string): ContainerRecord {
    return this.pool.registry.live(ref);
  }

  /** A live container's record or a removed one's tombstone; unknown refs throw. */
  lookup(ref: string): Known {
    return this.pool.registry.find(ref) ?? this.pool.registry.live(ref);
  }

  /** Where `mount` makes the container's root filesystem visible. */
  rootfsPath(ref: string): string {
    return this.deps.storage.rootfsPath(this.lookup(ref).id);
  }

  /** The lines a window selects, whole: for answers that must fit in one message (NATS). */
  async logs(ref: string, window: LogWindow = {}): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    for await (const line of this.logWindow(ref, window)) lines.push(line);
    return lines;
  }

  /** The log as a stream of lines; the reference is resolved (or refused) at once. */
  logLines(ref: string): AsyncIterable<LogLine> {
    return this.deps.runtime.logLines(this.lookup(ref).id);
  }

  /**
   * The lines of the log the window selects, read once; with `follow`, then
   * each new line until the container is removed, or has exited with no
   * restart coming and its log is drained, or `until` has passed. The
   * reference is resolved (or refused) at once.
   */
  logWindow(
    ref: string,
    window: LogWindow & { follow?: boolean },
    signal?: AbortSignal,
  ): AsyncIterable<LogLine> {
    const { id } = this.lookup(ref);
    const { until } = window;
    const source = window.follow
      ? this.deps.runtime.followLogs(id, {
          ended: () => this.outputEnded(id) || (until !== undefined && Date.now() > until),
          ...(signal ? { signal } : {}),
        })
      : asItems(this.deps.runtime.logLines(id));
    return windowed(source, window);
  }

  /**
   * Whether container `id` can write no more output: removed, or at rest
   * (no command under way, so a restart in progress keeps it open) outside
   * running and paused with no policy restart due. Podman's `logs -f` ends
   * when the container exits; a restart through berth is not an end.
   */
  private outputEnded(id: string): boolean {
    const entry = this.pool.byId(id);
    if (!entry) return true;
    const snapshot = entry.actor.getSnapshot();
    if (!snapshot.hasTag("settled")) return false;
    const record = snapshot.context.record;
    if (record.state === "running" || record.state === "paused") return false;
    return !restartDue(record);
  }

  history(ref: string): Promise<CloudEvent[]> {
    return this.deps.journal.readStream(this.lookup(ref).id);
  }

  /**
   * The events of every container that carried the name `ref` (or of the one
   * container an id names), in journal order: `history --all`.
   */
  async historyAll(ref: string): Promise<CloudEvent[]> {
    const streams = await Promise.all(
      this.pool.registry.holders(ref).map((r) => this.deps.journal.readStream(r.id)),
    );
    return streams.flat().sort((a, b) => a.seq - b.seq);
  }

  /** Time travel: the container as the fold of its events up to a point, without any effect. */
  async inspectAt(ref: string, upTo: (e: CloudEvent) => boolean): Promise<ContainerRecord> {
    const events = (await this.history(ref)).filter(upTo);
    const record = replay(events);
    if (record) return record;
    // The name may have been someone else's then: say how to see every holder.
    const others = this.pool.registry.holders(ref).length > 1;
    throw new InvalidArgError(
      `container ${ref} did not exist yet at that point${others ? "; other containers carried the name: use --all" : ""}`,
    );
  }

  /** `inspect --at --all`: each container that carried the name, as it was then, if it existed. */
  async inspectAllAt(ref: string, upTo: (e: CloudEvent) => boolean): Promise<ContainerRecord[]> {
    const records = await Promise.all(
      this.pool.registry
        .holders(ref)
        .map(async (r) => replay((await this.deps.journal.readStream(r.id)).filter(upTo))),
    );
    return records.filter((r): r is ContainerRecord => r !== undefined);
  }
}
