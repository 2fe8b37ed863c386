/**
 * One container's life as fixed journal events, for the golden tests of the
 * CLI's history table and timeline: requests and the facts they caused, an
 * unhealthy container killed by its healthcheck, a policy restart, and a
 * refused request.
 */
import type { CloudEvent } from "../../src/events/index.js";

const ID = "0123456789ab".padEnd(64, "f");
const T0 = Date.parse("2026-03-01T10:00:00.000Z");

type Step = [seconds: number, action: string, actor: string, request: string, data: object];

const STEPS: Step[] = [
  [0, "request", "uid:0", "r1", { command: "CREATE", args: {} }],
  [0, "create", "uid:0", "r1", { name: "web", image: "localhost/busybox:latest" }],
  [5, "request", "uid:0", "r2", { command: "START", args: {} }],
  [5, "init", "uid:0", "r2", { pid: 10, conmonPid: 9 }],
  [6, "start", "uid:0", "r2", { startedAt: "", restartCount: 0 }],
  [6, "health_status", "healthcheck", "h1", { status: "starting", failingStreak: 0 }],
  [60, "request", "uid:1000", "r3", { command: "PAUSE", args: {} }],
  [60, "pause", "uid:1000", "r3", {}],
  [90, "request", "uid:1000", "r4", { command: "UNPAUSE", args: {} }],
  [90, "unpause", "uid:1000", "r4", {}],
  [120, "health_status", "healthcheck", "h2", { status: "unhealthy", failingStreak: 3 }],
  [120, "request", "healthcheck", "h3", { command: "KILL", args: {}, cause: "unhealthy" }],
  [120, "kill", "healthcheck", "h3", { signal: "SIGKILL" }],
  [121, "died", "runtime:conmon", "x1", { exitCode: 137, exitedAt: "", oomKilled: false }],
  [121, "request", "policy:restart", "restart:1", { command: "RESTART", args: {} }],
  [122, "restart", "policy:restart", "restart:1", { attempt: 1, policy: true }],
  [122, "init", "policy:restart", "restart:1", { pid: 20, conmonPid: 19 }],
  [122, "start", "policy:restart", "restart:1", { startedAt: "", restartCount: 1 }],
  [
    150,
    "request",
    "uid:1000",
    "r5",
    {
      outcome: "failure",
      command: "UNPAUSE",
      state: "running",
      error: {
        code: "CTR_STATE_INVALID",
        message:
          "container 0123456789ab is not paused: can only unpause a paused container, and this one is running",
      },
    },
  ],
  [180, "request", "uid:0", "r6", { command: "STOP", args: {} }],
  [190, "stop", "uid:0", "r6", { signal: "SIGKILL", timeout: 10, escalated: true }],
  [190, "died", "runtime:conmon", "x2", { exitCode: 137, exitedAt: "", oomKilled: false }],
];

/** The events, numbered as a journal would (this container alone, from seq 100). */
export function lifeEvents(id = ID): CloudEvent[] {
  return STEPS.map(([s, action, actor, requestid, data], i) => ({
    specversion: "1.0",
    id: `e${i}`,
    source: "berth://host",
    type: `io.berth.container.${action}`,
    subject: id,
    time: new Date(T0 + s * 1000).toISOString(),
    datacontenttype: "application/json",
    data: { outcome: "success", ...data },
    seq: 100 + i,
    version: i + 1,
    actor,
    requestid,
    prevhash: "",
    hash: "",
  }));
}

/** When the life above ends. */
export const LIFE_END = T0 + 190_000;
