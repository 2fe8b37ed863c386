/**
 * The read side of the journal, as the feed and the filters need it. It is
 * declared here, not taken from src/store, because the store builds on the
 * envelope and hash of this folder: the journal port satisfies this interface
 * structurally, and events never depend on the store.
 */
import type { CloudEvent } from "./envelope.js";

/** Where to start reading and how much to read. */
export interface LogReadOptions {
  /** Read events with seq greater than this (default 0: from the start). */
  afterSeq?: number;
  /** Stop after this many events. */
  limit?: number;
  /** Most events per chunk of `readRawBatches` (default 1000): what one reader holds at a time. */
  chunk?: number;
}

/** A journal seen only for reading: history, the live tail and the stored projections. */
export interface EventLog {
  /** Events in global order. */
  read(options?: LogReadOptions): AsyncIterable<CloudEvent>;
  /** Events as stored, unparsed, in chunks: history sent as is, without a parse. */
  readRawBatches(options?: LogReadOptions): AsyncIterable<string[]>;
  /** The global sequence of the newest event. */
  head(): { seq: number };
  /** Every container's projection, removed ones included. */
  projections(): Promise<unknown[]>;
  /** Called with each appended batch after it is durable, in sequence order. */
  subscribe(listener: (events: CloudEvent[]) => void): () => void;
}
