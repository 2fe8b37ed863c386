/**
 * Conformance with the seed API (libpod's container_api.go): every state ×
 * operation pair, with the state it ends in or the exact error. Effects are
 * in-memory; the real runtime is covered by the model-based integration test.
 * Rows marked `berth:` are where the seed is silent or berth decides otherwise.
 */
import { describe, expect, it } from "vitest";
import { transition } from "xstate";
import type { CommandBody, ContainerState } from "../../src/machines/index.js";
import { argsOf, containerMachine, rejection } from "../../src/machines/index.js";
import { given, recordIn } from "../support/given.js";

const ID = "c".repeat(64);
const improper = (m: string) => ({
  error: `${m}: container state improper`,
  code: "CTR_STATE_INVALID",
});
const removed = { error: "container has already been removed", code: "CTR_REMOVED" };

type Expect =
  ContainerState | { error: string; code: string } | { fails: string; stays: ContainerState };

const ops = {
  init: { type: "INIT" },
  start: { type: "START" },
  restart: { type: "RESTART" },
  stop: { type: "STOP" },
  kill: { type: "KILL", signal: "SIGTERM" },
  pause: { type: "PAUSE" },
  unpause: { type: "UNPAUSE" },
  attach: { type: "ATTACH" },
  mount: { type: "MOUNT" },
  unmount: { type: "UNMOUNT", force: false },
  export: { type: "EXPORT", path: "/tmp/rootfs.tar" },
  cleanup: { type: "CLEANUP" },
  sync: { type: "SYNC" },
  checkpoint: { type: "CHECKPOINT", options: {} },
  restore: { type: "RESTORE", options: {} },
  rm: { type: "REMOVE", force: false },
  "rm -f": { type: "REMOVE", force: true },
  exec: {
    type: "EXEC_CREATE",
    session: {
      id: "e".repeat(64),
      command: ["true"],
      env: [],
      tty: false,
      stdin: false,
      detach: true,
    },
  },
} satisfies Record<string, CommandBody>;
type Op = keyof typeof ops;

const notStartable = improper(`container ${ID} must be in Created or Stopped state to be started`);
const alreadyCreated = improper(`container ${ID} has already been created in runtime`);
const attachOnly = improper("can only attach to created or running containers");
const noCheckpoint = improper(
  "a complete checkpoint for this container cannot be found, cannot restore",
);
const stopped = { error: "container is stopped", code: "CTR_STOPPED" };
const killOnly = (s: string) =>
  improper(`can only kill running containers. ${ID} is in state ${s}`);
const stopOnly = (s: string) =>
  improper(`can only stop created or running containers. ${ID} is in state ${s}`);
const cantPause = (s: string) => improper(`"${s}" is not running, can't pause`);
const notPaused = improper(`"${ID}" is not paused, can't unpause`);
const noCheckpointRun = (s: string) => improper(`"${s}" is not running, cannot checkpoint`);
const refuseCleanup = improper(`container ${ID} is running or paused, refusing to clean up`);
const execOnRunning = improper("can only create exec sessions on running containers");
const criu = { fails: "UNSUPPORTED", stays: "running" as const };

