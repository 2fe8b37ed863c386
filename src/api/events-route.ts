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
 */
import type { ServerResponse } from "node:http";
import { asBerthError, SlowConsumerError, type BerthError } from "../errors.js";
import type { Journal } from "../store/index.js";
import { feedEntries, fromSearchParams, resolveQuery, type FeedEntry } from "../events/index.js";
import type { Handler } from "./router.js";

export interface EventsRouteOptions {
  /** Disconnect a consumer that reads nothing for this long while output waits (default 30 s). */
  stallMs?: number;
  /** A keep-alive line after this much silence (default 15 s). */
  heartbeatMs?: number;
  /** Live events queued per consumer before it catches up from the journal (default 4096). */
  liveBuffer?: number;
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

export function eventsRoute(journal: Journal, options: EventsRouteOptions = {}): Handler {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  return async ({ req, res, url }) => {
    const sse =
      url.searchParams.get("format") === "sse" ||
      (req.headers.accept ?? "").includes("text/event-stream");
    const lastEventId = req.headers["last-event-id"];
    const query = resolveQuery(
      fromSearchParams(
        url.searchParams,
        sse && typeof lastEventId === "string" && lastEventId !== "" ? lastEventId : undefined,
      ),
    );
    const format = sse ? SSE : NDJSON;
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
      });
      for await (const batch of feed) {
        let chunk = "";
        for (const e of batch) chunk += format.event(e);
        lastWrite = Date.now();
        if (!res.write(chunk)) await drained(res, stallMs);
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
