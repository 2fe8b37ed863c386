/**
 * Golden tests of `berth history` and `berth history --timeline` on one fixed
 * life (test/support/life-events.ts): requests with the facts they caused,
 * a healthcheck's kill, a policy restart and a refusal. A change to the
 * output's shape shows here as a diff a reviewer can read.
 */
import { describe, expect, it } from "vitest";
import { historyTable } from "../../src/cli/history-format.js";
import { timeline } from "../../src/cli/timeline.js";
import { LIFE_END, lifeEvents } from "../support/life-events.js";

const lines = (text: string[]) => `${text.join("\n")}\n`;

const HISTORY = lines([
  "VERSION  SEQ  TIME                      ACTION                         OUTCOME  ACTOR           ERROR",
  "1        100  2026-03-01T10:00:00.000Z  request CREATE                 success  uid:0",
  "2        101  2026-03-01T10:00:00.000Z    create                       success  uid:0",
  "3        102  2026-03-01T10:00:05.000Z  request START                  success  uid:0",
  "4        103  2026-03-01T10:00:05.000Z    init                         success  uid:0",
  "5        104  2026-03-01T10:00:06.000Z    start                        success  uid:0",
  "6        105  2026-03-01T10:00:06.000Z  health_status starting         success  healthcheck",
  "7        106  2026-03-01T10:01:00.000Z  request PAUSE                  success  uid:1000",
  "8        107  2026-03-01T10:01:00.000Z    pause                        success  uid:1000",
  "9        108  2026-03-01T10:01:30.000Z  request UNPAUSE                success  uid:1000",
  "10       109  2026-03-01T10:01:30.000Z    unpause                      success  uid:1000",
  "11       110  2026-03-01T10:02:00.000Z  health_status unhealthy        success  healthcheck",
  "12       111  2026-03-01T10:02:00.000Z  request KILL (unhealthy)       success  healthcheck",
  "13       112  2026-03-01T10:02:00.000Z    kill SIGKILL                 success  healthcheck",
  "14       113  2026-03-01T10:02:01.000Z  died (137)                     success  runtime:conmon",
  "15       114  2026-03-01T10:02:01.000Z  request RESTART                success  policy:restart",
  "16       115  2026-03-01T10:02:02.000Z    restart (policy, attempt 1)  success  policy:restart",
  "17       116  2026-03-01T10:02:02.000Z    init                         success  policy:restart",
  "18       117  2026-03-01T10:02:02.000Z    start                        success  policy:restart",
  "19       118  2026-03-01T10:02:30.000Z  request UNPAUSE                failure  uid:1000        CTR_STATE_INVALID: container 0123456789ab is not paused: ca…",
  "20       119  2026-03-01T10:03:00.000Z  request STOP                   success  uid:0",
  "21       120  2026-03-01T10:03:10.000Z    stop SIGKILL                 success  uid:0",
  "22       121  2026-03-01T10:03:10.000Z  died (137)                     success  runtime:conmon",
]);

/** The rows under the bar; a running container's are the first of them, up to its restart. */
const CHANGES = [
  "AFTER   BY              WHAT                         RESULT",
  "+0s     uid:0           CREATE                       created",
  "+5s     uid:0           START                        created → running",
  "+6s     healthcheck     probe                        health: starting",
  "+1m00s  uid:1000        PAUSE                        running → paused",
  "+1m30s  uid:1000        UNPAUSE                      paused → running",
  "+2m00s  healthcheck     probe                        health: unhealthy",
  "+2m00s  healthcheck     KILL (unhealthy)             kill SIGKILL",
  "+2m01s  runtime:conmon  died (137)                   running → exited(137)",
  "+2m01s  policy:restart  restart (policy, attempt 1)  exited(137) → running",
  "+2m30s  uid:1000        UNPAUSE                      refused: container 0123456…",
  "+3m00s  uid:0           STOP                         stop SIGKILL",
  "+3m10s  runtime:conmon  died (137)                   running → exited(137)",
];

const TIMELINE = lines([
  "web  0123456789ab  localhost/busybox:latest",
  "2026-03-01T10:00:00.000Z → 2026-03-01T10:03:10.000Z (3m10s)",
  "created ─── running ██████████████████████ paused ▒▒▒▒▒▒▒▒▒▒▒▒▒ running ████████",
  "█████ exited(137) ─ running ███████████████████████████ exited(137)",
  "",
  ...CHANGES,
]);

const RUNNING = lines([
  "web  0123456789ab  localhost/busybox:latest",
  "2026-03-01T10:00:00.000Z → now (3m10s)",
  "created ──── running █████████████████████████ paused ▒▒▒▒▒▒▒▒▒▒▒▒▒▒ running ███",
  "████████████ exited(137) ── running ███████████████████████████████",
  "",
  ...CHANGES.slice(0, 10),
]);

describe("history table", () => {
  it("puts each request's facts under it, with exit codes on died rows and errors cut to a bounded width", () => {
    expect(historyTable(lifeEvents())).toBe(HISTORY);
  });

  it("puts a request's facts under it even when an event it did not cause came between them", () => {
    const [request, create, ...rest] = lifeEvents();
    const between = { ...rest[0]!, requestid: "elsewhere" };
    const rows = historyTable([request!, between, create!]).split("\n");
    expect(rows[1]).toMatch(/^1 .* request CREATE /);
    expect(rows[2]).toMatch(/^2 .* {3}create /);
    expect(rows[3]).toMatch(/^3 .* request START /);
  });

  it("shows each error whole with --no-trunc", () => {
    const out = historyTable(lifeEvents(), { noTrunc: true });
    expect(out).toContain("can only unpause a paused container, and this one is running");
    expect(out).not.toContain("…");
  });
});

describe("history --timeline", () => {
  it("draws a stopped container's states over time, with who asked for each change", () => {
    expect(timeline(lifeEvents(), { width: 80, now: LIFE_END + 1000 })).toBe(TIMELINE);
  });

  it("runs a running container's last bar to now", () => {
    expect(timeline(lifeEvents().slice(0, 18), { width: 80, now: LIFE_END })).toBe(RUNNING);
  });

  it("keeps every line within a narrow terminal's width", () => {
    for (const width of [30, 40, 60, 120]) {
      const out = timeline(lifeEvents(), { width, now: LIFE_END });
      for (const line of out.trimEnd().split("\n"))
        expect([...line].length).toBeLessThanOrEqual(width);
    }
  });

  it("gives each state at least one column of bar however short it was", () => {
    const bar = timeline(lifeEvents(), { width: 80, now: LIFE_END })
      .split("\n")
      .slice(2, 4)
      .join(" ");
    expect(bar).toMatch(
      /created ─+ running █+ paused ▒+ running █+\s*█* exited\(137\) ─+ running █+ exited\(137\)/,
    );
  });
});
