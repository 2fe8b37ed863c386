/**
 * Human output: aligned tables, and the escaping every printer uses
 * (history, timeline and event lines are in their own files).
 */
import { publishedPorts, type ContainerRecord, type PortMapping } from "../machines/index.js";
import { humanAgo, humanDuration } from "../events/index.js";

/**
 * Control characters that a terminal would act on: C0 (ESC, BEL, CR, ...),
 * DEL, C1 (including the one-byte CSI), and the bidi overrides and isolates
 * that reorder what is shown. A container's command, name, labels and the
 * actor are chosen by callers, so they must never reach the terminal raw.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character shown as an escape, `\x1b` style for
 * one byte and `\u202e` style beyond, as Docker's `strconv.Quote`d columns
 * do (a tab too, which would break a table's columns); everything else is
 * unchanged. Every table and line
 * printer of the CLI goes through it.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

export function table(header: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

const short = (id: string) => id.slice(0, 12);

/** Podman's STATUS words for a state: a never-started container is "Created", as Podman calls it. */
const STATE_WORDS: Partial<Record<ContainerRecord["state"], string>> = { configured: "Created" };

/**
 * Podman's STATUS cell: "Up 3 seconds (healthy)", "Exited (0) 2 minutes ago",
 * "Created", "Paused", as seen at `now`.
 */
export function statusOf(r: ContainerRecord, now = Date.now()): string {
  if (r.state === "exited" || r.state === "stopped") {
    const ago = r.finishedAt !== undefined ? ` ${humanAgo(r.finishedAt, now)}` : "";
    return `Exited (${r.exitCode ?? "?"})${ago}`;
  }
  if (r.state === "running") {
    // Podman and Docker put the health after the uptime, only while the container runs.
    const health = r.healthcheck && r.health ? ` (${r.health.status})` : "";
    const since = r.startedAt !== undefined ? Date.parse(r.startedAt) : now;
    return `Up ${humanDuration(Math.max(0, now - since))}${health}`;
  }
  return STATE_WORDS[r.state] ?? r.state[0]!.toUpperCase() + r.state.slice(1);
}

/** Podman's COMMAND cell: cut to 17 characters, and then marked as cut, unless `noTrunc`. */
export function commandCell(r: ContainerRecord, noTrunc = false): string {
  const command = r.command.join(" ");
  // A blank just before the mark would read as the command's end.
  return noTrunc || command.length <= 17 ? command : `${command.slice(0, 17).trimEnd()}…`;
}

/** A container id as ps shows it: 12 characters unless `noTrunc`. */
export const idCell = (id: string, noTrunc = false) => (noTrunc ? id : short(id));

/**
 * Podman's PORTS cell: `0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp`. A
 * `-p 80` whose host port is chosen only when the network is set up shows as
 * `80/tcp` until then, since no host port is known yet.
 */
export function portsCell(ports: PortMapping[]): string {
  return ports
    .map((p) =>
      p.hostPort === 0
        ? `${p.containerPort}/${p.protocol}`
        : `${p.hostIp ?? "0.0.0.0"}:${p.hostPort}->${p.containerPort}/${p.protocol}`,
    )
    .join(", ");
}

/** What ps's table depends on besides the records: the clock, and `--no-trunc`. */
export interface PsTableOptions {
  now?: number;
  noTrunc?: boolean;
}

/** `berth ps` as Podman prints it, times relative to `now`. */
export function psTable(records: ContainerRecord[], opts: PsTableOptions = {}): string {
  const now = opts.now ?? Date.now();
  return table(
    ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
    records.map((r) => [
      idCell(r.id, opts.noTrunc),
      r.image,
      commandCell(r, opts.noTrunc),
      humanAgo(r.createdAt, now),
      statusOf(r, now),
      portsCell(publishedPorts(r)),
      r.name,
    ]),
  );
}