/** Expected outcome per state and operation; the seed's text where it has one. */
const table: Record<ContainerState, Record<Op, Expect>> = {
  configured: {
    init: "created",
    start: "running", // seed: Start initialises a configured container first
    restart: "running",
    stop: stopOnly("configured"),
    kill: killOnly("configured"),
    pause: cantPause("configured"),
    unpause: notPaused,
    attach: attachOnly,
    mount: "configured",
    unmount: "configured", // nothing mounted: a no-op that is still journaled
    export: "configured", // berth: mounts for the export, then unmounts
    cleanup: "configured",
    sync: "configured", // seed: only created/running/paused/stopped query the runtime
    checkpoint: noCheckpointRun("configured"),
    restore: noCheckpoint,
    rm: "removed",
    "rm -f": "removed",
    exec: execOnRunning,
  },
  created: {
    init: alreadyCreated,
    start: "running",
    restart: "running",
    stop: "exited", // berth: stop, then the automatic cleanup, as after any exit
    kill: killOnly("created"),
    pause: cantPause("created"),
    unpause: notPaused,
    attach: "created",
    mount: "created",
    unmount: "created", // berth: the last mount of a created container may go (seed: ErrInternal)
    export: "created",
    cleanup: "configured", // berth: cleanup deletes it from the runtime, so it is configured again
    sync: "created",
    checkpoint: noCheckpointRun("created"),
    restore: noCheckpoint,
    rm: "removed",
    "rm -f": "removed",
    exec: execOnRunning,
  },
  running: {
    init: alreadyCreated,
    start: notStartable,
    restart: "running",
    stop: "exited",
    kill: "running", // the exit arrives later, as an observation
    pause: "paused",
    unpause: notPaused,
    attach: "running",
    mount: "running",
    unmount: improper(`cannot unmount storage for container ${ID} as it is running or paused`),
    export: "running",
    cleanup: refuseCleanup,
    sync: "running",
    checkpoint: criu, // criu check fails on this host: journaled as a failure, still running
    restore: improper(`container ${ID} is running or paused, cannot restore`),
    rm: improper(
      `cannot remove container ${ID} as it is running - running or paused containers cannot be removed without force`,
    ),
    "rm -f": "removed",
    exec: "running",
  },
  paused: {
    init: alreadyCreated,
    start: notStartable,
    restart: improper("unable to restart a container in a paused or unknown state"),
    stop: stopOnly("paused"),
    kill: "paused", // berth: the seed's TODO; current Podman allows it
    pause: improper(`"${ID}" is already paused`),
    unpause: "running",
    attach: attachOnly,
    mount: "paused",
    unmount: improper(`cannot unmount storage for container ${ID} as it is running or paused`),
    export: "paused",
    cleanup: refuseCleanup,
    sync: "paused",
    checkpoint: noCheckpointRun("paused"),
    restore: improper(`container ${ID} is running or paused, cannot restore`),
    rm: improper(
      `cannot remove container ${ID} as it is paused - running or paused containers cannot be removed without force`,
    ),
    "rm -f": "removed",
    exec: execOnRunning,
  },
  stopped: {
    init: "created", // seed: Init re-initialises a stopped container
    start: "running",
    restart: "running",
    stop: stopped,
    kill: killOnly("stopped"),
    pause: cantPause("stopped"),
    unpause: notPaused,
    attach: attachOnly,
    mount: "stopped",
    unmount: "stopped",
    export: "stopped",
    cleanup: "exited",
    sync: "exited", // berth: a sync that finds it stopped finishes the pending cleanup
    checkpoint: noCheckpointRun("stopped"),
    restore: noCheckpoint,
    rm: "removed",
    "rm -f": "removed",
    exec: execOnRunning,
  },
  exited: {
    init: "created",
    start: "running",
    restart: "running",
    stop: stopped,
    kill: killOnly("exited"),
    pause: cantPause("exited"),
    unpause: notPaused,
    attach: attachOnly,
    mount: "exited",
    unmount: "exited",
    export: "exited",
    cleanup: "exited",
    sync: "exited",
    checkpoint: noCheckpointRun("exited"),
    restore: noCheckpoint,
    rm: "removed",
    "rm -f": "removed",
    exec: execOnRunning,
  },
  removing: {
    init: alreadyCreated,
    start: notStartable,
    restart: improper("unable to restart a container in a paused or unknown state"),
    stop: stopOnly("removing"),
    kill: killOnly("removing"),
    pause: cantPause("removing"),
    unpause: notPaused,
    attach: attachOnly,
    mount: improper(`cannot mount container ${ID} as it is being removed`),
    unmount: improper(`container ${ID} is being removed`),
    export: improper(`cannot mount container ${ID} as it is being removed`),
    cleanup: refuseCleanup,
    sync: improper(`container ${ID} is being removed`), // berth: nothing to compare mid-removal
    checkpoint: noCheckpointRun("removing"),
    restore: noCheckpoint,
    rm: "removed", // berth: a failed removal is retried by removing again
    "rm -f": "removed",
    exec: execOnRunning,
  },
  removed: Object.fromEntries(Object.keys(ops).map((op) => [op, removed])) as Record<Op, Expect>,
};

/** The runtime agrees with the record, so sync finds nothing to correct. */
const agreeingSync = {
  syncContainer: ({ record }: { record: { state: ContainerState } }) =>
    Promise.resolve({
      runtime: record.state === "configured" || record.state === "exited" ? "absent" : record.state,
    }),
};

describe("conformance with the seed API", () => {
  for (const [state, row] of Object.entries(table) as [ContainerState, Record<Op, Expect>][]) {
    for (const [op, expected] of Object.entries(row) as [Op, Expect][]) {
      const command: CommandBody = ops[op];
      if (typeof expected === "string") {
        it(`${op} on a ${state} container ends ${expected}`, async () => {
          const record = recordIn(state, { startedAt: "2026-01-01T00:00:00.000Z" });
          expect(rejection(record, command)).toBeUndefined();
          const then = await given(record, agreeingSync).when(command);
          expect(then.error).toBeUndefined();
          expect(then.state).toBe(expected);
        });
      } else if ("error" in expected) {
        it(`${op} on a ${state} container fails: ${expected.error}`, async () => {
          const record = recordIn(state);
          const err = rejection(record, command);
          expect(err?.message).toBe(expected.error);
          expect(err?.code).toBe(expected.code);
          if (state === "removed") return;
          // The machine refuses on its own: the refusal journaled, the state kept, the rule's error.
          const then = await given(record).when(command);
          expect(then.state).toBe(state);
          expect(then.error).toEqual({ code: expected.code, message: expected.error });
          expect(then.persisted).toEqual([
            {
              action: "request",
              data: {
                outcome: "failure",
                error: then.error,
                state,
                command: command.type,
                args: argsOf(command),
              },
            },
          ]);
        });
      } else {
        it(`${op} on a ${state} container fails with ${expected.fails} and stays ${expected.stays}`, async () => {
          const then = await given(recordIn(state)).when(command);
          expect(then.error?.code).toBe(expected.fails);
          expect(then.state).toBe(expected.stays);
          expect(then.persisted.map((f) => f.data.outcome)).toEqual(["success", "failure"]);
        });
      }
    }
  }
});

