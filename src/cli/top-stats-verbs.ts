/**
 * `berth top` and `berth stats`, printed as Podman prints them.
 */
import { BerthClient } from "../client/index.js";
import type { ContainerStats, TopResult } from "../service/index.js";
import { FormatInvalidError, InvalidArgError } from "../errors.js";
import type { ContainerRecord } from "../machines/index.js";
import { table } from "./format.js";
import { outputFormat } from "./output-format.js";

const client = (socket: string) => new BerthClient({ socketPath: socket });
const enc = encodeURIComponent;

/** Podman's top descriptors that berth reads, by the header each fills. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  user: "USER",
  pid: "PID",
  ppid: "PPID",
  pcpu: "%CPU",
  etime: "ELAPSED",
  tty: "TTY",
  time: "TIME",
  args: "COMMAND",
  comm: "COMMAND",
  group: "GROUP",
};

/** Podman's default descriptors: what top shows when none are named. */
const DEFAULT_DESCRIPTORS = ["user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"];

/** The columns that `descriptors` (`pid,args` or `pid args`) choose; none: Podman's default ones. */
export function topColumns(descriptors: string[]): string[] {
  const named = descriptors.flatMap((d) => d.split(",")).filter((d) => d !== "");
  const words = named.length === 0 ? DEFAULT_DESCRIPTORS : named;
  return words.map((w) => {
    const header = DESCRIPTORS[w];
    if (header === undefined) {
      throw new InvalidArgError(
        `unknown top descriptor ${JSON.stringify(w)}: use ${Object.keys(DESCRIPTORS).join(", ")}`,
      );
    }
    return header;
  });
}

/** The table of `top` with only `columns`, in their order. */
export function topTable(result: TopResult, columns = result.headers): string {
  const index = columns.map((c) => result.headers.indexOf(c));
  return table(
    columns,
    result.processes.map((row) => index.map((i) => row[i] ?? "")),
  );
}

export async function top(s: string, ref: string, descriptors: string[]) {
  const columns = topColumns(descriptors);
  const result = await client(s).call<TopResult>("GET", `/containers/${enc(ref)}/top`);
  process.stdout.write(topTable(result, columns));
}

/** Bytes as Podman's stats shows them: decimal units, three significant digits (`1.23MB`). */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? String(value) : value.toPrecision(3).replace(/\.?0+$/, "")}${units[unit]}`;
}

const STATS_HEADERS = [
  "ID",
  "NAME",
  "CPU %",
  "MEM USAGE / LIMIT",
  "MEM %",
  "NET IO",
  "BLOCK IO",
  "PIDS",
];

/** Podman's stats table. */
export function statsTable(lines: ContainerStats[]): string {
  return table(
    STATS_HEADERS,
    lines.map((l) => [
      l.id.slice(0, 12),
      l.name,
      `${l.cpuPercent.toFixed(2)}%`,
      `${humanSize(l.memUsage)} / ${humanSize(l.memLimit)}`,
      `${l.memPercent.toFixed(2)}%`,
      `${humanSize(l.netInput)} / ${humanSize(l.netOutput)}`,
      `${humanSize(l.blockInput)} / ${humanSize(l.blockOutput)}`,
      String(l.pids),
    ]),
  );
}

async function sample(s: string, refs: string[]): Promise<ContainerStats[]> {
  const c = client(s);
  const names =
    refs.length > 0
      ? refs
      : (await c.call<ContainerRecord[]>("GET", "/containers"))
          .filter((r) => r.state === "running")
          .map((r) => r.id);
  return Promise.all(
    names.map((ref) => c.call<ContainerStats>("GET", `/containers/${enc(ref)}/stats`)),
  );
}

export async function stats(s: string, refs: string[], opts: { stream: boolean; format?: string }) {
  // An unknown format is refused before the first sample, never answered with the table.
  if (outputFormat(opts.format ?? "table").kind === "template")
    throw new FormatInvalidError("stats --format takes table or json");
  const print = (lines: ContainerStats[]) =>
    opts.format === "json" ? `${JSON.stringify(lines, null, 2)}\n` : statsTable(lines);
  if (!opts.stream) {
    process.stdout.write(print(await sample(s, refs)));
    return;
  }
  // Until interrupted (Ctrl-C ends the process); a terminal is redrawn, a pipe gets each table.
  for (;;) {
    const text = print(await sample(s, refs));
    process.stdout.write(process.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
