/**
 * The journal port. Every adapter keeps the same contract (see the contract
 * test suite): appends are atomic and durable when they resolve, the global
 * sequence and each stream's versions are gapless, and the projection and
 * the Merkle tree's new nodes are written in the same batch as the events
 * they reflect.
 */
import type { Hash, NodePosition } from "../audit/index.js";
import type { CloudEvent, EventLog, LogReadOptions, UnplacedEvent } from "../events/index.js";

/** One append: events for one stream, the version the caller built them on, and the new projection. */
export interface AppendInput {
  stream: string;
  /** The stream's current version as the caller saw it (0 for a new stream). */
  expectedVersion: number;
  events: UnplacedEvent[];
  /**
   * The stream's projection after these events; stored atomically with them.
   * A stream whose state is folded from its events when needed (the image
   * stream) has none.
   */
  projection?: unknown;
  /** Small values (see getMeta) written in the same atomic batch, such as an idempotency record. */
  meta?: Record<string, string>;
}

/** The position of the newest event: its global sequence and hash. */
export interface JournalHead {
  seq: number;
  hash: string;
}

/** Where a read starts and how much it reads (the same options as the event log's). */
export type ReadOptions = LogReadOptions;

/** The event log's read side (see src/events/log.ts) plus appends, streams, projections and meta. */
export interface Journal extends EventLog {
  /** Appends atomically; resolves with the placed events once they are synced to disk. */
  append(input: AppendInput): Promise<CloudEvent[]>;
  /** Events as stored, unparsed, in stored order: what an audit must look at. */
  readRaw(options?: ReadOptions): AsyncIterable<string>;
  /** One stream's events in version order. */
  readStream(stream: string): Promise<CloudEvent[]>;
  head(): JournalHead;
  /**
   * The RFC 6962 Merkle tree over every event, leaf i being event seq i + 1
   * (its leaf bytes the event's `hash`): its size, always the head's seq, and root.
   */
  tree(): { size: number; root: string };
  /** Stored perfect-subtree hashes of that tree, in the order asked (see src/audit/tree-nodes.ts). */
  treeNodes(positions: NodePosition[]): Promise<Hash[]>;
  /** The stream's current version: 0 if it has no events. */
  version(stream: string): Promise<number>;
  projection(stream: string): Promise<unknown>;
  /** Replaces every projection at once (replay --rebuild); streams not in `next` lose theirs. */
  replaceProjections(next: Map<string, unknown>): Promise<void>;
  /** Small durable values owned by other parts, such as the relay's cursor. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
