/**
 * Group commit, shared by the adapters: appends that arrive while a write is
 * in flight wait and then go down together in one synced batch, so durable
 * throughput grows with concurrency while every append still resolves only
 * after its own events are on disk.
 */
import {
  hashHex,
  readFrontier,
  type Hash,
  type MerkleFrontier,
  type NodePosition,
} from "../audit/index.js";
import type { CloudEvent } from "../events/index.js";
import { JournalWriteError } from "../errors.js";
import type { AppendInput, JournalHead } from "./journal.js";
import { plan, type Plan } from "./sequencer.js";

interface Waiter {
  input: AppendInput;
  resolve: (events: CloudEvent[]) => void;
  reject: (err: unknown) => void;
}

/** Streams whose version stays cached: far more than the containers a host runs at once. */
const VERSION_CACHE_LIMIT = 4_096;

export abstract class GroupCommitJournal {
  protected current: JournalHead;
  /** The Merkle tree over every durable event, kept in step with `current`. */
  protected frontier: MerkleFrontier;
  /**
   * Each stream's durable version, the most recently written last. Bounded:
   * a daemon that has run a million containers must not keep a million
   * entries; a stream trimmed away is read back from the store when next used.
   */
  private readonly versions = new Map<string, number>();
  private queue: Waiter[] = [];
  private writing = false;
  /** Set when a failed write was followed by a failed recovery: the in-memory head may be stale. */
  private headUnknown = false;
  private readonly listeners = new Set<(events: CloudEvent[]) => void>();

  protected constructor(head: JournalHead, frontier: MerkleFrontier) {
    this.current = head;
    this.frontier = frontier;
  }

  /** Writes a planned group atomically and durably; throws if nothing was written. */
  protected abstract write(plan: Plan): Promise<void>;
  /** The durable version of a stream not yet cached. */
  protected abstract loadVersion(stream: string): Promise<number>;
  /**
   * After a failed write: get back to a usable store and say what is durable.
   * A failed sync can leave the batch on disk or not, so the head is re-read
   * rather than assumed; undefined keeps the head as it was.
   */
  protected recover(): Promise<JournalHead | undefined> {
    return Promise.resolve(undefined);
  }

  head(): JournalHead {
    return { ...this.current };
  }

  tree(): { size: number; root: string } {
    return { size: this.frontier.size, root: hashHex(this.frontier.root()) };
  }

  /** Stored perfect-subtree hashes, in the order asked; a missing one is an InternalError. */
  abstract treeNodes(positions: NodePosition[]): Promise<Hash[]>;

  /** The tree as the store has it at `size` events, after a failed write. */
  private loadTree(size: number): Promise<MerkleFrontier> {
    return readFrontier(size, (p) => this.treeNodes(p));
  }

  async version(stream: string): Promise<number> {
    const cached = this.versions.get(stream);
    if (cached !== undefined) return cached;
    const loaded = await this.loadVersion(stream);
    this.versions.set(stream, loaded);
    return loaded;
  }

  async append(input: AppendInput): Promise<CloudEvent[]> {
    await this.version(input.stream);
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      void this.drain();
    });
  }

  subscribe(listener: (events: CloudEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        // One turn of the event loop lets the writers just answered append again, so they join
        // this group instead of trickling into the next one.
        await new Promise((resolve) => setImmediate(resolve));
        const group = this.queue;
        this.queue = [];
        await this.commit(group).catch((err: unknown) => {
          // Anything unexpected fails this group's appends; it must never strand a caller.
          const error = new JournalWriteError(`journal append failed: ${(err as Error).message}`, {
            cause: err,
          });
          for (const w of group) w.reject(error);
        });
      }
    } finally {
      this.writing = false;
    }
  }

  private async commit(group: Waiter[]): Promise<void> {
    // After a recovery that could not read the durable head, nothing is written until it can.
    if (this.headUnknown) {
      const durable = await this.recover();
      if (!durable) throw new Error("the journal's durable head cannot be read yet");
      this.frontier = await this.loadTree(durable.seq);
      this.current = durable;
      this.versions.clear();
      this.headUnknown = false;
    }
    for (const w of group) await this.version(w.input.stream);
    const p = plan(
      this.current,
      this.frontier,
      group.map((w) => w.input),
      (s) => this.versions.get(s) ?? 0,
    );
    const waiterOf = new Map(group.map((w) => [w.input, w]));
    for (const c of p.conflicts) waiterOf.get(c.input)?.reject(c.error);
    if (p.placed.length === 0) return;
    try {
      await this.write(p);
    } catch (err) {
      const error = new JournalWriteError(`journal write failed: ${(err as Error).message}`, {
        cause: err,
      });
      // Recover first, so whoever hears of the failure finds the journal usable again.
      const durable = await this.recover().catch(() => undefined);
      const tree = durable && (await this.loadTree(durable.seq).catch(() => undefined));
      if (durable && tree) {
        this.current = durable;
        this.frontier = tree;
        this.versions.clear();
      } else {
        this.headUnknown = true;
      }
      for (const placed of p.placed) waiterOf.get(placed.input)?.reject(error);
      return;
    }
    this.current = p.head;
    this.frontier = p.tree.frontier;
    for (const [stream, v] of p.versions) {
      this.versions.delete(stream);
      this.versions.set(stream, v);
    }
    // Only here, between groups: a group's streams must all stay cached until it is planned.
    for (const stream of this.versions.keys()) {
      if (this.versions.size <= VERSION_CACHE_LIMIT) break;
      this.versions.delete(stream);
    }
    for (const placed of p.placed) {
      waiterOf.get(placed.input)?.resolve(placed.events);
      for (const l of this.listeners) l(placed.events);
    }
  }
}
