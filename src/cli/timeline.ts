/**
 * `berth history --timeline C`: a container's life on a terminal. One bar of
 * its states over time, sized to the terminal, then one row per change with
 * who asked for it: requests (refused ones too), exits, policy restarts and
 * what the healthcheck did. Pure: the caller gives the width and the clock.
 */
import type { CloudEvent } from "../events/index.js";
import { actionOf } from "../events/index.js";
import { actionLabel, byRequest, errorText, failed, wordsOf } from "./event-words.js";
import { printable, table } from "./format.js";
import { clip } from "./history-format.js";

export interface TimelineOptions {
  /** Columns to fill: the terminal's, or 80 when stdout is not one. */
  width: number;
  /** Where a running or paused container's last bar ends. */
  now: number;
}

interface Segment {
  label: string;
  from: number;
}

/** A record's state as the bar names it: Podman's words, with the exit code kept. */
function podmanState(state: string, before: string | undefined): string {
  if (state === "configured") return "created";
  if (state === "stopped" || state === "exited")
    return before?.startsWith("exited") ? before : "exited";
  return state;
}

/** The state a successful fact leaves the container in, as Podman names states; undefined: unchanged. */
/** A stop or kill changes nothing by itself: the death that follows does, with its exit code. */
function stateAfter(e: CloudEvent, before: string | undefined): string | undefined {
  const d = wordsOf(e);
  switch (actionOf(e.type)) {
    case "create":
    case "init":
      return "created";
    case "start":
    case "unpause":
    case "restore":
      return "running";
    case "pause":
      return "paused";
    case "died":
      return d.exitCode === undefined ? "exited" : `exited(${d.exitCode})`;
    case "checkpoint":
      return d.keepRunning ? undefined : "checkpointed";
    case "sync":
      // Reconcile found the runtime elsewhere: the state it recorded.
      return d.state === undefined ? undefined : podmanState(d.state, before);
    case "remove":
      return "removed";
    default:
      return undefined;
  }
}

const live = (label: string) => label === "running" || label === "paused";

/** The character a state's stretch of bar is drawn with: solid while it runs. */
const fill = (label: string) => (label === "running" ? "█" : label === "paused" ? "▒" : "─");

