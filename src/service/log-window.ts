/**
 * Which lines of a container's log a reader asked for: Podman's `--tail`,
 * `--since` and `--until`. As in Podman, `tail` picks the last lines of the
 * log first and `since`/`until` then filter those, by each line's own time.
 */
import type { FollowItem, LogLine } from "../effects/index.js";
import { rfc3339Ms } from "../events/index.js";

export interface LogWindow {
  /** The last this many lines of what the log held when reading began; all of them when absent. */
  tail?: number;
  /** Lines written at or after this time, in milliseconds since the epoch. */
  since?: number;
  /** Lines written at or before this time, in milliseconds since the epoch. */
  until?: number;
}

/** Whether `line` falls within the window's times; a line whose time cannot be read is kept. */
export function inTimeWindow(line: LogLine, window: LogWindow): boolean {
  const t = rfc3339Ms(line.time);
  if (Number.isNaN(t)) return true;
  if (window.since !== undefined && t < window.since) return false;
  if (window.until !== undefined && t > window.until) return false;
  return true;
}

/** The last `size` items pushed, oldest first, in memory for `size` items only. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  push(item: T): void {
    if (this.size === 0) return;
    if (this.items.length < this.size) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.size;
  }

  drain(): T[] {
    const full = this.items.length === this.size;
    const out = full
      ? [...this.items.slice(this.next), ...this.items.slice(0, this.next)]
      : [...this.items];
    this.items.length = 0;
    this.next = 0;
    return out;
  }
}

/**
 * The lines of `items` the window lets through. With a tail, the lines before
 * the `caughtUp` mark (or the end) are held in a ring of `tail` lines; lines
 * after the mark are new output and all pass.
 */
export async function* windowed(
  items: AsyncIterable<FollowItem>,
  window: LogWindow,
): AsyncGenerator<LogLine> {
  let held = window.tail === undefined ? undefined : new Ring<LogLine>(window.tail);
  const release = function* (ring: Ring<LogLine>) {
    for (const line of ring.drain()) if (inTimeWindow(line, window)) yield line;
  };
  for await (const item of items) {
    if ("caughtUp" in item) {
      if (held) yield* release(held);
      held = undefined;
    } else if (held) held.push(item.line);
    else if (inTimeWindow(item.line, window)) yield item.line;
  }
  if (held) yield* release(held);
}

/** A plain stream of lines as follow items, for reading a log once without following it. */
export async function* asItems(lines: AsyncIterable<LogLine>): AsyncGenerator<FollowItem> {
  for await (const line of lines) yield { line };
}
