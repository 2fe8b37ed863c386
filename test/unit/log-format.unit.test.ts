import { describe, expect, it } from "vitest";
import {
  formatLogLine,
  mergeByTime,
  rfc3339Nano,
  type WireLogLine,
} from "../../src/cli/log-format.js";
import { logsQueryString, tailLines } from "../../src/cli/logs-verbs.js";
import { InvalidArgError } from "../../src/errors.js";

const wire = (time: string, text: string): WireLogLine => ({ time, stream: "stdout", text });

describe("printing a log line as Podman does", () => {
  it("prints conmon's time as Go's RFC3339Nano: trailing zeros dropped, a zero offset as Z", () => {
    expect(rfc3339Nano("2026-01-01T10:00:00.123400000+00:00")).toBe("2026-01-01T10:00:00.1234Z");
    expect(rfc3339Nano("2026-01-01T10:00:00.000000000+02:00")).toBe("2026-01-01T10:00:00+02:00");
    expect(rfc3339Nano("not a time")).toBe("not a time");
  });

  it("starts the line with the container, then the time, then the text", () => {
    const l = wire("2026-01-01T10:00:00.500000000+00:00", "hello");
    expect(formatLogLine(l, { timestamps: false })).toBe("hello");
    expect(formatLogLine(l, { timestamps: true })).toBe("2026-01-01T10:00:00.5Z hello");
    expect(formatLogLine(l, { container: "web", timestamps: true })).toBe(
      "web 2026-01-01T10:00:00.5Z hello",
    );
  });
});

describe("merging several containers' logs", () => {
  async function* from(lines: WireLogLine[]) {
    for (const line of lines) yield await Promise.resolve({ line });
  }

  it("interleaves lines by time, across offsets, and gives a tie to the log named first", async () => {
    const a = from([
      wire("2026-01-01T10:00:01.000000000+00:00", "a1"),
      wire("2026-01-01T10:00:03.000000000+00:00", "a3"),
    ]);
    const b = from([
      wire("2026-01-01T12:00:02.000000000+02:00", "b2"),
      wire("2026-01-01T10:00:03.000000000Z", "b3"),
    ]);
    const out: string[] = [];
    for await (const { line } of mergeByTime([a, b])) out.push(line.text);
    expect(out).toEqual(["a1", "b2", "a3", "b3"]);
  });
});

describe("the CLI's logs flags", () => {
  it("reads --tail -1 as every line and refuses a tail that is not a whole number", () => {
    expect(tailLines("-1")).toBeUndefined();
    expect(tailLines("3")).toBe(3);
    expect(() => tailLines("3.5")).toThrow(InvalidArgError);
    expect(() => tailLines("-2")).toThrow(/--tail/);
  });

  it("sends follow, tail and the times as typed, and nothing for the defaults", () => {
    expect(logsQueryString({ tail: "-1" })).toBe("");
    expect(logsQueryString({ follow: true, tail: "5", since: "10m", until: "2026-01-01" })).toBe(
      "?follow=1&tail=5&since=10m&until=2026-01-01",
    );
  });
});
