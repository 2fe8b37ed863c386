/**
 * The query of Docker's `GET /containers/{id}/logs` as berth's log window:
 * `since` and `until` in unix seconds (with a fraction), `tail` a count or
 * `all`, and at least one of `stdout` and `stderr`, as dockerd insists.
 */
import { InvalidArgError } from "../errors.js";
import type { LogWindow } from "../service/index.js";
import { queryFlag } from "./docker-io.js";

/** Unix seconds, maybe with a fraction, as milliseconds; 0 or absent is no bound. */
function unixTime(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "" || raw === "0") return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw))
    throw new InvalidArgError(`invalid ${name}: ${JSON.stringify(raw)}`);
  return Math.floor(Number(raw) * 1000);
}

export interface DockerLogQuery {
  window: LogWindow;
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
}

export function dockerLogWindow(url: URL): DockerLogQuery {
  const stdout = queryFlag(url, "stdout");
  const stderr = queryFlag(url, "stderr");
  if (!stdout && !stderr)
    throw new InvalidArgError("Bad parameters: you must choose at least one stream");
  const tail = url.searchParams.get("tail");
  if (tail !== null && tail !== "all" && tail !== "" && !/^\d+$/.test(tail))
    throw new InvalidArgError(`invalid tail: ${JSON.stringify(tail)}`);
  const since = unixTime(url, "since");
  const until = unixTime(url, "until");
  return {
    window: {
      ...(tail !== null && /^\d+$/.test(tail) ? { tail: Number(tail) } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    },
    follow: queryFlag(url, "follow"),
    stdout,
    stderr,
    timestamps: queryFlag(url, "timestamps"),
  };
}
