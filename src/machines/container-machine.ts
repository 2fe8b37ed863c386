/**
 * The container lifecycle machine. Top-level states are the committed states
 * of libpod; an operation in flight is a child state of the state it started
 * from, so `running.pause` reads "running, pausing". Each operation runs its
 * named effect, then the named `persist` effect, and only when the facts are
 * durable does the machine move: the live state never runs ahead of the journal.
 *
 * The machine holds no I/O. Real effects arrive through `.provide()`.
 */
import { CONTAINER_STATES, type ContainerState } from "./record.js";
import type { ContainerCommand } from "./commands.js";
import { fact } from "./facts.js";
import { factsFor } from "./facts-for.js";
import { commit, containerSetup, id, operation, record, rejected, to } from "./operations.js";

const settled = ["settled"] as const;

/** Operations every live state offers: mount, unmount, export and sync. */
function shared(state: ContainerState) {
  return {
    on: {
      MOUNT: to("mount"),
      UNMOUNT: to("unmount"),
      EXPORT: to("export"),
      SYNC: to("sync"),
      RECONCILE: to("reconcile"),
    },
    states: {
      mount: operation("mountContainer", "mount", factsFor.mount, id(state), state),
      unmount: operation("unmountContainer", "unmount", factsFor.unmount, id(state), state),
      export: operation("exportContainer", "export", factsFor.export, id(state), state),
      sync: operation("syncContainer", "sync", factsFor.sync, id("route"), state),
      // berth's own check, not a request: no intent, and nothing journaled when all agrees.
      reconcile: operation(
        "syncContainer",
        "sync",
        factsFor.sync,
        id("route"),
        state,
        id(state),
        false,
      ),
    },
  };
}

const removeOp = () => to(id("removing", "remove"));
const died = (target: string) =>
  record(target, (e: ContainerCommand) => (e.type === "EXITED" ? [fact("died", e.exit)] : []));
const attached = (target: string) => record(target, () => [fact("attach", {})], true);
const cancelRestart = (target: string) =>
  record(target, () => [fact("stop", { signal: "none", timeout: 0, escalated: false })], true);

/** A state at rest (`idle`) with its own operations and the shared ones. */
function live(
  state: ContainerState,
  on: Record<string, unknown>,
  ops: Record<string, unknown>,
  /** More child states; they get the resting handlers, for states that also rest (backoff). */
  extra: (resting: Record<string, unknown>) => Record<string, unknown> = () => ({}),
  /** Where an operation that returns to this state lands. */
  initial = "idle",
) {
  const common = shared(state);
  // A refused request is journaled wherever the container rests.
  const resting = { ...on, ...common.on, REJECT: rejected("rejected") };
  return {
    initial,
    states: {
      idle: { tags: settled, on: resting },
      ...ops,
      ...common.states,
      rejected: commit(id(state), id(state)),
      ...extra(resting),
    },
  };
}

const start = (stay: ContainerState) =>
  operation("startContainer", "start", factsFor.start, id("running"), stay);
const restart = (stay: ContainerState) =>
  operation("startContainer", "restart", factsFor.start, id("running"), stay);
const init = (stay: ContainerState) =>
  operation("initContainer", "init", factsFor.init, id("created"), stay);
const cleanup = (stay: ContainerState, target: string) =>
  operation("cleanupContainer", "cleanup", factsFor.cleanup, target, stay);
const restore = (stay: ContainerState) =>
  operation("restoreContainer", "restore", factsFor.restore, id("running"), stay);

/** Out of the runtime (configured, stopped, exited): init, start, restart, cleanup, restore, remove. */
function startable(state: ContainerState, cleanupTarget: string) {
  return {
    on: {
      INIT: to("init"),
      START: to("start"),
      RESTART: to("restart"),
      CLEANUP: to("cleanup"),
      RESTORE: to("restore"),
      REMOVE: removeOp(),
    },
    ops: {
      init: init(state),
      start: start(state),
      restart: restart(state),
      cleanup: cleanup(state, cleanupTarget),
      restore: restore(state),
    },
  };
}

const configured = startable("configured", id("configured"));
const stopped = startable("stopped", id("exited"));
const exited = startable("exited", id("exited"));

const policyRestart = containerSetup.assign(({ context }) => {
  const attempt = context.record.restartCount + 1;
  return {
    error: undefined,
    journalFailed: false,
    facts: [],
    command: {
      type: "RESTART" as const,
      byPolicy: true,
      meta: {
        actor: "policy:restart",
        requestId: `restart:${context.record.id.slice(0, 12)}:${attempt}`,
      },
    },
  };
});

