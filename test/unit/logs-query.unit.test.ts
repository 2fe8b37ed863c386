import { describe, expect, it } from "vitest";
import { MAX_LOG_TAIL } from "../../src/api/bounds.js";
import { logsQuery, logWindowOf } from "../../src/api/logs-query.js";
import { InvalidArgError } from "../../src/errors.js";

const query = (q: string) => logsQuery(new URL(`http://berth/containers/x/logs?${q}`));

describe("the logs route's query", () => {
  it("reads follow, tail and the times into a window", () => {
    const w = query("follow=1&tail=3&since=2026-01-01T00:00:00Z&until=1767225600.5");
    expect(w).toEqual({
      follow: true,
      tail: 3,
      since: Date.UTC(2026, 0, 1),
      until: 1_767_225_600_500,
    });
  });

  it("does not follow and selects every line when nothing is asked", () => {
    expect(query("")).toEqual({ follow: false });
  });

  it("refuses a parameter it does not name", () => {
    expect(() => query("lines=3")).toThrow(/lines: unknown field/);
  });

  it("refuses a follow that is neither 1 nor 0, a tail beyond its bound, and a malformed time", () => {
    expect(() => query("follow=yes")).toThrow(InvalidArgError);
    expect(() => query(`tail=${MAX_LOG_TAIL + 1}`)).toThrow(InvalidArgError);
    expect(() => query("tail=-1")).toThrow(InvalidArgError);
    expect(() => query("since=soon")).toThrow(/invalid --since/);
  });

  it("counts a duration back from now for since and forward for until", () => {
    const now = Date.UTC(2026, 0, 1, 12);
    expect(logWindowOf({ since: "10m", until: "1h" }, now)).toEqual({
      since: now - 600_000,
      until: now + 3_600_000,
    });
  });
});
