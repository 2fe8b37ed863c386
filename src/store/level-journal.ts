/**
 * The LevelDB adapter (classic-level). One synced batch per group commit holds
 * the events, the stream index, the projections, the Merkle tree's new nodes
 * and the head.
 */
import { ClassicLevel } from "classic-level";
import {
  eventLeafHash,
  MerkleFrontier,
  type Hash,
  type NodePosition,
  type TreeNode,
} from "../audit/index.js";
import type { CloudEvent } from "../events/index.js";
import { GENESIS_HASH } from "../events/index.js";
import { InternalError, RootLockedError } from "../errors.js";
import { GroupCommitJournal, TREE_SIZE_META, type TreeWrite } from "./group-commit.js";
import type { Journal, JournalHead, ReadOptions } from "./journal.js";
import { keys, STORED_TREE_LEVEL } from "./keys.js";
import type { Plan } from "./sequencer.js";

type Db = ClassicLevel<string, string>;
type BatchOp = { type: "put"; key: string; value: string };

export class LevelJournal extends GroupCommitJournal implements Journal {
  private constructor(
    private db: Db,
    private readonly location: string,
    head: JournalHead,
  ) {
    super(head);
  }

  /** Test hook: return an error to make the next batch fail as a failing disk would. */
  writeFault: (() => Error | undefined) | undefined;