/** The container lifecycle: libpod's states, each operation a child of where it starts. */
export const containerMachine = containerSetup.createMachine({
  id: "ctr",
  context: ({ input }) => ({ record: input.record, facts: [] }),
  initial: "configured",
  states: {
    configured: live("configured", configured.on, configured.ops),
    created: live(
      "created",
      {
        START: to("start"),
        RESTART: to("restart"),
        STOP: to("stop"),
        CLEANUP: to("cleanup"),
        ATTACH: attached("attach"),
        RESTORE: to("restore"),
        REMOVE: removeOp(),
      },
      {
        start: start("created"),
        restart: restart("created"),
        stop: operation(
          "stopContainer",
          "stop",
          factsFor.stop,
          id("stopped", "autoCleanup"),
          "created",
        ),
        cleanup: cleanup("created", id("configured")),
        attach: commit(id("created"), id("created")),
        restore: restore("created"),
      },
    ),
    running: live(
      "running",
      {
        STOP: to("stop"),
        KILL: to("kill"),
        PAUSE: to("pause"),
        RESTART: to("restart"),
        ATTACH: attached("attach"),
        CHECKPOINT: to("checkpoint"),
        EXITED: died("exit"),
        REMOVE: removeOp(),
      },
      {
        stop: operation(
          "stopContainer",
          "stop",
          factsFor.stop,
          id("stopped", "autoCleanup"),
          "running",
        ),
        kill: operation("killContainer", "kill", factsFor.kill, id("running"), "running"),
        pause: operation("pauseContainer", "pause", factsFor.pause, id("paused"), "running"),
        restart: restart("running"),
        attach: commit(id("running"), id("running")),
        checkpoint: operation(
          "checkpointContainer",
          "checkpoint",
          factsFor.checkpoint,
          id("route"),
          "running",
        ),
        exit: commit(id("stopped", "autoCleanup"), id("running")),
      },
    ),
    paused: live(
      "paused",
      { UNPAUSE: to("unpause"), KILL: to("kill"), EXITED: died("exit"), REMOVE: removeOp() },
      {
        unpause: operation("resumeContainer", "unpause", factsFor.unpause, id("running"), "paused"),
        kill: operation("killContainer", "kill", factsFor.kill, id("paused"), "paused"),
        exit: commit(id("stopped", "autoCleanup"), id("paused")),
      },
    ),
    stopped: live("stopped", stopped.on, {
      ...stopped.ops,
      // Reached on its own after every exit, as conmon's exit command runs `podman cleanup`;
      // part of the request or observation that ended the process, so no intent of its own.
      autoCleanup: operation(
        "cleanupContainer",
        "cleanup",
        factsFor.cleanup,
        id("exited", "check"),
        "stopped",
        id("stopped"),
        false,
      ),
    }),
    exited: live(
      "exited",
      {
        ...exited.on,
        // Only allowed while the policy owes a restart (after a daemon restart, say).
        STOP: cancelRestart("cancelRestart"),
      },
      exited.ops,
      (resting) => ({
        // Entered after the automatic cleanup of an exit: the restart policy decides whether to run again.
        check: { always: [{ guard: "restartDue", target: "backoff" }, { target: "idle" }] },
        // Rests like idle (any command is served), until the delay starts the policy's restart.
        backoff: {
          tags: settled,
          after: { restartBackoff: { target: "policyRestart", actions: policyRestart } },
          on: resting,
        },
        cancelRestart: commit(id("exited", "idle"), id("exited", "idle")),
        policyRestart: operation(
          "startContainer",
          "restart",
          factsFor.start,
          id("running"),
          "exited",
          id("exited", "idle"),
        ),
      }),
      // A command served during the backoff (a sync, a mount, a refused request, a reconcile) comes
      // back through the policy check, so the restart the policy owes is still made. Only a user's
      // stop (cancelRestart) and a failed policy restart land in idle directly.
      "check",
    ),
    removing: {
      initial: "idle",
      states: {
        idle: { tags: settled, on: { REMOVE: to("remove"), REJECT: rejected("rejected") } },
        rejected: commit(id("removing"), id("removing")),
        remove: operation("removeContainer", "remove", factsFor.remove, id("removed"), "removing"),
      },
    },
    removed: { type: "final", tags: settled },
    // Operations whose outcome the runtime decides (sync, checkpoint) land here and go where the record says.
    route: {
      always: CONTAINER_STATES.filter((s) => s !== "removed").map((state) => ({
        guard: ({ context }: { context: { record: { state: ContainerState } } }) =>
          context.record.state === state,
        target: state === "stopped" ? id("stopped", "autoCleanup") : id(state),
      })),
    },
  },
});
