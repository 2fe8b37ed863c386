/**
 * `GET /events`: the journal feed as NDJSON (one CloudEvent per line) or, for
 * `Accept: text/event-stream` or `?format=sse`, as Server-Sent Events whose
 * `id` is the global sequence, so a reconnecting EventSource resumes with
 * `Last-Event-ID` exactly after the last event it got.
 *
 * Slow consumers: output waits for the socket to drain, and the feed behind it
 * falls back to the journal when the consumer is far behind, so a consumer
 * that keeps reading, however slowly, gets every event. One that reads nothing
 * for `stallMs` while output waits is disconnected: the stream ends with an
 * error record (`SLOW_CONSUMER`) after what it had not read yet, and it can
 * resume after the last sequence it received.
 *
 * Memory: each subscriber holds at most `bufferBytes` (one event larger than
 * a fifth of it may add its size): a fifth each for its live queue and the
 * batch in hand, and the rest for that batch's write and the socket's own
 * high-water mark. At most `maxSubscribers` are served at once; one more is
 * refused with TOO_MANY_SUBSCRIBERS (503) before any event is read for it.
 */
import type { ServerResponse } from "node:http";
import { asBerthError, InvalidArgError, SlowConsumerError, type BerthError } from "../errors.js";
import type { Journal } from "../store/index.js";
import { feedEntries, fromSearchParams, resolveQuery, type FeedEntry } from "../events/index.js";
import { EventSubscribers } from "./event-subscribers.js";
import type { Handler } from "./router.js";

export interface EventsRouteOptions {
  /** Disconnect a consumer that reads nothing for this long while output waits (default 30 s). */
  stallMs?: number;
  /** A keep-alive line after this much silence (default 15 s). */
  heartbeatMs?: number;
  /** Live events queued per consumer before it catches up from the journal (default 4096). */
  liveBuffer?: number;
  /** Bytes held per consumer, live queue and output together (default 512 KiB, at least 64 KiB). */
  bufferBytes?: number;
  /** Consumers served at once; one more gets TOO_MANY_SUBSCRIBERS (default 256). */
  maxSubscribers?: number;
}

const DEFAULT_BUFFER_BYTES = 512 * 1024;
/** Four times Node's default socket high-water mark (16 KiB), so a quarter of the budget covers it. */
export const MIN_BUFFER_BYTES = 64 * 1024;
const DEFAULT_MAX_SUBSCRIBERS = 256;

/** The subscriber set for these options (its bounds, defaults filled in). */
export function eventSubscribers(options: EventsRouteOptions = {}): EventSubscribers {
  const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  if (bufferBytes < MIN_BUFFER_BYTES)
    throw new InvalidArgError(
      `events buffer of ${bufferBytes} bytes: use ${MIN_BUFFER_BYTES} or more`,
    );
  return new EventSubscribers(options.maxSubscribers ?? DEFAULT_MAX_SUBSCRIBERS, bufferBytes);
}

const DEFAULT_STALL_MS = 30_000;
const DEFAULT_HEARTBEAT_MS = 15_000;
/** A disconnected consumer's socket is kept this many stall periods for it to read the error. */
const STALLED_GRACE = 4;

interface Format {
  contentType: string;
  event(e: FeedEntry): string;
  error(e: BerthError): string;
  heartbeat: string;
}

const NDJSON: Format = {
  contentType: "application/x-ndjson",
  event: (e) => `${e.json}\n`,
  error: (e) => `${JSON.stringify({ error: e.toJSON() })}\n`,
  heartbeat: "\n",
};

const SSE: Format = {
  contentType: "text/event-stream",
  event: (e) => `id: ${e.seq}\ndata: ${e.json}\n\n`,
  error: (e) => `event: berth-error\ndata: ${JSON.stringify({ error: e.toJSON() })}\n\n`,
  heartbeat: ":\n\n",
};

/** Waits for the socket to take more; a consumer that takes nothing for `ms` is a SlowConsumerError. */
function drained(res: ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(() => {
      res.off("drain", done);
      res.off("close", done);
      reject(
        new SlowConsumerError(
          `event consumer read nothing for ${ms} ms with ${res.writableLength} bytes waiting; disconnected. Resume after the last sequence received (after=<seq> or Last-Event-ID)`,
        ),
      );
    }, ms);
    res.once("drain", done);
    res.once("close", done);
  });
}

export function eventsRoute(
  journal: Journal,
  options: EventsRouteOptions = {},
  subscribers: EventSubscribers = eventSubscribers(options),
): Handler {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  // A fifth each for the live queue and the batch in hand; the write of that batch
  // (a fifth and its framing) and the socket's own high-water mark (16 KiB, at most a
  // quarter) fit in what is left, with room for the framing of the other two.
  const fifth = Math.floor(subscribers.bufferBytes / 5);
  return async ({ req, res, url }) => {
    const sse =
      url.searchParams.get("format") === "sse" ||
      (req.headers.accept ?? "").includes("text/event-stream");
    const lastEventId = req.headers["last-event-id"];
    const asked = fromSearchParams(
      url.searchParams,
      sse && typeof lastEventId === "string" && lastEventId !== "" ? lastEventId : undefined,
    );
    const resolved = resolveQuery(asked);
    // Live only: the history ends at the head as the request arrives, and the feed goes on from there.
    const query = asked.live ? { ...resolved, afterSeq: journal.head().seq } : resolved;
    const format = sse ? SSE : NDJSON;
    const subscriber = subscribers.admit(res);
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    res.writeHead(200, {
      "content-type": format.contentType,
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
    res.flushHeaders();
    let lastWrite = Date.now();
    const heartbeat = setInterval(() => {
      if (Date.now() - lastWrite >= heartbeatMs && res.writableLength === 0) {
        res.write(format.heartbeat);
        lastWrite = Date.now();
      }
    }, heartbeatMs);
    try {
      const feed = feedEntries(journal, {
        ...query,
        signal: abort.signal,
        ...(options.liveBuffer !== undefined ? { liveBuffer: options.liveBuffer } : {}),
        liveBufferBytes: fifth,
        batchBytes: fifth,
        meter: subscriber.meter,
      });
      // Each batch (at most a fifth of the budget, unless one event is larger) is one
      // write, made only after the socket took the last one, and it counts as held
      // until then.
      for await (const batch of feed) {
        let chunk = "";
        for (const e of batch) chunk += format.event(e);
        subscriber.inHand = Buffer.byteLength(chunk);
        lastWrite = Date.now();
        const more = res.write(chunk);
        chunk = "";
        if (!more) await drained(res, stallMs);
        subscriber.inHand = 0;
        if (abort.signal.aborted) break;
      }
      res.end();
    } catch (err) {
      const e = asBerthError(err);
      if (res.destroyed) return;
      res.end(format.error(e));
      // The error waits behind what the consumer has not read. If it never reads, let it go.
      if (e instanceof SlowConsumerError)
        setTimeout(() => res.destroy(), STALLED_GRACE * stallMs).unref();
    } finally {
      clearInterval(heartbeat);
      abort.abort();
    }
  };
}
