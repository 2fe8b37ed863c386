/**
 * How `berth logs` prints a line, as Podman's `LogLine.String` does: the
 * container (its name with `--names`, else its short id) when several are
 * shown, then the time with `-t`, then the text. And the order lines of
 * several containers take when the log is read once: by their times.
 */
import { rfc3339Ms } from "../events/index.js";

/** One line of a container's log as the daemon sends it. */
export interface WireLogLine {
  time: string;
  stream: "stdout" | "stderr";
  text: string;
}

const TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * conmon's time as Go's `time.RFC3339Nano` prints it, which is what Podman
 * shows: trailing zeros of the fraction dropped (and the dot with them), and
 * a zero offset written `Z`. A time in another form is printed as it came.
 */
export function rfc3339Nano(time: string): string {
  const m = TIME.exec(time);
  if (!m) return time;
  const [, whole = "", fraction = "", zone = ""] = m;
  const digits = fraction.replace(/0+$/, "");
  const offset = zone === "+00:00" || zone === "-00:00" ? "Z" : zone;
  return `${whole}${digits ? `.${digits}` : ""}${offset}`;
}

export interface LinePrefix {
  /** The container's name or short id, when several containers are shown. */
  container?: string;
  timestamps: boolean;
}

/** The line as printed, without its newline. */
export function formatLogLine(line: WireLogLine, prefix: LinePrefix): string {
  const parts: string[] = [];
  if (prefix.container !== undefined) parts.push(prefix.container);
  if (prefix.timestamps) parts.push(rfc3339Nano(line.time));
  parts.push(line.text);
  return parts.join(" ");
}

/** A comparable instant of a line's time; a time that cannot be read sorts last. */
function lineInstant(time: string): number {
  const at = rfc3339Ms(time);
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}

/**
 * The lines of several logs, each already in time order, as one sequence in
 * time order; a tie goes to the log given first. Only one line of each log
 * is held at a time.
 */
export async function* mergeByTime<T extends { line: WireLogLine }>(
  sources: AsyncIterable<T>[],
): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  try {
    for (;;) {
      let best = -1;
      let bestAt = Number.POSITIVE_INFINITY;
      heads.forEach((head, i) => {
        if (head.done) return;
        const at = lineInstant(head.value.line.time);
        if (best === -1 || at < bestAt) {
          best = i;
          bestAt = at;
        }
      });
      if (best === -1) return;
      const head = heads[best]!;
      if (!head.done) yield head.value;
      heads[best] = await iterators[best]!.next();
    }
  } finally {
    await Promise.all(
      iterators.map(async (it) => {
        await it.return?.();
      }),
    );
  }
}