  /** Opens (or creates) the journal; a second opener of the same folder gets RootLockedError. */
  static async open(location: string): Promise<LevelJournal> {
    const db: Db = new ClassicLevel(location, { keyEncoding: "utf8", valueEncoding: "utf8" });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === "LEVEL_LOCKED") {
        throw new RootLockedError(
          `journal ${location} is locked: another berth daemon owns this root`,
          {
            cause: err,
          },
        );
      }
      throw new InternalError(`cannot open journal ${location}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const raw = await db.get(keys.head);
    const head = raw ? (JSON.parse(raw) as JournalHead) : { seq: 0, hash: GENESIS_HASH };
    const journal = new LevelJournal(db, location, head);
    await journal
      .restoreTree(head.seq)
      .catch(async () => {
        // A journal written before the tree was kept (or whose nodes were lost): built once, here.
        await buildTree(db, head.seq);
        await journal.restoreTree(head.seq);
      })
      .catch((err: unknown) => journal.abandonTree(err));
    return journal;
  }

  protected async write(p: Plan, tree: TreeWrite | undefined): Promise<void> {
    const ops: BatchOp[] = [];
    for (const { input, events } of p.placed) {
      for (const e of events) {
        ops.push({ type: "put", key: keys.event(e.seq), value: JSON.stringify(e) });
        ops.push({ type: "put", key: keys.stream(input.stream, e.version), value: String(e.seq) });
      }
      for (const [name, value] of Object.entries(input.meta ?? {})) {
        ops.push({ type: "put", key: keys.meta(name), value });
      }
      if (input.projection !== undefined)
        ops.push({
          type: "put",
          key: keys.projection(input.stream),
          value: JSON.stringify(input.projection),
        });
    }
    if (tree) {
      for (const n of tree.nodes) if (n.level >= STORED_TREE_LEVEL) ops.push(nodeOp(n));
      ops.push({ type: "put", key: keys.meta(TREE_SIZE_META), value: String(tree.size) });
    }
    ops.push({ type: "put", key: keys.head, value: JSON.stringify(p.head) });
    const fault = this.writeFault?.();
    if (fault) throw fault;
    await (await this.ready()).batch(ops, { sync: true });
  }

  /**
   * LevelDB refuses every write after a failed sync until it is reopened;
   * reopening replays its log, so the head read back says what is durable.
   */
  protected override async recover(): Promise<JournalHead | undefined> {
    await this.db.close().catch(() => undefined);
    const db = await this.ready();
    const raw = await db.get(keys.head);
    return raw ? (JSON.parse(raw) as JournalHead) : { seq: 0, hash: GENESIS_HASH };
  }

  /**
   * The open database. If a recovery could not reopen it (the disk was still
   * full, say), every later call tries again, so the journal comes back by itself.
   */
  private async ready(): Promise<Db> {
    if (this.db.status === "open") return this.db;
    if (this.db.status === "opening") {
      await this.db.open();
      return this.db;
    }
    const db: Db = new ClassicLevel(this.location, { keyEncoding: "utf8", valueEncoding: "utf8" });
    this.db = db;
    await db.open();
    return db;
  }

  protected async loadVersion(stream: string): Promise<number> {
    for await (const key of (await this.ready()).keys({
      ...keys.streamRange(stream),
      reverse: true,
      limit: 1,
    })) {
      return parseInt(key.slice(key.lastIndexOf(":") + 1), 16);
    }
    return 0;
  }

  async *read(options: ReadOptions = {}): AsyncIterable<CloudEvent> {
    for await (const value of this.readRaw(options)) yield JSON.parse(value) as CloudEvent;
  }

  async *readRaw(options: ReadOptions = {}): AsyncIterable<string> {
    for await (const batch of this.readRawBatches(options)) yield* batch;
  }

  /** Stored events in chunks: one await per chunk, not per event, for folds over the whole journal. */
  async *readRawBatches(options: ReadOptions = {}): AsyncIterable<string[]> {
    const range = keys.eventsAfter(options.afterSeq ?? 0);
    const it = (await this.ready()).values({ ...range, limit: options.limit ?? -1 });
    try {
      for (;;) {
        const batch = await it.nextv(options.chunk ?? 1_000);
        if (batch.length === 0) return;
        yield batch;
      }
    } finally {
      await it.close();
    }
  }

  async replaceProjections(next: Map<string, unknown>): Promise<void> {
    const db = await this.ready();
    const stale = await db.keys(keys.projections).all();
    const ops = [
      ...stale.filter((k) => !next.has(k.slice(2))).map((key) => ({ type: "del" as const, key })),
      ...[...next].map(([stream, p]) => ({
        type: "put" as const,
        key: keys.projection(stream),
        value: JSON.stringify(p),
      })),
    ];
    await db.batch(ops, { sync: true });
  }

  async readStream(stream: string): Promise<CloudEvent[]> {
    const db = await this.ready();
    const seqs = await db.values(keys.streamRange(stream)).all();
    const values = await db.getMany(seqs.map((s) => keys.event(Number(s))));
    return values.map((v, i) => {
      if (v === undefined)
        throw new InternalError(`stream ${stream} points at missing seq ${seqs[i]}`);
      return JSON.parse(v) as CloudEvent;
    });
  }

  protected async readTreeNodes(positions: NodePosition[]): Promise<Hash[]> {
    return readNodes(await this.ready(), positions);
  }

  async projection(stream: string): Promise<unknown> {
    const raw = await (await this.ready()).get(keys.projection(stream));
    return raw === undefined ? undefined : (JSON.parse(raw) as unknown);
  }

  async projections(): Promise<unknown[]> {
    const values = await (await this.ready()).values(keys.projections).all();
    return values.map((v) => JSON.parse(v) as unknown);
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.ready()).get(keys.meta(key));
  }

  async setMeta(key: string, value: string): Promise<void> {
    await (await this.ready()).put(keys.meta(key), value, { sync: true });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function nodeOp(n: TreeNode): BatchOp {
  return {
    type: "put",
    key: keys.node(n.level, n.index),
    value: Buffer.from(n.hash).toString("hex"),
  };
}

/**
 * Tree nodes in the order asked: those from STORED_TREE_LEVEL up read as
 * stored, the ones below recomputed from the hashes of the events they cover.
 */
async function readNodes(db: Db, positions: NodePosition[]): Promise<Hash[]> {
  const stored = positions.filter((p) => p.level >= STORED_TREE_LEVEL);
  const low = positions.filter((p) => p.level < STORED_TREE_LEVEL);
  const [values, leaves] = await Promise.all([
    db.getMany(stored.map((p) => keys.node(p.level, p.index))),
    readLeaves(db, low),
  ]);
  const found = new Map<NodePosition, Hash>();
  stored.forEach((p, i) => {
    const v = values[i];
    if (v === undefined)
      throw new InternalError(`the journal has no tree node ${p.level}:${p.index}`);
    found.set(p, Buffer.from(v, "hex"));
  });
  for (const p of low) {
    const subtree = new MerkleFrontier();
    for (const leaf of leavesUnder(p)) subtree.append(leaves.get(leaf)!);
    found.set(p, subtree.root());
  }
  return positions.map((p) => found.get(p)!);
}

/** The leaf indexes a perfect subtree covers. */
function leavesUnder(p: NodePosition): number[] {
  const width = 2 ** p.level;
  return Array.from({ length: width }, (_, i) => p.index * width + i);
}

/** The leaf hashes under the given low nodes, from their events (leaf n is event n + 1). */
async function readLeaves(db: Db, low: NodePosition[]): Promise<Map<number, Hash>> {
  const order = [...new Set(low.flatMap(leavesUnder))];
  const raws = await db.getMany(order.map((leaf) => keys.event(leaf + 1)));
  const leaves = new Map<number, Hash>();
  raws.forEach((raw, i) => {
    if (raw === undefined) throw new InternalError(`the journal has no event ${order[i]! + 1}`);
    leaves.set(order[i]!, eventLeafHash((JSON.parse(raw) as CloudEvent).hash));
  });
  return leaves;
}

/**
 * Builds the Merkle tree over the first `size` stored events and writes its
 * nodes: the one-time upgrade of a journal from before the tree. The last
 * write is synced, so a crash midway only means building it again.
 */
async function buildTree(db: Db, size: number): Promise<void> {
  const frontier = new MerkleFrontier();
  const it = db.values({ ...keys.eventsAfter(0), limit: size });
  try {
    for (;;) {
      const batch = await it.nextv(10_000);
      if (batch.length === 0) break;
      const ops: BatchOp[] = [];
      for (const raw of batch) {
        const event = JSON.parse(raw) as CloudEvent;
        for (const n of frontier.appendNodes(eventLeafHash(event.hash)))
          if (n.level >= STORED_TREE_LEVEL) ops.push(nodeOp(n));
      }
      await db.batch(ops);
    }
  } finally {
    await it.close();
  }
  if (frontier.size !== size) {
    throw new InternalError(`the journal's head says ${size} events, ${frontier.size} are stored`);
  }
  await db.put(keys.meta(TREE_SIZE_META), String(size), { sync: true });
}