describe("the machine and the rules agree", () => {
  const resting: [string, Record<string, string> | string, ContainerState][] = [
    ...(
      ["configured", "created", "running", "paused", "stopped", "exited", "removing"] as const
    ).map(
      (s) => [`${s}.idle`, { [s]: "idle" }, s] as [string, Record<string, string>, ContainerState],
    ),
    ["exited.backoff", { exited: "backoff" }, "exited"],
  ];
  const bodies: CommandBody[] = [...Object.values(ops), { type: "RECONCILE" }];
  for (const [name, value, state] of resting) {
    it(`handles every command the rules allow while resting in ${name}`, () => {
      const record = recordIn(state, {
        restartPolicy: { name: "always", maxRetries: 0 },
        exitCode: 1,
        checkpoint: "/ckpt",
      });
      const machine = containerMachine;
      const snapshot = machine.resolveState({ value, context: { record, facts: [] } });
      const ignored = bodies
        .filter((b) => rejection(record, b) === undefined)
        .filter((b) => {
          const [next] = transition(machine, snapshot, {
            ...b,
            meta: { actor: "t", requestId: "r" },
          });
          return JSON.stringify(next.value) === JSON.stringify(snapshot.value);
        })
        .map((b) => b.type);
      expect(ignored).toEqual([]);
    });
  }
});

/**
 * The seed's refusals while exec sessions run (Unmount, Cleanup; Podman's
 * removal without force). A session lives only while its container runs, but
 * the record can still hold one after an exit whose deaths are not yet
 * journaled, hence the other states. berth asks the exec rule of rm and
 * unmount before the state rule (the seed asks it after), as it names the cause.
 */
describe("conformance while an exec session runs", () => {
  const session = { id: "e".repeat(64), command: ["sleep", "100"], pid: 4242 };
  const activeExec = (doing: string) =>
    improper(`container ${ID} has active exec sessions, refusing to ${doing}`);
  const withSession: [ContainerState, Op, Expect][] = [
    ["running", "rm", activeExec("remove")],
    ["running", "unmount", activeExec("unmount")],
    ["running", "cleanup", refuseCleanup],
    ["paused", "rm", activeExec("remove")],
    ["stopped", "cleanup", activeExec("clean up")],
    ["exited", "unmount", activeExec("unmount")],
    ["running", "rm -f", "removed"],
    ["running", "exec", "running"],
    ["running", "stop", "exited"],
  ];
  for (const [state, op, expected] of withSession) {
    const label = typeof expected === "string" ? `ends ${expected}` : `fails`;
    it(`${op} on a ${state} container with a session ${label}`, async () => {
      const record = recordIn(state, {
        execSessions: [session],
        startedAt: "2026-01-01T00:00:00.000Z",
      });
      const then = await given(record, agreeingSync).when(ops[op]);
      if (typeof expected === "string") {
        expect(then.error).toBeUndefined();
        expect(then.state).toBe(expected);
      } else if ("error" in expected) {
        expect(then.error).toEqual({ code: expected.code, message: expected.error });
        expect(then.state).toBe(state);
      }
    });
  }

  it("journals the death of every session ahead of its container's died", async () => {
    const record = recordIn("running", {
      execSessions: [session, { ...session, id: "f".repeat(64) }],
      startedAt: "2026-01-01T00:00:00.000Z",
    });
    const then = await given(record).when(ops.stop);
    const actions = then.persisted.map((f) => f.action);
    const died = actions.indexOf("died");
    expect(actions.slice(died - 2, died)).toEqual(["exec_died", "exec_died"]);
    expect(then.persisted.filter((f) => f.action === "exec_died").map((f) => f.data)).toEqual([
      { sessionId: session.id, exitCode: 137, cause: "container-exit", outcome: "success" },
      { sessionId: "f".repeat(64), exitCode: 137, cause: "container-exit", outcome: "success" },
    ]);
    expect(then.record.execSessions).toBeUndefined();
  });

  it("drops the exit of a session the record no longer holds, journaling nothing", async () => {
    const record = recordIn("running");
    const then = await given(record).when({
      type: "EXEC_EXITED",
      exit: { sessionId: session.id, exitCode: 0 },
    });
    expect(then.persisted).toEqual([]);
    expect(then.state).toBe("running");
  });
});
