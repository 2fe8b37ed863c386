/**
 * Subscribing over the daemon's unix socket: an async iterator of typed
 * events, history then live, that resumes exactly after the last event it
 * yielded whenever the connection drops (daemon restart, slow-consumer
 * disconnect), so the consumer sees every event once, in order.
 */
import { BerthError, InternalError } from "../errors.js";
import {
  CloudEventSchema,
  parseTimeArg,
  resolveQuery,
  type CloudEvent,
  type EventQuery,
} from "../events/index.js";
import { BerthClient } from "./berth-client.js";

export interface SubscribeOptions extends EventQuery {
  socketPath: string;
  /** Ends the iteration. */
  signal?: AbortSignal;
  /** Check every event against CloudEventSchema (default true). */
  validate?: boolean;
  /** Reconnect and resume when the connection drops (default true). */
  reconnect?: boolean;
  /** Wait before the first reconnect, doubled up to `maxMs` (defaults 100 ms and 5 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Told about each reconnect and the error that caused it. */
  onReconnect?: (error: unknown, attempt: number) => void;
  /** Who the requests are on behalf of; recorded as declared. */
  actor?: string;
}

/** Errors that a retry cannot fix: a bad query, or an event that fails its schema. */
function permanent(err: unknown): boolean {
  if (err instanceof BerthError) return err.code === "INVALID_ARG";
  return err instanceof Error && err.name === "ZodError";
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}

/**
 * Events from the daemon at `socketPath` matching the query (see EventQuery).
 * Relative times ("10m") are fixed once, at the call, so a reconnect does not
 * move the window.
 */
export async function* subscribe(options: SubscribeOptions): AsyncGenerator<CloudEvent> {
  const now = Date.now();
  const fixed = (raw: string | undefined, kind: "since" | "until") =>
    raw === undefined
      ? undefined
      : new Date(
          (kind === "since" ? Math.ceil : Math.floor)(parseTimeArg(raw, kind, now)),
        ).toISOString();
  const since = fixed(options.since, "since");
  const until = fixed(options.until, "until");
  const follow = options.follow ?? true;
  const query: EventQuery = {
    follow,
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(options.filters?.length ? { filters: options.filters } : {}),
  };
  resolveQuery(query); // a bad filter or time fails here, before any connection
  const client = new BerthClient({
    socketPath: options.socketPath,
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
  });
  const validate = options.validate ?? true;
  const initialMs = options.backoff?.initialMs ?? 100;
  const maxMs = options.backoff?.maxMs ?? 5_000;
  const { signal } = options;
  let afterSeq = options.afterSeq;
  let backoff = initialMs;
  let attempt = 0;
  while (!signal?.aborted) {
    let cause: unknown;
    try {
      const q = afterSeq === undefined ? query : { ...query, afterSeq };
      for await (const batch of client.eventBatches(q, signal)) {
        for (const raw of batch) {
          const e = validate ? CloudEventSchema.parse(raw) : raw;
          afterSeq = e.seq;
          backoff = initialMs;
          yield e;
        }
      }
      if (!follow || (until !== undefined && Date.now() > Date.parse(until))) return;
      cause = new InternalError("the daemon ended the event stream");
    } catch (err) {
      if (signal?.aborted) return;
      if (options.reconnect === false || permanent(err)) throw err;
      cause = err;
    }
    if (options.reconnect === false) throw cause;
    attempt += 1;
    options.onReconnect?.(cause, attempt);
    await pause(backoff, signal);
    backoff = Math.min(backoff * 2, maxMs);
  }
}