/** "+1m05s": how long after the container's creation. */
export function offset(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return ms < 10_000 && ms % 1000 !== 0 ? `+${(ms / 1000).toFixed(2)}s` : `+${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `+${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `+${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `+${Math.floor(s / 86_400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/**
 * Columns of bar per segment, proportional to its time, at least one each;
 * the columns left over after rounding down go to the largest remainders.
 */
function barLengths(spans: number[], columns: number): number[] {
  const total = spans.reduce((a, b) => a + b, 0);
  const room = Math.max(0, columns - spans.length);
  const exact = spans.map((s) => (total > 0 ? (s / total) * room : room / spans.length));
  const lengths = exact.map((x) => 1 + Math.floor(x));
  let left = spans.length + room - lengths.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left <= 0) break;
    lengths[i] = (lengths[i] ?? 0) + 1;
    left -= 1;
  }
  return lengths;
}

/** A word of the bar: a state's name, never split, or its stretch of bar, split at a line's end. */
interface Word {
  text: string;
  splits: boolean;
}

const width_ = (s: string) => [...s].length;

/** Words joined by spaces into lines of at most `width` columns. */
function wrap(words: Word[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    const sep = line === "" ? "" : " ";
    let text = word.text;
    if (width_(line) + sep.length + width_(text) <= width) {
      line += sep + text;
      continue;
    }
    if (!word.splits) {
      if (line !== "") lines.push(line);
      line = text;
      continue;
    }
    const free = width - width_(line) - sep.length;
    if (free > 0) {
      line += sep + text.slice(0, free);
      text = text.slice(free);
    }
    lines.push(line);
    for (; text.length > width; text = text.slice(width)) lines.push(text.slice(0, width));
    line = text;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** Columns a line may lose at its end when a state's name does not fit there. */
const LINE_SLACK = 12;

function bar(segments: Segment[], end: number, width: number): string[] {
  const last = segments.at(-1);
  if (!last) return [];
  // The last state has a bar only while it lasts: a running container's runs to now.
  const drawn = live(last.label) ? segments : segments.slice(0, -1);
  const spans = drawn.map((s, i) => (segments[i + 1]?.from ?? end) - s.from);
  // Names and the spaces around each stretch; a life of many changes takes more lines.
  const fixed = segments.reduce((n, s) => n + width_(s.label) + 1, 0) + drawn.length;
  const lines = Math.max(1, Math.ceil((2 * fixed) / width));
  const room = Math.max(lines * width - fixed - (lines - 1) * LINE_SLACK, drawn.length);
  const lengths = barLengths(spans, room);
  const words = segments.flatMap((s, i): Word[] => {
    const n = lengths[i];
    const name = { text: s.label, splits: false };
    return n === undefined ? [name] : [name, { text: fill(s.label).repeat(n), splits: true }];
  });
  return wrap(words, width);
}

/** What a group of events did: the state change, the refusal, or its facts. */
function result(group: CloudEvent[], from: string | undefined, to: string | undefined): string {
  const failure = group.find(failed);
  if (failure) {
    const word = actionOf(failure.type) === "request" ? "refused" : "failed";
    // The message says more than the code in the width a row has.
    return `${word}: ${wordsOf(failure).error?.message ?? errorText(failure)}`;
  }
  if (to !== from) return from === undefined ? `${to}` : `${from} → ${to}`;
  const health = group.find((e) => actionOf(e.type) === "health_status");
  if (health) return `health: ${wordsOf(health).status ?? "?"}`;
  const facts = group.filter((e) => actionOf(e.type) !== "request").map(actionLabel);
  return facts.length > 0 ? facts.join(", ") : "no change";
}

/** What was asked, and why when berth asked on its own (a healthcheck's "unhealthy"); else what happened. */
function asked(group: CloudEvent[]): string {
  const head = group[0]!;
  const d = wordsOf(head);
  // A restart the policy asked for says so, with its attempt.
  const policy = group.find((e) => actionOf(e.type) === "restart" && wordsOf(e).policy);
  if (policy) return actionLabel(policy);
  if (actionOf(head.type) === "health_status") return "probe";
  if (actionOf(head.type) !== "request") return actionLabel(head);
  const command = d.command ?? "request";
  return d.cause ? `${command} (${d.cause})` : command;
}

/** Rows worth a reader's eye: every request, and whatever else changed the state or the health. */
const worthARow = (group: CloudEvent[], changed: boolean) =>
  changed || group.some((e) => ["request", "health_status"].includes(actionOf(e.type)));

/** The timeline of one container's stream (in journal order). */
export function timeline(events: CloudEvent[], opts: TimelineOptions): string {
  const first = events[0];
  if (!first) return "";
  const t0 = Date.parse(first.time);
  const segments: Segment[] = [];
  const rows: string[][] = [];
  let state: string | undefined;
  for (const group of byRequest(events)) {
    const from = state;
    for (const e of group) {
      const next = failed(e) ? undefined : stateAfter(e, state);
      if (next === undefined || next === state) continue;
      state = next;
      const at = Date.parse(e.time);
      // A state that lasted no time at all (a restart's init, journaled with its start) is not drawn.
      const last = segments.at(-1);
      if (last && segments.length > 1 && last.from === at) last.label = next;
      else segments.push({ label: next, from: at });
    }
    const head = group[0]!;
    if (worthARow(group, state !== from))
      rows.push([
        offset(Date.parse(head.time) - t0),
        head.actor,
        asked(group),
        result(group, from, state),
      ]);
  }
  const lastTime = Date.parse(events.at(-1)!.time);
  const end = state !== undefined && live(state) ? Math.max(opts.now, lastTime) : lastTime;
  const createEvent = events.find((e) => actionOf(e.type) === "create") ?? first;
  const create = wordsOf(createEvent) as { name?: unknown; image?: unknown };
  const who = [create.name, first.subject.slice(0, 12), create.image]
    .filter((w): w is string => typeof w === "string")
    .join("  ");
  const until = live(state ?? "") ? "now" : new Date(end).toISOString();
  const span = `${first.time} → ${until} (${offset(end - t0).slice(1)})`;
  const fit = (line: string) => clip(printable(line), opts.width);
  const changes = table(["AFTER", "BY", "WHAT", "RESULT"], rows).trimEnd().split("\n").map(fit);
  return [fit(who), fit(span), ...bar(segments, end, opts.width), "", ...changes].join("\n") + "\n";
}
