/**
 * Docker's `GET /events?since=&until=&filters=`: berth's journal, mapped to
 * Docker's events (docker-events.ts), one JSON object per line.
 *
 * Unlike dockerd, which keeps its last 256 events in memory, `since` replays
 * from the journal, however far back, and across daemon restarts. Without
 * `since` or `until` only events journaled after the request arrived are
 * sent, as dockerd does. `until` in the past ends the stream after the
 * history; in the future, the stream ends then.
 *
 * `since` is exclusive at the nanosecond: dockerd's is inclusive, but no berth
 * event's timeNano is a whole millisecond, so the two differ only when `since`
 * is the timeNano of an event, which is what a subscriber that resumes after
 * the last event it saw sends, and it must not get that event again.
 *
 * The feed (history then live, no gap at the seam, bounded memory for slow
 * readers) is berth's own; this route only maps and filters what it yields.
 * Docker events carry timeNanos that depend on the events just before them
 * (see docker-events.ts), so the feed always starts `SINCE_SLACK_MS` before
 * the first event to send, and the events in between only set the clock.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { feedEntries, seqBefore, type CloudEvent, type EventLog } from "../events/index.js";
import {
  DockerBook,
  dockerEventJson,
  matchesDockerFilters,
  parseDockerFilters,
  parseDockerTimeRange,
} from "./docker-events.js";

/** What the route needs from the daemon. */
export interface DockerEventsDeps {
  /** The journal's read side: history, its head, projections and the live tail. */
  journal: EventLog;
  /** The clock, for tests (default Date.now). */
  now?: () => number;
  /**
   * Disconnect a subscriber that reads nothing for this long while output
   * waits (default 30 s). It loses nothing: it resumes with `since` = the last
   * timeNano it got. Docker's format has no error record, so it is a plain close.
   */
  stallMs?: number;
}

/** The request as the Docker socket server hands it over. */
export interface DockerRouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

/**
 * The feed keeps going this long after `until`, so that an event stamped a
 * little after one placed before it (stamps follow the journal's order only to
 * within a few milliseconds) still counts for the clock of those before until.
 */
const UNTIL_SLACK_MS = 100;

const NS_PER_MS = 1_000_000n;

const DEFAULT_STALL_MS = 30_000;

/** Waits until the socket takes more or closes; false when it took nothing for `ms`. */
function drained(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      res.off("drain", done);
      res.off("close", done);
      resolve(ok);
    };
    const done = () => finish(true);
    const timer = setTimeout(() => finish(false), ms);
    res.once("drain", done);
    res.once("close", done);
  });
}

/**
 * The `GET /events` handler of the Docker socket. Throws InvalidArgError (a
 * bad `since`, `until` or `filters`, or since after until) before writing
 * anything; the socket server turns it into Docker's 400 `{"message"}`.
 */
export function dockerEventsRoute(
  deps: DockerEventsDeps,
): (ctx: DockerRouteContext) => Promise<void> {
  const now = deps.now ?? Date.now;
  const stallMs = deps.stallMs ?? DEFAULT_STALL_MS;
  const { journal } = deps;
  return async ({ res, url }) => {
    const p = url.searchParams;
    const { since, until } = parseDockerTimeRange(p.get("since"), p.get("until"));
    const filters = parseDockerFilters(p.get("filters"));
    const startMs = now();
    // Live only: events after the head as the request arrived.
    const liveAfter = since === undefined && until === undefined ? journal.head().seq : 0;
    const untilMs = until === undefined ? undefined : Number(until / NS_PER_MS) + 1;
    const follow = untilMs === undefined || untilMs > startMs;

    const abort = new AbortController();
    res.on("close", () => abort.abort());
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
    res.flushHeaders();
    try {
      const fromMs =
        since !== undefined ? Number(since / NS_PER_MS) : until === undefined ? startMs : undefined;
      // seqBefore starts SINCE_SLACK_MS early: the clock warms up on what lies between.
      const afterSeq = fromMs === undefined ? 0 : await seqBefore(journal, fromMs);
      const book = DockerBook.fromProjections(await journal.projections());
      const feed = feedEntries(journal, {
        afterSeq,
        follow,
        parse: true,
        signal: abort.signal,
        ...(untilMs !== undefined ? { untilMs: untilMs + UNTIL_SLACK_MS } : {}),
      });
      for await (const batch of feed) {
        let chunk = "";
        for (const entry of batch) {
          const e = entry.event ?? (JSON.parse(entry.json) as CloudEvent);
          for (const ev of book.translate(e)) {
            if (entry.seq <= liveAfter) continue;
            if (since !== undefined && ev.timeNano <= since) continue;
            if (until !== undefined && ev.timeNano > until) continue;
            if (!matchesDockerFilters(ev, filters)) continue;
            chunk += `${dockerEventJson(ev)}\n`;
          }
        }
        if (chunk !== "" && !res.write(chunk) && !(await drained(res, stallMs))) {
          res.destroy();
          break;
        }
        if (abort.signal.aborted) break;
      }
      if (!res.destroyed) res.end();
    } finally {
      abort.abort();
    }
  };
}
