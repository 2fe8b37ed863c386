/**
 * The events query on the wire, one definition for the HTTP route, the CLI and
 * the client library:
 *
 *   GET /events?after=N&stream=0|1&since=T&until=T&filter=k=v&filter=...
 *
 * `after` resumes after a global sequence (an SSE client's Last-Event-ID
 * header counts as `after`); `stream=0` stops at the present; `since` and
 * `until` take Podman's time forms (see time.ts); `filter` is repeated.
 */
import { InvalidArgError } from "../errors.js";
import { parseFilters, type EventFilter } from "./filter.js";
import { parseTimeArg } from "./time.js";

export interface EventQuery {
  /** Deliver events after this global sequence. */
  afterSeq?: number;
  /** Keep streaming live events after the history (default true). */
  follow?: boolean;
  /** Only events at or after this time: RFC3339, Unix seconds, or a duration before now ("10m"). */
  since?: string;
  /** Only events at or before this time; a duration counts from now. A stream ends then. */
  until?: string;
  /** Podman filters, e.g. ["container=web", "event=start", "event=died"]. */
  filters?: string[];
  /**
   * Only events journaled after the request arrived, as `docker events` without
   * `--since`: the history is not replayed. Excludes `afterSeq` and `since`.
   */
  live?: boolean;
}

/** A query checked and resolved to numbers. */
export interface ResolvedQuery {
  afterSeq: number;
  follow: boolean;
  sinceMs?: number;
  untilMs?: number;
  filter?: EventFilter;
}

function seqOf(raw: string, what: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgError(`invalid ${what} ${JSON.stringify(raw)}: use a sequence number >= 0`);
  return n;
}

function boolOf(raw: string, what: string): boolean {
  if (["1", "true"].includes(raw)) return true;
  if (["0", "false"].includes(raw)) return false;
  throw new InvalidArgError(`invalid ${what} ${JSON.stringify(raw)}: use true or false`);
}

/** Checks a query and resolves its times against `now`. Throws InvalidArgError. */
export function resolveQuery(q: EventQuery, now = Date.now()): ResolvedQuery {
  if (q.live && (q.afterSeq !== undefined || q.since !== undefined))
    throw new InvalidArgError("live events only cannot start at an after-seq or a since time");
  const afterSeq = q.afterSeq ?? 0;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0)
    throw new InvalidArgError(`invalid after-seq ${afterSeq}: use a sequence number >= 0`);
  const sinceMs =
    q.since === undefined ? undefined : Math.ceil(parseTimeArg(q.since, "since", now));
  const untilMs =
    q.until === undefined ? undefined : Math.floor(parseTimeArg(q.until, "until", now));
  const filter = q.filters?.length ? parseFilters(q.filters) : undefined;
  return {
    afterSeq,
    follow: q.follow ?? true,
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(untilMs !== undefined ? { untilMs } : {}),
    ...(filter ? { filter } : {}),
  };
}

/** The query as URL search parameters. */
export function toSearchParams(q: EventQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (q.afterSeq !== undefined) p.set("after", String(q.afterSeq));
  if (q.follow !== undefined) p.set("stream", q.follow ? "1" : "0");
  if (q.since !== undefined) p.set("since", q.since);
  if (q.until !== undefined) p.set("until", q.until);
  for (const f of q.filters ?? []) p.append("filter", f);
  if (q.live) p.set("live", "1");
  return p;
}

/** Reads the query from URL search parameters; `lastEventId` (SSE resume) wins over `after`. */
export function fromSearchParams(p: URLSearchParams, lastEventId?: string): EventQuery {
  const after = lastEventId ?? p.get("after") ?? undefined;
  const stream = p.get("stream");
  const since = p.get("since");
  const until = p.get("until");
  const filters = p.getAll("filter");
  const live = p.get("live");
  return {
    // An SSE client resuming (Last-Event-ID) repeats its URL: where it left off wins over live.
    ...(live !== null && lastEventId === undefined ? { live: boolOf(live, "live") } : {}),
    ...(after !== undefined
      ? { afterSeq: seqOf(after, lastEventId !== undefined ? "Last-Event-ID" : "after") }
      : {}),
    ...(stream !== null ? { follow: boolOf(stream, "stream") } : {}),
    ...(since !== null ? { since } : {}),
    ...(until !== null ? { until } : {}),
    ...(filters.length ? { filters } : {}),
  };
}
