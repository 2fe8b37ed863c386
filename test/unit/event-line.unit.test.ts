/**
 * `berth events` lines name the container and its image as Podman's do, even
 * for a container removed long ago, and the human outputs never hand a
 * terminal the escape sequences a caller put into a name, label or error.
 */
import { describe, expect, it } from "vitest";
import { eventLine, NameBook, type ContainerNames } from "../../src/cli/event-line.js";
import { historyTable } from "../../src/cli/history-format.js";
import { timeline } from "../../src/cli/timeline.js";
import type { CloudEvent } from "../../src/events/index.js";
import { LIFE_END, lifeEvents } from "../support/life-events.js";

// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const RED = "\x1b[31m";

const life = lifeEvents();
const create = life[1]!;
const start = life[4]!;
const health = life[10]!;

describe("event lines", () => {
  it("carry the container's image and name as Podman's do", () => {
    const line = eventLine(start, { name: "web", image: "localhost/busybox:latest" });
    expect(line).toBe(
      "2026-03-01T10:00:06.000Z #104 container start 0123456789ab v5 (image=localhost/busybox:latest, name=web, success, actor=uid:0)\n",
    );
  });

  it("show a health change as health_status=, as Podman's do", () => {
    expect(eventLine(health, { name: "web", image: "busybox" })).toContain(
      "(image=busybox, name=web, health_status=unhealthy, success, actor=healthcheck)",
    );
  });

  it("show an exit code and who asked why", () => {
    expect(eventLine(life[13]!)).toContain(" died 0123456789ab v14 (success, exitCode=137, ");
    expect(eventLine(life[11]!)).toContain(" request KILL (unhealthy) 0123456789ab ");
  });
});

describe("the CLI's book of container names", () => {
  it("learns a name from its create event and asks the daemon only for containers it has not seen", async () => {
    const asked: string[] = [];
    const book = new NameBook((id) => {
      asked.push(id);
      return Promise.resolve<ContainerNames>({ name: "old", image: "busybox" });
    });
    const removedLongAgo = { ...start, subject: "f".repeat(64) };
    await book.learn([create, start, removedLongAgo, removedLongAgo]);
    await book.learn([{ ...removedLongAgo, seq: 999 }]);
    expect(book.of(start)).toEqual({ name: "web", image: "localhost/busybox:latest" });
    expect(book.of(removedLongAgo)).toEqual({ name: "old", image: "busybox" });
    expect(asked).toEqual(["f".repeat(64)]);
  });

  it("prints a line without a name when the daemon does not know the container", async () => {
    const book = new NameBook(() => Promise.reject(new Error("no such container")));
    await book.learn([start]);
    expect(eventLine(start, book.of(start))).toContain(" v5 (success, actor=uid:0)");
  });
});

describe("escape sequences in what callers chose", () => {
  const named = (e: CloudEvent): CloudEvent =>
    e.type.endsWith(".create")
      ? { ...e, data: { ...e.data, name: `web${RED}`, image: `img${RED}` } }
      : e.type.endsWith(".request") && e.data.outcome === "failure"
        ? { ...e, actor: `declared:${RED}x`, data: { ...e.data, error: { message: `no${RED}` } } }
        : e;
  const events = life.map(named);

  it("are shown as text in the history table, with and without --no-trunc", () => {
    for (const out of [historyTable(events), historyTable(events, { noTrunc: true })]) {
      expect(out).not.toMatch(RAW);
      expect(out).toContain("declared:\\x1b[31mx");
      expect(out).toContain("no\\x1b[31m");
    }
  });

  it("are shown as text in the timeline", () => {
    const out = timeline(events, { width: 100, now: LIFE_END });
    expect(out).not.toMatch(RAW);
    expect(out).toContain("web\\x1b[31m  0123456789ab  img\\x1b[31m");
    expect(out).toContain("refused: no\\x1b[31m");
  });

  it("are shown as text in event lines", () => {
    const out = eventLine(start, { name: `web${RED}`, image: `img${RED}` });
    expect(out).not.toMatch(RAW);
    expect(out).toContain("image=img\\x1b[31m, name=web\\x1b[31m");
  });
});
