/**
 * The selection a logs request makes, the same over HTTP (query parameters)
 * and NATS (payload fields): `tail`, `since` and `until`, plus `follow` on
 * the socket only, where the answer can stream for as long as the container
 * writes. Times are read daemon-side, in Podman's forms (`src/events/time.ts`).
 */
import { z } from "zod";
import { InvalidArgError } from "../errors.js";
import { parseTimeArg } from "../events/index.js";
import type { LogWindow } from "../service/index.js";
import { MAX_LOG_TAIL, MAX_TIME_ARG_LENGTH, refString } from "./bounds.js";
import { parseInput } from "./operation.js";
import { number } from "./route-input.js";

const timeArg = () => z.string().min(1).max(MAX_TIME_ARG_LENGTH);

/** The window's fields as a caller sends them. */
export const LogsSelection = z.object({
  tail: z.number().int().min(0).max(MAX_LOG_TAIL).optional(),
  since: timeArg().optional(),
  until: timeArg().optional(),
});

/** The NATS `logs` verb's input: a bounded, unfollowed read. */
export const LogsInput = LogsSelection.extend({ ref: refString() });

const LogsQuery = LogsSelection.extend({ follow: z.boolean().optional() });

/** The selection with its times read, relative ones counted from `now`. */
export function logWindowOf(selection: z.infer<typeof LogsSelection>, now = Date.now()): LogWindow {
  const { tail, since, until } = selection;
  return {
    ...(tail !== undefined ? { tail } : {}),
    ...(since !== undefined ? { since: parseTimeArg(since, "since", now) } : {}),
    ...(until !== undefined ? { until: parseTimeArg(until, "until", now) } : {}),
  };
}

/** `1`/`true` or `0`/`false`; anything else is a mistake, not a silent no. */
function strictFlag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name) ?? "";
  if (["1", "true"].includes(value)) return true;
  if (["0", "false"].includes(value)) return false;
  throw new InvalidArgError(`query parameter ${name}=${JSON.stringify(value)} must be 1 or 0`);
}

/**
 * `GET /containers/:ref/logs`'s query as a window and whether to follow; a
 * parameter the route does not name is refused, not ignored.
 */
export function logsQuery(url: URL): LogWindow & { follow: boolean } {
  const raw: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    if (key === "tail") raw[key] = number(url, key);
    else if (key === "follow") raw[key] = strictFlag(url, key);
    else raw[key] = url.searchParams.get(key);
  }
  const { follow, ...selection } = parseInput(LogsQuery, raw);
  return { ...logWindowOf(selection), follow: follow ?? false };
}
