import { describe, expect, it } from "vitest";
import {
  CtrHasDependentsError,
  CtrStateInvalidError,
  DependencyNotRunningError,
  InternalError,
  OciRuntimeError,
  UnsupportedError,
  VersionConflictError,
} from "../../src/errors.js";
import { given, recordIn } from "../support/given.js";

const actions = (facts: { action: string }[]) => facts.map((f) => f.action);

describe("container machine", () => {
  it("creates a configured container in the runtime on init", async () => {
    const then = await given(recordIn("configured")).when({ type: "INIT" });
    expect(then.state).toBe("created");
    expect(then.record.pid).toBe(42);
    expect(actions(then.persisted)).toEqual(["request", "init"]);
  });

  it("initialises then starts a configured container on start", async () => {
    const then = await given(recordIn("configured")).when({ type: "START" });
    expect(then.state).toBe("running");
    expect(actions(then.persisted)).toEqual(["request", "init", "start"]);
  });

  it("deletes, re-creates and starts a stopped container on start", async () => {
    const then = await given(recordIn("stopped", { exitCode: 1 })).when({ type: "START" });
    expect(then.state).toBe("running");
    expect(then.record.exitCode).toBeUndefined();
    expect(actions(then.persisted)).toEqual(["request", "cleanup", "init", "start"]);
  });

  it("stops a running container, records its exit and cleans it up", async () => {
    const then = await given(recordIn("running", { pid: 42 })).when({ type: "STOP" });
    expect(then.state).toBe("exited");
    expect(then.record.exitCode).toBe(0);
    expect(then.record.stoppedByUser).toBe(true);
    expect(actions(then.persisted)).toEqual(["request", "stop", "died", "cleanup"]);
  });

  it("turns an exit observation into died and cleanup", async () => {
    const exit = { exitCode: 7, exitedAt: "2026-01-01T00:00:03.000Z", oomKilled: false };
    const then = await given(recordIn("running")).when({ type: "EXITED", exit });
    expect(then.state).toBe("exited");
    expect(then.record.exitCode).toBe(7);
    expect(then.record.stoppedByUser).toBe(false);
    expect(actions(then.persisted)).toEqual(["died", "cleanup"]);
  });

  it("marks the exit recorded once died is journaled, while the cleanup still runs, so wait can answer", async () => {
    const exit = { exitCode: 7, exitedAt: "2026-01-01T00:00:03.000Z", oomKilled: false };
    const then = await given(recordIn("running"), {
      cleanupContainer: () => new Promise(() => undefined),
    }).when({ type: "EXITED", exit }, "stopped", "exitRecorded");
    expect(then.record.exitCode).toBe(7);
    expect(actions(then.persisted)).toEqual(["died"]);
  });

  it("journals the death of a process that a cut-off restart replaced, with the code it left, and cleans up", async () => {
    const exit = { exitCode: 137, exitedAt: "2026-01-01T00:00:04.000Z", oomKilled: false };
    const then = await given(recordIn("running", { pid: 42 }), {
      syncContainer: () => Promise.resolve({ runtime: "running", exit, replaced: true }),
    }).when({ type: "RECONCILE" });
    expect(then.state).toBe("exited");
    expect(then.record.exitCode).toBe(137);
    expect(actions(then.persisted)).toEqual(["sync", "died", "cleanup"]);
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
      {
        action: "request",
        data: { command: "KILL", args: { signal: "SIGUSR1" }, outcome: "success" },
      },
      { action: "kill", data: { signal: "SIGUSR1", outcome: "success" } },
    ]);
  });

  it("force-removes a running container, recording its stop and its death", async () => {
    const then = await given(recordIn("running")).when({ type: "REMOVE", force: true });
    expect(then.state).toBe("removed");
    expect(actions(then.persisted)).toEqual(["request", "stop", "died", "cleanup", "remove"]);
  });

  it("refuses a remove of a running container without force, journaling only the refusal", async () => {
    const then = await given(recordIn("running")).when({ type: "REMOVE", force: false });
    expect(then.state).toBe("running");
    expect(then.thrown).toBeInstanceOf(CtrStateInvalidError);
    expect(actions(then.persisted)).toEqual(["request"]);
    expect(then.persisted[0]?.data.outcome).toBe("failure");
  });

  it("journals a failed effect as a failure and keeps the state", async () => {
    const failing = {
      pauseContainer: () =>
        Promise.reject(Object.assign(new Error("freezer busy"), { code: "OCI_RUNTIME" })),
    };
    const then = await given(recordIn("running"), failing).when({ type: "PAUSE" });
    expect(then.state).toBe("running");
    expect(then.error).toEqual({ code: "OCI_RUNTIME", message: "freezer busy" });
    expect(actions(then.persisted)).toEqual(["request", "pause"]);
    expect(then.persisted[1]).toEqual({
      action: "pause",
      data: { outcome: "failure", error: then.error, state: "running" },
    });
  });

  it("keeps a failed effect's error, class, stack and cause, for the caller; journals only its code and message", async () => {
    const freezer = new Error("EBUSY writing freezer.state");
    const thrown = new OciRuntimeError("freezer busy", { cause: freezer });
    const failing = { pauseContainer: () => Promise.reject(thrown) };
    const then = await given(recordIn("running"), failing).when({ type: "PAUSE" });
    expect(then.thrown).toBe(thrown);
    expect(then.thrown?.cause).toBe(freezer);
    expect(then.persisted[1]?.data).toEqual({
      outcome: "failure",
      error: { code: "OCI_RUNTIME", message: "freezer busy" },
      state: "running",
    });
  });

  it("gives an error that is not berth's the class its code names, keeping it as the cause", async () => {
    const criu = Object.assign(new Error("criu check failed"), { code: "UNSUPPORTED" });
    const failing = { checkpointContainer: () => Promise.reject(criu) };
    const then = await given(recordIn("running"), failing).when({
      type: "CHECKPOINT",
      options: {},
    });
    expect(then.thrown).toBeInstanceOf(UnsupportedError);
    expect(then.thrown?.message).toBe("criu check failed");
    expect(then.thrown?.cause).toBe(criu);
    const plain = new Error("disk on fire");
    const broken = { pauseContainer: () => Promise.reject(plain) };
    const worse = await given(recordIn("running"), broken).when({ type: "PAUSE" });
    expect(worse.thrown).toBeInstanceOf(InternalError);
    expect(worse.thrown?.cause).toBe(plain);
    expect(worse.error).toEqual({ code: "INTERNAL", message: "disk on fire" });
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

describe("container machine, issue 3 operations", () => {
  const exitAt = (exitedAt: string) => ({ exitCode: 1, exitedAt, oomKilled: false });

  it("ignores an exit file older than the current run", async () => {
    const record = recordIn("running", { startedAt: "2026-01-01T00:00:10.000Z" });
    const then = await given(record).when({
      type: "EXITED",
      exit: exitAt("2026-01-01T00:00:09.999Z"),
    });
    expect(then.ignored).toBe(true);
    expect(then.state).toBe("running");
  });

  it("restarts a running container: stop, cleanup, init, start, with the count reset", async () => {
    const then = await given(recordIn("running", { restartCount: 3 })).when({ type: "RESTART" });
    expect(then.state).toBe("running");
    expect(then.record.restartCount).toBe(0);
    expect(actions(then.persisted)).toEqual([
      "request",
      "restart",
      "stop",
      "died",
      "cleanup",
      "init",
      "start",
    ]);
  });

  it("counts mounts and forgets them all on a forced unmount", async () => {
    const once = await given(recordIn("exited")).when({ type: "MOUNT" });
    const twice = await given(once.record).when({ type: "MOUNT" });
    expect(twice.record.mountCount).toBe(2);
    const less = await given(twice.record).when({ type: "UNMOUNT", force: false });
    expect(less.record.mountCount).toBe(1);
    const none = await given(twice.record).when({ type: "UNMOUNT", force: true });
    expect(none.record.mountCount).toBe(0);
  });

  it("lets a running container's extra mount go but not the runtime's own", async () => {
    const mounted = await given(recordIn("running")).when({ type: "MOUNT" });
    const undone = await given(mounted.record).when({ type: "UNMOUNT", force: false });
    expect(undone.record.mountCount).toBe(0);
    const refused = await given(undone.record).when({ type: "UNMOUNT", force: false });
    expect(refused.error?.code).toBe("CTR_STATE_INVALID");
    expect(refused.record.mountCount).toBe(0);
  });

  it("turns a sync that finds the process gone into died and cleanup", async () => {
    const gone = {
      syncContainer: () =>
        Promise.resolve({ runtime: "stopped", exit: exitAt("2026-01-01T00:00:20.000Z") }),
    };
    const then = await given(recordIn("running"), gone).when({ type: "SYNC" });
    expect(then.state).toBe("exited");
    expect(then.record.exitCode).toBe(1);
    expect(actions(then.persisted)).toEqual(["request", "sync", "died", "cleanup"]);
  });

  it("follows the runtime when a sync finds a running container paused", async () => {
    const paused = { syncContainer: () => Promise.resolve({ runtime: "paused" }) };
    const then = await given(recordIn("running"), paused).when({ type: "SYNC" });
    expect(then.state).toBe("paused");
    expect(then.persisted[1]?.data).toMatchObject({ runtime: "paused", state: "paused" });
  });

  it("keeps a container running when checkpoint is unsupported, journaling the failure", async () => {
    const then = await given(recordIn("running")).when({ type: "CHECKPOINT", options: {} });
    expect(then.state).toBe("running");
    expect(then.error?.code).toBe("UNSUPPORTED");
    expect(then.persisted[1]).toEqual({
      action: "checkpoint",
      data: { outcome: "failure", error: then.error, state: "running" },
    });
  });

  it("journals an attach without changing state", async () => {
    const then = await given(recordIn("created")).when({ type: "ATTACH" });
    expect(then.state).toBe("created");
    expect(actions(then.persisted)).toEqual(["request", "attach"]);
  });
});

describe("container machine, intents and rejections", () => {
  it("journals the intent before the effect runs, so a failed journal runs no effect", async () => {
    let ran = false;
    const watching = {
      pauseContainer: () => {
        ran = true;
        return Promise.resolve();
      },
    };
    const then = await given(recordIn("running"), watching, true).when({ type: "PAUSE" });
    expect(ran).toBe(false);
    expect(then.state).toBe("running");
    expect(then.error?.message).toBe("disk full");
  });

  it("records who asked, from which client, with which arguments", async () => {
    const meta = { actor: "declared:uid=0(root)", requestId: "r-9", client: "http" };
    const then = await given(recordIn("running")).when({ type: "STOP", timeout: 3, meta });
    expect(then.persisted[0]).toEqual({
      action: "request",
      data: { command: "STOP", args: { timeout: 3 }, client: "http", outcome: "success" },
    });
  });

  it("refuses a request the rules forbid on its own: an audit record, the state kept, the rule's error", async () => {
    const then = await given(recordIn("exited")).when({ type: "PAUSE" });
    expect(then.state).toBe("exited");
    expect(then.record.version).toBe(4);
    expect(then.thrown).toBeInstanceOf(CtrStateInvalidError);
    const error = {
      code: "CTR_STATE_INVALID",
      message: `"exited" is not running, can't pause: container state improper`,
    };
    expect(then.error).toEqual(error);
    expect(then.persisted).toEqual([
      {
        action: "request",
        data: { outcome: "failure", error, state: "exited", command: "PAUSE", args: {} },
      },
    ]);
  });

  it("refuses a stale If-Match before the state rules, with VERSION_CONFLICT", async () => {
    const meta = { actor: "uid:0", requestId: "r-2", expectedVersion: 2 };
    const then = await given(recordIn("running")).when({ type: "PAUSE", meta });
    expect(then.state).toBe("running");
    expect(then.thrown).toBeInstanceOf(VersionConflictError);
    expect(then.persisted).toMatchObject([
      { action: "request", data: { outcome: "failure", command: "PAUSE" } },
    ]);
  });

  it("refuses a start while a required container is down, and a removal while one requires it", async () => {
    const db = recordIn("exited", { id: "d".repeat(64), createdAt: "2026-01-01T00:00:01.000Z" });
    const web = recordIn("configured", { requires: [db.id] });
    const peers = { find: (id: string) => (id === db.id ? db : undefined), live: () => [db, web] };
    const start = await given(web, {}, false, peers).when({ type: "START" });
    expect(start.thrown).toBeInstanceOf(DependencyNotRunningError);
    expect(start.state).toBe("configured");
    const remove = await given(db, {}, false, peers).when({ type: "REMOVE", force: false });
    expect(remove.thrown).toBeInstanceOf(CtrHasDependentsError);
    expect(remove.error?.message).toBe(
      `container ${db.id} has dependent containers which must be removed before it: ${web.id}`,
    );
    expect(remove.state).toBe("exited");
  });

  it("answers the refusal even when the journal cannot record it", async () => {
    const then = await given(recordIn("exited"), {}, true).when({ type: "PAUSE" });
    expect(then.state).toBe("exited");
    expect(then.thrown).toBeInstanceOf(CtrStateInvalidError);
  });

  it("drops an observation that no longer applies without journaling anything", async () => {
    const exit = { exitCode: 0, exitedAt: "2026-01-01T00:00:05.000Z", oomKilled: false };
    const then = await given(recordIn("exited")).when({ type: "EXITED", exit });
    expect(then.ignored).toBe(true);
    expect(then.persisted).toEqual([]);
  });
});
