/**
 * Human output: aligned tables and one-line events.
 */
import { publishedPorts, type ContainerRecord, type PortMapping } from "../machines/index.js";
import type { CloudEvent } from "../events/index.js";
import { actionOf, kindOf } from "../events/index.js";

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

export function statusOf(r: ContainerRecord): string {
  if (r.state === "exited" || r.state === "stopped")
    return `Exited (${r.exitCode ?? "?"}) ${r.finishedAt ?? ""}`.trim();
  if (r.state === "running") {
    // Podman and Docker put the health after the uptime, only while the container runs.
    const health = r.healthcheck && r.health ? ` (${r.health.status})` : "";
    return `Up since ${r.startedAt ?? "?"}${health}`;
  }
  return r.state[0]!.toUpperCase() + r.state.slice(1);
}

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

export function psTable(records: ContainerRecord[]): string {
  return table(
    ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
    records.map((r) => [
      short(r.id),
      r.image,
      r.command.join(" ").slice(0, 30),
      r.createdAt,
      statusOf(r),
      portsCell(publishedPorts(r)),
      r.name,
    ]),
  );
}

/** "request STOP" for an intent, so a timeline says what was asked. */
function actionLabel(e: CloudEvent): string {
  const action = actionOf(e.type);
  const command = (e.data as { command?: unknown }).command;
  return action === "request" && typeof command === "string" ? `request ${command}` : action;
}

function outcomeOf(e: CloudEvent): string {
  const data = e.data as { outcome?: string; error?: { message?: string }; unchanged?: string };
  if (data.outcome === "failure") return `failure: ${data.error?.message ?? ""}`;
  // An ifNeeded request that found its goal met: say so, or it reads like a change that never came.
  return data.unchanged ? `success: already ${data.unchanged}` : "success";
}

export function historyTable(events: CloudEvent[]): string {
  return table(
    ["VERSION", "SEQ", "TIME", "ACTION", "OUTCOME", "ACTOR"],
    events.map((e) => [
      String(e.version),
      String(e.seq),
      e.time,
      actionLabel(e),
      outcomeOf(e),
      e.actor,
    ]),
  );
}

export function eventLine(e: CloudEvent): string {
  const data = e.data as { exitCode?: number; signal?: string; name?: unknown; names?: unknown };
  // An image's id alone says little to a reader; its names are what they typed.
  const image = e.type.startsWith("io.berth.image.");
  const names = Array.isArray(data.names)
    ? data.names.filter((n): n is string => typeof n === "string")
    : typeof data.name === "string"
      ? [data.name]
      : [];
  const extra =
    data.exitCode !== undefined
      ? ` exitCode=${data.exitCode}`
      : data.signal
        ? ` signal=${data.signal}`
        : image && names.length > 0
          ? ` name=${names.join(",")}`
          : "";
  const line = `${e.time} #${e.seq} ${kindOf(e.type)} ${actionLabel(e)} ${short(e.subject)} v${e.version} (${outcomeOf(e)}${extra}, actor=${e.actor})`;
  return `${printable(line)}\n`;
}
