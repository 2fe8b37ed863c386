/**
 * Group commit, shared by the adapters: appends that arrive while a write is
 * in flight wait and then go down together in one synced batch, so durable
 * throughput grows with concurrency while every append still resolves only
 * after its own events are on disk.
 */
import {
  eventLeafHash,
  extendTree,
  hashHex,
  MerkleFrontier,
  readFrontier,
  type Hash,
  type NodePosition,
  type TreeNode,
} from "../audit/index.js";
import type { CloudEvent } from "../events/index.js";
import { InternalError, JournalWriteError, TreeUnavailableError } from "../errors.js";
import type { AppendInput, JournalHead, ReadOptions } from "./journal.js";
import { plan, type Plan } from "./sequencer.js";

interface Waiter {
  input: AppendInput;
  resolve: (events: CloudEvent[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The Merkle tree's nodes a write carries: those the groups before it
 * completed, and the number of leaves the stored tree reaches once they are
 * written, kept under the meta key TREE_SIZE_META.
 */
export interface TreeWrite {
  nodes: TreeNode[];
  size: number;
}

/** Meta key of the leaves the stored tree nodes reach; absent, they reach the head (older journals). */
export const TREE_SIZE_META = "tree-size";

const positionKey = (p: NodePosition) => `${p.level}:${p.index}`;

/** Streams whose version stays cached: far more than the containers a host runs at once. */
const VERSION_CACHE_LIMIT = 4_096;

export abstract class GroupCommitJournal {
  protected current: JournalHead;
  /** The Merkle tree over every durable event, kept in step with `current`. */
  private frontier = new MerkleFrontier();
  /**
   * Nodes of the tree's last group, not stored yet: a group's tree is grown
   * while its batch syncs, off the write's path, and stored with the next
   * batch (on this VM that measured no better than hashing in series; see
   * the README). Losing them loses nothing, the events they hash are durable
   * (restoreTree).
   */
  private unwritten: TreeNode[] = [];
  /** Set when the tree could not be rebuilt from the stored events: it is then not kept at all. */
  private treeFailure: TreeUnavailableError | undefined;
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

  protected constructor(head: JournalHead) {
    this.current = head;
  }

  /** Writes a planned group and the tree's nodes atomically and durably; throws if nothing was written. */
  protected abstract write(plan: Plan, tree: TreeWrite | undefined): Promise<void>;
  /** Tree nodes as stored; a missing one is an InternalError. */
  protected abstract readTreeNodes(positions: NodePosition[]): Promise<Hash[]>;
  abstract read(options?: ReadOptions): AsyncIterable<CloudEvent>;
  abstract getMeta(key: string): Promise<string | undefined>;
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
    if (this.treeFailure) throw this.treeFailure;
    return { size: this.frontier.size, root: hashHex(this.frontier.root()) };
  }

  /** Perfect-subtree hashes, in the order asked; a missing one is an InternalError. */
  async treeNodes(positions: NodePosition[]): Promise<Hash[]> {
    if (this.treeFailure) throw this.treeFailure;
    const pending = new Map(this.unwritten.map((n) => [positionKey(n), n.hash]));
    const stored = positions.filter((p) => !pending.has(positionKey(p)));
    const read = stored.length > 0 ? await this.readTreeNodes(stored) : [];
    let next = 0;
    return positions.map((p) => pending.get(positionKey(p)) ?? read[next++]!);
  }

  /**
   * The tree over the first `size` durable events: the stored nodes as far as
   * they reach, then the events after them, whose nodes the next write stores.
   */
  protected async restoreTree(size: number): Promise<void> {
    this.treeFailure = undefined;
    const meta = await this.getMeta(TREE_SIZE_META);
    const reach = meta === undefined ? size : Number(meta);
    if (!Number.isSafeInteger(reach) || reach < 0) {
      throw new InternalError(`the journal's ${TREE_SIZE_META} is ${JSON.stringify(meta)}`);
    }
    const stored = Math.min(reach, size);
    const base = await readFrontier(stored, (p) => this.readTreeNodes(p));
    const leaves: Hash[] = [];
    for await (const e of this.read({ afterSeq: stored, limit: size - stored })) {
      leaves.push(eventLeafHash(e.hash));
    }
    if (base.size + leaves.length !== size) {
      throw new InternalError(`the journal holds ${base.size + leaves.length} of ${size} events`);
    }
    const grown = extendTree(base, leaves);
    this.frontier = grown.frontier;
    this.unwritten = grown.nodes;
  }

  /**
   * Gives up the tree after restoreTree could not rebuild it: the journal
   * still opens, so `audit verify` can name what is wrong with its events,
   * but it signs and proves nothing.
   */
  protected abandonTree(cause: unknown): void {
    this.treeFailure = new TreeUnavailableError(
      `the journal's Merkle tree cannot be rebuilt from its events (run audit verify): ${(cause as Error).message}`,
      { cause },
    );
    this.unwritten = [];
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
      await this.restoreTree(durable.seq);
      this.current = durable;
      this.versions.clear();
      this.headUnknown = false;
    }
    for (const w of group) await this.version(w.input.stream);
    const p = plan(
      this.current,
      group.map((w) => w.input),
      (s) => this.versions.get(s) ?? 0,
    );
    const waiterOf = new Map(group.map((w) => [w.input, w]));
    for (const c of p.conflicts) waiterOf.get(c.input)?.reject(c.error);
    if (p.placed.length === 0) return;
    let grown: ReturnType<typeof extendTree> | undefined;
    try {
      const keepTree = !this.treeFailure;
      // The batch is on its way to the disk by the next turn; hash the tree while it syncs.
      const hashed = new Promise((resolve) => setImmediate(resolve)).then(() =>
        keepTree
          ? extendTree(
              this.frontier,
              p.placed.flatMap((placed) => placed.events.map((e) => eventLeafHash(e.hash))),
            )
          : undefined,
      );
      const tree = keepTree ? { nodes: this.unwritten, size: this.frontier.size } : undefined;
      [, grown] = await Promise.all([this.write(p, tree), hashed]);
    } catch (err) {
      const error = new JournalWriteError(`journal write failed: ${(err as Error).message}`, {
        cause: err,
      });
      // Recover first, so whoever hears of the failure finds the journal usable again.
      const durable = await this.recover().catch(() => undefined);
      const restored =
        durable &&
        (await this.restoreTree(durable.seq).then(
          () => true,
          () => false,
        ));
      if (durable && restored) {
        this.current = durable;
        this.versions.clear();
      } else {
        this.headUnknown = true;
      }
      for (const placed of p.placed) waiterOf.get(placed.input)?.reject(error);
      return;
    }
    this.current = p.head;
    if (grown) {
      this.frontier = grown.frontier;
      this.unwritten = grown.nodes;
    }
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
