/**
 * The journal as a feed: history from a sequence (or a time), then live, with
 * no gap and no duplicate at the seam, filtered on the way.
 *
 * The live tail subscribes before the history read starts, so every event is
 * either read or queued (or both, and then the queued copy is skipped by its
 * sequence). The queue is bounded: a consumer that falls more than
 * `liveBuffer` events behind is not dropped and loses nothing, the queue is
 * emptied and the feed catches up from the journal again, at the consumer's
 * pace. The queue is bounded in bytes as well as in events, and history is
 * read and yielded in chunks bounded the same way, so memory per consumer
 * stays bounded whatever its speed and whatever the size of the events.
 */
import { InternalError } from "../errors.js";
import type { CloudEvent } from "./envelope.js";
import { ContainerDirectory, type EventFilter } from "./filter.js";
import type { EventLog } from "./log.js";

export interface FeedOptions {
  /** Deliver events with a sequence greater than this. */
  afterSeq: number;
  /** Keep going with live events after the history. */
  follow: boolean;
  signal: AbortSignal;
  /** Only events stamped at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Only events stamped at or before this time; a following feed ends once it has passed. */
  untilMs?: number;
  filter?: EventFilter;
  /** Live events queued for a consumer before it is sent back to the journal (default 4096). */
  liveBuffer?: number;
  /** Most events per batch (default 1000). */
  batch?: number;
  /** Bytes of live events queued for a consumer before it is sent back to the journal (default 512 KiB). */
  liveBufferBytes?: number;
  /** Most bytes of events' JSON per history batch (default 256 KiB); one event alone may exceed it. */
  batchBytes?: number;
  /** Updated as the live queue grows and empties, for whoever accounts for the consumer's memory. */
  meter?: FeedMeter;
}

/** What one consumer's feed holds in memory right now. */
export interface FeedMeter {
  /** Bytes (of the events' JSON) in the consumer's live queue. */
  liveBytes: number;
}

const DEFAULT_LIVE_BUFFER = 4096;
const DEFAULT_BATCH = 1_000;
const DEFAULT_LIVE_BUFFER_BYTES = 512 * 1024;
const DEFAULT_BATCH_BYTES = 256 * 1024;
/** Events per journal read: a reader holds one such chunk while its consumer is slow. */
const READ_CHUNK = 64;
/**
 * Events are stamped just before they are appended, so their times follow
 * their sequence to within a few milliseconds. The `since` search starts this
 * much earlier, and then compares each event's time, so it is exact unless
 * the host clock stepped back by more than this.
 */
export const SINCE_SLACK_MS = 60_000;

/** The queue of live events one consumer has not taken yet. */
class LiveTail {
  private queue: CloudEvent[] = [];
  /** The queue outgrew its bound and was emptied: the consumer must catch up from the journal. */
  overflowed = false;
  private wake: (() => void) | undefined;
  private readonly off: () => void;

  constructor(
    journal: EventLog,
    private readonly limit: number,
    private readonly limitBytes: number,
    private readonly meter: FeedMeter,
  ) {
    this.off = journal.subscribe((events) => {
      if (!this.overflowed) {
        let bytes = this.meter.liveBytes;
        for (const e of events) bytes += sizeOf(e);
        if (this.queue.length + events.length > this.limit || bytes > this.limitBytes) {
          this.empty();
          this.overflowed = true;
        } else {
          for (const e of events) this.queue.push(e);
          this.meter.liveBytes = bytes;
        }
      }
      this.wake?.();
    });
  }

  private empty(): void {
    this.queue = [];
    this.meter.liveBytes = 0;
  }

  /** Forgets the queue before a catch-up read; what arrives from now on is queued again. */
  restart(): void {
    this.empty();
    this.overflowed = false;
  }

  take(): CloudEvent[] {
    const q = this.queue;
    this.empty();
    return q;
  }

  /** Resolves when events arrive, the queue overflows, the signal aborts or `deadline` passes. */
  wait(signal: AbortSignal, deadline: number | undefined): Promise<void> {
    if (this.queue.length > 0 || this.overflowed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer =
        deadline === undefined ? undefined : setTimeout(done, Math.max(0, deadline - Date.now()));
      signal.addEventListener("abort", done);
      this.wake = done;
    });
  }

  close(): void {
    this.off();
    this.empty();
    this.wake?.();
  }
}

async function eventAt(journal: EventLog, seq: number): Promise<CloudEvent | undefined> {
  for await (const e of journal.read({ afterSeq: seq - 1, limit: 1 })) return e;
  return undefined;
}

