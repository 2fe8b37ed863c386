import { describe, expect, it } from "vitest";
import { autoRemoveDue, restartDelayMs, restartDue } from "../../src/machines/index.js";
import { given, recordIn } from "../support/given.js";

const exit = (exitCode: number) => ({
  type: "EXITED" as const,
  exit: { exitCode, exitedAt: "2026-01-01T00:00:05.000Z", oomKilled: false },
});
const running = (policy: string, maxRetries = 0, extra = {}) =>
  recordIn("running", {
    restartPolicy: { name: policy as "no", maxRetries },
    startedAt: "2026-01-01T00:00:01.000Z",
    ...extra,
  });
const actions = (facts: { action: string }[]) => facts.map((f) => f.action);

describe("restart policies", () => {
  it("restarts an on-failure container that exited non-zero, after a backoff, and counts it", async () => {
    const then = await given(running("on-failure", 2)).when(exit(1), "running");
    expect(then.record.restartCount).toBe(1);
    expect(actions(then.persisted)).toEqual([
      "died",
      "cleanup",
      "request",
      "restart",
      "init",
      "start",
    ]);
    expect(then.persisted[2]?.data).toMatchObject({ command: "RESTART", args: { byPolicy: true } });
    expect(then.persisted[3]?.data).toMatchObject({ attempt: 1, policy: true });
  });

  it("leaves an on-failure container that exited zero alone", async () => {
    const then = await given(running("on-failure")).when(exit(0));
    expect(then.state).toBe("exited");
    expect(actions(then.persisted)).toEqual(["died", "cleanup"]);
  });

  it("stops restarting once on-failure:N has used its retries", async () => {
    const then = await given(running("on-failure", 2, { restartCount: 2 })).when(exit(1));
    expect(then.state).toBe("exited");
  });

  it("restarts an always container even after a clean exit", async () => {
    const then = await given(running("always")).when(exit(0), "running");
    expect(then.state).toBe("running");
  });

  it("never restarts after a user's stop, whatever the policy", async () => {
    const then = await given(running("always")).when({ type: "STOP" });
    expect(then.state).toBe("exited");
    expect(then.record.stoppedByUser).toBe(true);
    expect(actions(then.persisted)).toEqual(["request", "stop", "died", "cleanup"]);
  });

  it("cancels a pending restart when the user stops the exited container", async () => {
    const exited = recordIn("exited", {
      restartPolicy: { name: "always", maxRetries: 0 },
      exitCode: 1,
    });
    expect(restartDue(exited)).toBe(true);
    const then = await given({ ...exited, restartCount: 6 }).when({ type: "STOP" });
    expect(then.state).toBe("exited");
    expect(then.record.stoppedByUser).toBe(true);
    expect(restartDue(then.record)).toBe(false);
  });

  it("backs off exponentially up to five seconds", () => {
    expect([0, 1, 2, 10].map((restartCount) => restartDelayMs({ restartCount }))).toEqual([
      100, 200, 400, 5000,
    ]);
  });
});

describe("restart count", () => {
  it("starts again from zero when the user starts the container", async () => {
    const exited = recordIn("exited", {
      restartPolicy: { name: "on-failure", maxRetries: 1 },
      restartCount: 1,
      exitCode: 1,
    });
    expect(restartDue(exited)).toBe(false);
    const then = await given(exited).when({ type: "START" });
    expect(then.record.restartCount).toBe(0);
  });
});

describe("automatic removal", () => {
  const exited = (extra = {}) =>
    recordIn("exited", { exitCode: 0, finishedAt: "2026-01-01T00:00:05.000Z", ...extra });

  it("is due for an exited autoRemove container whose policy owes no restart", () => {
    expect(autoRemoveDue(exited({ autoRemove: true }))).toBe(true);
    expect(autoRemoveDue(exited({ autoRemove: true, stoppedByUser: true, exitCode: 137 }))).toBe(
      true,
    );
  });

  it("is not due without autoRemove, before the exit, or while the policy owes a restart", () => {
    expect(autoRemoveDue(exited())).toBe(false);
    expect(autoRemoveDue(recordIn("running", { autoRemove: true }))).toBe(false);
    expect(autoRemoveDue(recordIn("stopped", { autoRemove: true, exitCode: 0 }))).toBe(false);
    expect(
      autoRemoveDue(exited({ autoRemove: true, restartPolicy: { name: "always", maxRetries: 0 } })),
    ).toBe(false);
  });
});
