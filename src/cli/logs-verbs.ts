/**
 * `berth logs`: one or more containers' output, read once or followed, as
 * the daemon streams it. The daemon selects the lines (`--tail`, `--since`,
 * `--until`); the CLI only prints them, in time order across containers when
 * the logs are read once, and as they come when they are followed.
 */
import { once } from "node:events";
import { BerthClient } from "../client/index.js";
import { InternalError, InvalidArgError } from "../errors.js";
import type { ContainerRecord } from "../machines/index.js";
import { formatLogLine, mergeByTime, type WireLogLine } from "./log-format.js";

export interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  names?: boolean;
}

/** One container's log as it arrives: what to print before each line, and the lines. */
interface Labelled {
  container: string | undefined;
  line: WireLogLine;
}

const enc = encodeURIComponent;

/** `--tail`: a whole number of lines, or -1 (Podman's default) for all of them. */
export function tailLines(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "-1") return undefined;
  if (!/^\d{1,9}$/.test(raw.trim()))
    throw new InvalidArgError(`invalid --tail ${JSON.stringify(raw)}: use a whole number or -1`);
  return Number(raw.trim());
}

/** The daemon's query for these flags; times go as typed and are read by the daemon. */
export function logsQueryString(flags: LogsFlags): string {
  const query = new URLSearchParams();
  const tail = tailLines(flags.tail);
  if (flags.follow) query.set("follow", "1");
  if (tail !== undefined) query.set("tail", String(tail));
  if (flags.since !== undefined) query.set("since", flags.since);
  if (flags.until !== undefined) query.set("until", flags.until);
  const text = query.toString();
  return text === "" ? "" : `?${text}`;
}

/**
 * The lines of one container's answer (a JSON array, one element a line, each
 * but the first led by its comma); a cut answer throws.
 */
async function* wireLines(
  client: BerthClient,
  ref: string,
  query: string,
  container: string | undefined,
): AsyncGenerator<Labelled> {
  let complete = false;
  for await (const raw of client.lines(`/containers/${enc(ref)}/logs${query}`)) {
    if (raw === "[") continue;
    if (raw === "]") {
      complete = true;
      continue;
    }
    const line = JSON.parse(raw.startsWith(",") ? raw.slice(1) : raw) as WireLogLine;
    yield { container, line };
  }
  if (!complete) throw new InternalError("the daemon ended the log stream before its end");
}

async function print(item: Labelled, timestamps: boolean): Promise<void> {
  const { container, line } = item;
  const dest = line.stream === "stderr" ? process.stderr : process.stdout;
  const text = formatLogLine(line, {
    ...(container !== undefined ? { container } : {}),
    timestamps,
  });
  if (!dest.write(`${text}\n`)) await once(dest, "drain");
}

/**
 * Prints the logs of `refs`. With several containers each line starts with
 * the container's short id, or its name with `--names`, as in Podman.
 */
export async function logs(socket: string, refs: string[], flags: LogsFlags) {
  const client = new BerthClient({ socketPath: socket });
  const query = logsQueryString(flags);
  const labels =
    refs.length > 1
      ? await Promise.all(
          refs.map(async (ref) => {
            const r = await client.call<ContainerRecord>("GET", `/containers/${enc(ref)}`);
            return flags.names ? r.name : r.id.slice(0, 12);
          }),
        )
      : [undefined];
  const streams = refs.map((ref, i) => wireLines(client, ref, query, labels[i]));
  const timestamps = flags.timestamps ?? false;
  if (flags.follow) {
    // Followed logs have no end to sort against: each line goes out as it arrives.
    await Promise.all(
      streams.map(async (stream) => {
        for await (const item of stream) await print(item, timestamps);
      }),
    );
    return;
  }
  for await (const item of mergeByTime(streams)) await print(item, timestamps);
}