/** The last sequence stamped before `sinceMs - SINCE_SLACK_MS`, by binary search over the journal. */
export async function seqBefore(journal: EventLog, sinceMs: number): Promise<number> {
  const target = sinceMs - SINCE_SLACK_MS;
  let lo = 0;
  let hi = journal.head().seq;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const e = await eventAt(journal, mid);
    if (e && Date.parse(e.time) < target) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One event as the feed passes it on: its sequence, its stored JSON, and the parsed event if needed. */
export interface FeedEntry {
  seq: number;
  json: string;
  event?: CloudEvent;
}

/** Each live event is serialized (and measured) once, however many consumers it goes to. */
const serialized = new WeakMap<CloudEvent, { json: string; bytes: number }>();
function serializedOf(e: CloudEvent): { json: string; bytes: number } {
  let s = serialized.get(e);
  if (s === undefined) {
    const json = JSON.stringify(e);
    s = { json, bytes: Buffer.byteLength(json) };
    serialized.set(e, s);
  }
  return s;
}
const jsonOf = (e: CloudEvent) => serializedOf(e).json;
const sizeOf = (e: CloudEvent) => serializedOf(e).bytes;

/**
 * The feed in batches of entries: each history batch, then whatever live
 * events are ready at once. History comes from `readRawBatches`, parsed only
 * when a filter or a time bound must look inside; the global sequence is
 * gapless, so the k-th event after `afterSeq` has sequence `afterSeq + k`.
 */
export async function* feedEntries(
  journal: EventLog,
  options: FeedOptions & { parse?: boolean },
): AsyncGenerator<FeedEntry[]> {
  const { follow, signal, sinceMs, untilMs, filter } = options;
  const batchSize = options.batch ?? DEFAULT_BATCH;
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const tail = follow
    ? new LiveTail(
        journal,
        options.liveBuffer ?? DEFAULT_LIVE_BUFFER,
        options.liveBufferBytes ?? DEFAULT_LIVE_BUFFER_BYTES,
        options.meter ?? { liveBytes: 0 },
      )
    : undefined;
  try {
    const directory = filter?.needsFacts ? await ContainerDirectory.load(journal) : undefined;
    const parse =
      options.parse === true ||
      filter !== undefined ||
      sinceMs !== undefined ||
      untilMs !== undefined;
    let last = options.afterSeq;
    if (sinceMs !== undefined) last = Math.max(last, await seqBefore(journal, sinceMs));
    const end = follow ? Infinity : journal.head().seq;
    const wanted = (e: CloudEvent) => {
      directory?.learn(e);
      if (sinceMs !== undefined || untilMs !== undefined) {
        const t = Date.parse(e.time);
        if (sinceMs !== undefined && t < sinceMs) return false;
        if (untilMs !== undefined && t > untilMs) return false;
      }
      return !filter || filter.matches(e, directory?.get(e.subject));
    };
    const pastUntil = () => untilMs !== undefined && Date.now() > untilMs;

    catchUp: while (!signal.aborted) {
      tail?.restart();
      let out: FeedEntry[] = [];
      let outBytes = 0;
      let done = false;
      for await (const chunk of journal.readRawBatches({ afterSeq: last, chunk: READ_CHUNK })) {
        for (const json of chunk) {
          const seq = last + 1;
          if (seq > end) {
            done = true;
            break;
          }
          last = seq;
          // A batch stays within its bytes: it goes before the event that would overfill it.
          const size = Buffer.byteLength(json);
          if (out.length > 0 && outBytes + size > batchBytes) {
            yield out;
            out = [];
            outBytes = 0;
          }
          if (parse || out.length === 0) {
            const event = JSON.parse(json) as CloudEvent;
            if (event.seq !== seq)
              throw new InternalError(`journal read gave seq ${event.seq} where ${seq} was due`);
            if (parse && !wanted(event)) continue;
            out.push(parse ? { seq, json, event } : { seq, json });
          } else out.push({ seq, json });
          outBytes += size;
          if (out.length >= batchSize) {
            yield out;
            out = [];
            outBytes = 0;
          }
        }
        if (done || signal.aborted) break;
      }
      if (out.length > 0) yield out;
      if (!tail || pastUntil()) return;

      while (!signal.aborted) {
        if (tail.overflowed) continue catchUp;
        const fresh = tail.take().filter((e) => e.seq > last);
        if (fresh.length === 0) {
          if (pastUntil()) continue catchUp; // one last read, then the check above ends the feed
          await tail.wait(signal, untilMs === undefined ? undefined : untilMs + 1);
          continue;
        }
        // Listeners run in sequence order, so a hole means events went missing: read them.
        if (fresh[0]!.seq !== last + 1) continue catchUp;
        last = fresh[fresh.length - 1]!.seq;
        const live = fresh.filter(wanted).map((e) => ({ seq: e.seq, json: jsonOf(e), event: e }));
        if (live.length > 0) yield live;
      }
    }
  } finally {
    tail?.close();
  }
}

/** The feed in batches of parsed events. */
export async function* eventBatches(
  journal: EventLog,
  options: FeedOptions,
): AsyncGenerator<CloudEvent[]> {
  for await (const entries of feedEntries(journal, { ...options, parse: true })) {
    yield entries.map((x) => x.event ?? (JSON.parse(x.json) as CloudEvent));
  }
}

/** The feed one event at a time. */
export async function* eventFeed(
  journal: EventLog,
  options: FeedOptions,
): AsyncGenerator<CloudEvent> {
  for await (const batch of eventBatches(journal, options)) yield* batch;
}
