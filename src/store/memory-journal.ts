/**
 * The in-memory adapter: same contract, no durability. For pure tests and
 * for measuring what the disk costs.
 */
import type { Hash, NodePosition } from "../audit/index.js";
import { InternalError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import { GENESIS_HASH } from "../events/index.js";
import { GroupCommitJournal, TREE_SIZE_META, type TreeWrite } from "./group-commit.js";
import type { Journal, ReadOptions } from "./journal.js";
import type { Plan } from "./sequencer.js";

export class MemoryJournal extends GroupCommitJournal implements Journal {
  private readonly events: CloudEvent[] = [];
  private readonly streams = new Map<string, CloudEvent[]>();
  private readonly projectionsByStream = new Map<string, unknown>();
  private readonly meta = new Map<string, string>();
  private readonly nodes = new Map<string, Hash>();
  /** Set to make the next writes fail, as a full disk would. */
  failWrites: Error | undefined;

  constructor() {
    super({ seq: 0, hash: GENESIS_HASH });
  }

  protected write(p: Plan, tree: TreeWrite | undefined): Promise<void> {
    if (this.failWrites) return Promise.reject(this.failWrites);
    for (const { input, events } of p.placed) {
      this.events.push(...events);
      this.streams.set(input.stream, [...(this.streams.get(input.stream) ?? []), ...events]);
      if (input.projection !== undefined)
        this.projectionsByStream.set(input.stream, structuredClone(input.projection));
      for (const [name, value] of Object.entries(input.meta ?? {})) this.meta.set(name, value);
    }
    for (const n of tree?.nodes ?? []) this.nodes.set(`${n.level}:${n.index}`, n.hash);
    if (tree) this.meta.set(TREE_SIZE_META, String(tree.size));
    return Promise.resolve();
  }

  protected readTreeNodes(positions: NodePosition[]): Promise<Hash[]> {
    const missing = positions.find((p) => !this.nodes.has(`${p.level}:${p.index}`));
    if (missing) {
      return Promise.reject(
        new InternalError(`the journal has no tree node ${missing.level}:${missing.index}`),
      );
    }
    return Promise.resolve(positions.map((p) => this.nodes.get(`${p.level}:${p.index}`)!));
  }

  protected loadVersion(stream: string): Promise<number> {
    return Promise.resolve(this.streams.get(stream)?.length ?? 0);
  }

  async *read(options: ReadOptions = {}): AsyncIterable<CloudEvent> {
    const from = options.afterSeq ?? 0;
    const end = options.limit === undefined ? undefined : from + options.limit;
    for (const e of this.events.slice(from, end)) yield await Promise.resolve(e);
  }

  async *readRaw(options: ReadOptions = {}): AsyncIterable<string> {
    for await (const e of this.read(options)) yield JSON.stringify(e);
  }

  async *readRawBatches(options: ReadOptions = {}): AsyncIterable<string[]> {
    const all: string[] = [];
    for await (const e of this.readRaw(options)) all.push(e);
    const chunk = options.chunk ?? 1_000;
    for (let i = 0; i < all.length; i += chunk) yield all.slice(i, i + chunk);
  }

  replaceProjections(next: Map<string, unknown>): Promise<void> {
    this.projectionsByStream.clear();
    for (const [stream, p] of next) this.projectionsByStream.set(stream, structuredClone(p));
    return Promise.resolve();
  }

  readStream(stream: string): Promise<CloudEvent[]> {
    return Promise.resolve([...(this.streams.get(stream) ?? [])]);
  }

  projection(stream: string): Promise<unknown> {
    return Promise.resolve(structuredClone(this.projectionsByStream.get(stream)));
  }

  projections(): Promise<unknown[]> {
    return Promise.resolve([...this.projectionsByStream.values()].map((p) => structuredClone(p)));
  }

  getMeta(key: string): Promise<string | undefined> {
    return Promise.resolve(this.meta.get(key));
  }

  setMeta(key: string, value: string): Promise<void> {
    this.meta.set(key, value);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
