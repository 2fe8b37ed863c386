import { describe, expect, it } from "vitest";
import { given, recordIn } from "../support/given.js";

const actions = (facts: { action: string }[]) => facts.map((f) => f.action);

describe("container machine", () => {
  it("creates a configured container in the runtime on init", async () => {
    const then = await given(recordIn("configured")).when({ type: "INIT" });
    expect(then.state).toBe("created");
    expect(then.record.pid).toBe(42);
    expect(actions(then.persisted)).toEqual(["init"]);
  });

  it("initialises then starts a configured container on start", async () => {
    const then = await given(recordIn("configured")).when({ type: "START" });
    expect(then.state).toBe("running");
    expect(actions(then.persisted)).toEqual(["init", "start"]);
  });

  it("deletes, re-creates and starts a stopped container on start", async () => {
    const then = await given(recordIn("stopped", { exitCode: 1 })).when({ type: "START" });
    expect(then.state).toBe("running");
    expect(then.record.exitCode).toBeUndefined();
    expect(actions(then.persisted)).toEqual(["cleanup", "init", "start"]);
  });

  it("stops a running container, records its exit and cleans it up", async () => {
    const then = await given(recordIn("running", { pid: 42 })).when({ type: "STOP" });
    expect(then.state).toBe("exited");
    expect(then.record.exitCode).toBe(0);
    expect(then.record.stoppedByUser).toBe(true);
    expect(actions(then.persisted)).toEqual(["stop", "died", "cleanup"]);
  });

  it("turns an exit observation into died and cleanup", async () => {
    const exit = { exitCode: 7, exitedAt: "2026-01-01T00:00:03.000Z", oomKilled: false };
    const then = await given(recordIn("running")).when({ type: "EXITED", exit });
    expect(then.state).toBe("exited");
    expect(then.record.exitCode).toBe(7);
    expect(then.record.stoppedByUser).toBe(false);
    expect(actions(then.persisted)).toEqual(["died", "cleanup"]);
  });

  it("pauses a running container and unpauses a paused one", async () => {
    expect((await given(recordIn("running")).when({ type: "PAUSE" })).state).toBe("paused");
    expect((await given(recordIn("paused")).when({ type: "UNPAUSE" })).state).toBe("running");
  });

  it("stays running after a kill, marked as stopped by the user", async () => {
    const then = await given(recordIn("running")).when({ type: "KILL", signal: "SIGUSR1" });
    expect(then.state).toBe("running");
    expect(then.record.stoppedByUser).toBe(true);
    expect(then.persisted).toEqual([
      { action: "kill", data: { signal: "SIGUSR1", outcome: "success" } },
    ]);
  });

  it("force-removes a running container, recording its stop and its death", async () => {
    const then = await given(recordIn("running")).when({ type: "REMOVE", force: true });
    expect(then.state).toBe("removed");
    expect(actions(then.persisted)).toEqual(["stop", "died", "cleanup", "remove"]);
  });

  it("ignores a remove of a running container without force", async () => {
    const then = await given(recordIn("running")).when({ type: "REMOVE", force: false });
    expect(then.ignored).toBe(true);
    expect(then.state).toBe("running");
    expect(then.persisted).toEqual([]);
  });

  it("journals a failed effect as a failure and keeps the state", async () => {
    const failing = {
      pauseContainer: () =>
        Promise.reject(Object.assign(new Error("freezer busy"), { code: "OCI_RUNTIME" })),
    };
    const then = await given(recordIn("running"), failing).when({ type: "PAUSE" });
    expect(then.state).toBe("running");
    expect(then.error).toEqual({ code: "OCI_RUNTIME", message: "freezer busy" });
    expect(then.persisted).toEqual([
      { action: "pause", data: { outcome: "failure", error: then.error, state: "running" } },
    ]);
  });

  it("leaves a container whose removal failed in removing, so remove can be retried", async () => {
    const failing = { removeContainer: () => Promise.reject(new Error("device busy")) };
    const then = await given(recordIn("exited"), failing).when({ type: "REMOVE", force: false });
    expect(then.state).toBe("removing");
    const retry = await given(then.record).when({ type: "REMOVE", force: false });
    expect(retry.state).toBe("removed");
  });

  it("does not move when the journal cannot persist the facts", async () => {
    const then = await given(recordIn("running"), {}, true).when({ type: "PAUSE" });
    expect(then.state).toBe("running");
    expect(then.error?.message).toBe("disk full");
    expect(then.record.version).toBe(3);
  });
});
