/**
 * Durations in go-units' HumanDuration words, which Podman's ps prints.
 */
import { describe, expect, it } from "vitest";
import { humanAgo, humanDuration } from "../../src/events/index.js";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe("a human duration", () => {
  it.each([
    [500, "Less than a second"],
    [1 * s, "1 second"],
    [3 * s, "3 seconds"],
    [59 * s, "59 seconds"],
    [60 * s, "About a minute"],
    [119 * s, "About a minute"],
    [2 * m, "2 minutes"],
    [59 * m, "59 minutes"],
    [60 * m, "About an hour"],
    [89 * m, "About an hour"],
    [90 * m, "2 hours"],
    [47 * h, "47 hours"],
    [48 * h, "2 days"],
    [13 * d, "13 days"],
    [14 * d, "2 weeks"],
    [60 * d, "2 months"],
    [729 * d, "24 months"],
    [730 * d, "2 years"],
  ])("of %i ms reads %s", (ms, words) => {
    expect(humanDuration(ms)).toBe(words);
  });

  it("reads as ago from a time, and as now when the clock is behind it", () => {
    const now = Date.parse("2026-01-01T00:01:30Z");
    expect(humanAgo("2026-01-01T00:00:00Z", now)).toBe("About a minute ago");
    expect(humanAgo("2026-01-01T00:05:00Z", now)).toBe("Less than a second ago");
  });
});
