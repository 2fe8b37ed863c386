/**
 * Human output: aligned tables and one-line events.
 */
import type { ContainerRecord } from "../machines/index.js";
import type { CloudEvent } from "../events/index.js";
import { actionOf } from "../events/index.js";

export function table(header: string[], rows: string[][]): string {
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
  if (r.state === "running") return `Up since ${r.startedAt ?? "?"}`;
  return r.state[0]!.toUpperCase() + r.state.slice(1);
}

export function psTable(records: ContainerRecord[]): string {
  return table(
    ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"],
    records.map((r) => [
      short(r.id),
      r.image,
      r.command.join(" ").slice(0, 30),
      r.createdAt,
      statusOf(r),
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
  const data = e.data as { outcome?: string; error?: { message?: string } };
  return data.outcome === "failure" ? `failure: ${data.error?.message ?? ""}` : "success";
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
  const data = e.data as { exitCode?: number; signal?: string };
  const extra =
    data.exitCode !== undefined
      ? ` exitCode=${data.exitCode}`
      : data.signal
        ? ` signal=${data.signal}`
        : "";
  return `${e.time} #${e.seq} container ${actionLabel(e)} ${short(e.subject)} v${e.version} (${outcomeOf(e)}${extra}, actor=${e.actor})\n`;
}
