import { describe, expect, it } from "vitest";
import type { FollowItem, LogLine } from "../../src/effects/index.js";
import { rfc3339Ms } from "../../src/events/index.js";
import { inTimeWindow, windowed, type LogWindow } from "../../src/service/log-window.js";

const line = (second: number, text = `line ${second}`): LogLine => ({
  time: `2026-01-01T00:00:${String(second).padStart(2, "0")}.500000000+00:00`,
  stream: "stdout",
  text,
});
const at = (second: number) => Date.UTC(2026, 0, 1, 0, 0, second, 500);

async function collect(items: FollowItem[], window: LogWindow): Promise<string[]> {
  async function* source() {
    // One item a turn, as a file read gives them.
    for (const item of items) yield await Promise.resolve(item);
  }
  const out: string[] = [];
  for await (const l of windowed(source(), window)) out.push(l.text);
  return out;
}

describe("reading conmon's log times", () => {
  it("reads an RFC3339Nano time with an offset, keeping the fraction below a millisecond", () => {
    expect(rfc3339Ms("2026-01-01T02:00:00.000250000+02:00")).toBeCloseTo(
      Date.UTC(2026, 0, 1) + 0.25,
      6,
    );
  });

  it("gives NaN for a time that is not RFC3339", () => {
    expect(rfc3339Ms("yesterday")).toBeNaN();
  });
});

describe("the time window of a log", () => {
  it("keeps lines at or after since and at or before until, the bounds included", () => {
    const window = { since: at(2), until: at(4) };
    expect([1, 2, 3, 4, 5].map((s) => inTimeWindow(line(s), window))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it("keeps a line whose time cannot be read rather than hiding output", () => {
    expect(inTimeWindow({ time: "garbled", stream: "stdout", text: "x" }, { since: at(9) })).toBe(
      true,
    );
  });
});

describe("selecting the lines of a log", () => {
  const lines = [1, 2, 3, 4, 5].map((s) => ({ line: line(s) }));

  it("gives the last tail lines of a log read once, oldest first", async () => {
    expect(await collect(lines, { tail: 3 })).toEqual(["line 3", "line 4", "line 5"]);
  });

  it("gives every line when the tail is longer than the log, and none for a tail of 0", async () => {
    expect(await collect(lines, { tail: 10 })).toHaveLength(5);
    expect(await collect(lines, { tail: 0 })).toEqual([]);
  });

  it("takes the tail first and filters it by time second, as Podman does", async () => {
    expect(await collect(lines, { tail: 3, until: at(3) })).toEqual(["line 3"]);
  });

  it("applies the tail to the lines before the caught-up mark and passes every later line", async () => {
    const followed: FollowItem[] = [
      ...lines,
      { caughtUp: true },
      { line: line(6) },
      { line: line(7) },
    ];
    expect(await collect(followed, { tail: 1 })).toEqual(["line 5", "line 6", "line 7"]);
  });

  it("filters followed lines by time after the mark too", async () => {
    const followed: FollowItem[] = [{ caughtUp: true }, { line: line(6) }, { line: line(9) }];
    expect(await collect(followed, { until: at(8) })).toEqual(["line 6"]);
  });
});
