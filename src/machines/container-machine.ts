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
import type { CommandType, ContainerCommand } from "./commands.js";
import { fact } from "./facts.js";
import { deathFacts, factsFor } from "./facts-for.js";
import { execFacts } from "./exec-facts.js";
import {
  commit,
  containerSetup,
  enterOperation,
  journalOnly,
  operation,
  refuse,
  stateId,
  unchanged,
} from "./operations.js";

const settled = ["settled"] as const;

/** Operations every live state offers: mount, unmount, export and sync. */
function shared(state: ContainerState) {
  return {
    on: {
      MOUNT: enterOperation("mount"),
      UNMOUNT: enterOperation("unmount"),
      EXPORT: enterOperation("export"),
      SYNC: enterOperation("sync"),
      RECONCILE: enterOperation("reconcile"),
      // Observations of exec sessions: the rules let through only those of a session the record holds.
      EXEC_STARTED: journalOnly("execJournal", execFacts),
      EXEC_EXITED: journalOnly("execJournal", execFacts),
    },
    states: {
      execJournal: commit(stateId(state), stateId(state)),
      mount: operation({
        effect: "mountContainer",
        action: "mount",
        toFacts: factsFor.mount,
        onSuccess: stateId(state),
        stay: state,
      }),
      unmount: operation({
        effect: "unmountContainer",
        action: "unmount",
        toFacts: factsFor.unmount,
        onSuccess: stateId(state),
        stay: state,
      }),
      export: operation({
        effect: "exportContainer",
        action: "export",
        toFacts: factsFor.export,
        onSuccess: stateId(state),
        stay: state,
      }),
      sync: operation({
        effect: "syncContainer",
        action: "sync",
        toFacts: factsFor.sync,
        onSuccess: stateId("route"),
        stay: state,
      }),
      // berth's own check, not a request: no intent, and nothing journaled when all agrees.
      reconcile: operation({
        effect: "syncContainer",
        action: "sync",
        toFacts: factsFor.sync,
        onSuccess: stateId("route"),
        stay: state,
        intent: false,
      }),
    },
  };
}

const enterRemoval = () => enterOperation(stateId("removing", "remove"));
const died = (target: string) =>
  journalOnly(target, (e: ContainerCommand) => (e.type === "EXITED" ? deathFacts(e.exit) : []));
const execCreated = (target: string) => journalOnly(target, execFacts, true);
const healthChanged = (target: string) =>
  journalOnly(target, (e: ContainerCommand) =>
    e.type === "HEALTH" ? [fact("health_status", e.report)] : [],
  );
const attached = (target: string) => journalOnly(target, () => [fact("attach", {})], true);
const cancelRestart = (target: string) =>
  journalOnly(target, () => [fact("stop", { signal: "none", timeout: 0, escalated: false })], true);

/** Every kind of command a request can be; a new command type must be listed here to compile. */
const REQUEST_TYPES = Object.keys({
  INIT: true,
  START: true,
  STOP: true,
  KILL: true,
  PAUSE: true,
  UNPAUSE: true,
  CLEANUP: true,
  REMOVE: true,
  RESTART: true,
  ATTACH: true,
  MOUNT: true,
  UNMOUNT: true,
  EXPORT: true,
  SYNC: true,
  CHECKPOINT: true,
  RESTORE: true,
  EXEC_CREATE: true,
} satisfies Record<
  Exclude<CommandType, "EXITED" | "RECONCILE" | "EXEC_STARTED" | "EXEC_EXITED" | "HEALTH">,
  true
>);

/**
 * A resting state's handlers, with the refusal ahead of each: the rules decide
 * before any operation starts, and a refused request is journaled wherever the
 * container rests, even for commands the state has no operation for. A
 * request whose goal is already met (`alreadyMet`) is journaled as answered.
 */
function refusingFirst(on: Record<string, unknown>): Record<string, unknown> {
  const handlers: Record<string, unknown> = { ...on };
  for (const type of REQUEST_TYPES) {
    const first = [refuse("refused"), unchanged("refused")];
    handlers[type] = type in on ? [...first, on[type]] : first;
  }
  return handlers;
}

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
  const resting = refusingFirst({ ...on, ...common.on });
  return {
    initial,
    states: {
      idle: { tags: settled, on: resting },
      ...ops,
      ...common.states,
      refused: commit(stateId(state), stateId(state)),
      ...extra(resting),
    },
  };
}

const start = (stay: ContainerState) =>
  operation({
    effect: "startContainer",
    action: "start",
    toFacts: factsFor.start,
    onSuccess: stateId("running"),
    stay,
  });
const restart = (stay: ContainerState) =>
  operation({
    effect: "startContainer",
    action: "restart",
    toFacts: factsFor.start,
    onSuccess: stateId("running"),
    stay,
  });
const init = (stay: ContainerState) =>
  operation({
    effect: "initContainer",
    action: "init",
    toFacts: factsFor.init,
    onSuccess: stateId("created"),
    stay,
  });
const cleanup = (stay: ContainerState, onSuccess: string) =>
  operation({
    effect: "cleanupContainer",
    action: "cleanup",
    toFacts: factsFor.cleanup,
    onSuccess,
    stay,
  });
/** CRIU's restore of a checkpoint (not the daemon's rehydration of actors). */
const restore = (stay: ContainerState) =>
  operation({
    effect: "restoreContainer",
    action: "restore",
    toFacts: factsFor.restore,
    onSuccess: stateId("running"),
    stay,
  });

/** Out of the runtime (configured, stopped, exited): init, start, restart, cleanup, restore, remove. */
function startable(state: ContainerState, cleanupTarget: string) {
  return {
    on: {
      INIT: enterOperation("init"),
      START: enterOperation("start"),
      RESTART: enterOperation("restart"),
      CLEANUP: enterOperation("cleanup"),
      RESTORE: enterOperation("restore"),
      REMOVE: enterRemoval(),
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

const configured = startable("configured", stateId("configured"));
const stopped = startable("stopped", stateId("exited"));
const exited = startable("exited", stateId("exited"));

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
  context: ({ input }) => ({ record: input.record, facts: [], peers: input.peers }),
  initial: "configured",
  states: {
    configured: live("configured", configured.on, configured.ops),
    created: live(
      "created",
      {
        START: enterOperation("start"),
        RESTART: enterOperation("restart"),
        STOP: enterOperation("stop"),
        CLEANUP: enterOperation("cleanup"),
        ATTACH: attached("attach"),
        RESTORE: enterOperation("restore"),
        REMOVE: enterRemoval(),
      },
      {
        start: start("created"),
        restart: restart("created"),
        stop: operation({
          effect: "stopContainer",
          action: "stop",
          toFacts: factsFor.stop,
          onSuccess: stateId("stopped", "autoCleanup"),
          stay: "created",
        }),
        cleanup: cleanup("created", stateId("configured")),
        attach: commit(stateId("created"), stateId("created")),
        restore: restore("created"),
      },
    ),
    running: live(
      "running",
      {
        STOP: enterOperation("stop"),
        KILL: enterOperation("kill"),
        PAUSE: enterOperation("pause"),
        RESTART: enterOperation("restart"),
        ATTACH: attached("attach"),
        CHECKPOINT: enterOperation("checkpoint"),
        EXITED: died("exit"),
        REMOVE: enterRemoval(),
        EXEC_CREATE: execCreated("execCreate"),
        HEALTH: healthChanged("health"),
      },
      {
        stop: operation({
          effect: "stopContainer",
          action: "stop",
          toFacts: factsFor.stop,
          onSuccess: stateId("stopped", "autoCleanup"),
          stay: "running",
        }),
        kill: operation({
          effect: "killContainer",
          action: "kill",
          toFacts: factsFor.kill,
          onSuccess: stateId("running"),
          stay: "running",
        }),
        pause: operation({
          effect: "pauseContainer",
          action: "pause",
          toFacts: factsFor.pause,
          onSuccess: stateId("paused"),
          stay: "running",
        }),
        restart: restart("running"),
        attach: commit(stateId("running"), stateId("running")),
        checkpoint: operation({
          effect: "checkpointContainer",
          action: "checkpoint",
          toFacts: factsFor.checkpoint,
          onSuccess: stateId("route"),
          stay: "running",
        }),
        exit: commit(stateId("stopped", "autoCleanup"), stateId("running")),
        execCreate: commit(stateId("running"), stateId("running")),
        health: commit(stateId("running"), stateId("running")),
      },
    ),
    paused: live(
      "paused",
      {
        UNPAUSE: enterOperation("unpause"),
        KILL: enterOperation("kill"),
        EXITED: died("exit"),
        REMOVE: enterRemoval(),
      },
      {
        unpause: operation({
          effect: "resumeContainer",
          action: "unpause",
          toFacts: factsFor.unpause,
          onSuccess: stateId("running"),
          stay: "paused",
        }),
        kill: operation({
          effect: "killContainer",
          action: "kill",
          toFacts: factsFor.kill,
          onSuccess: stateId("paused"),
          stay: "paused",
        }),
        exit: commit(stateId("stopped", "autoCleanup"), stateId("paused")),
      },
    ),
    stopped: live("stopped", stopped.on, {
      ...stopped.ops,
      // Reached on its own after every exit, as conmon's exit command runs `podman cleanup`;
      // part of the request or observation that ended the process, so no intent of its own.
      // Tagged "exitRecorded": the exit is journaled and the cleanup cannot change it, so
      // `wait` answers here rather than after the runc delete and unmount.
      autoCleanup: {
        ...operation({
          effect: "cleanupContainer",
          action: "cleanup",
          toFacts: factsFor.cleanup,
          onSuccess: stateId("exited", "check"),
          stay: "stopped",
          intent: false,
        }),
        tags: ["exitRecorded"],
      },
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
        cancelRestart: commit(stateId("exited", "idle"), stateId("exited", "idle")),
        policyRestart: operation({
          effect: "startContainer",
          action: "restart",
          toFacts: factsFor.start,
          onSuccess: stateId("running"),
          stay: "exited",
          onFailure: stateId("exited", "idle"),
        }),
      }),
      // A command served during the backoff (a sync, a mount, a refused request, a reconcile) comes
      // back through the policy check, so the restart the policy owes is still made. Only a user's
      // stop (cancelRestart) and a failed policy restart land in idle directly.
      "check",
    ),
    removing: {
      initial: "idle",
      states: {
        idle: { tags: settled, on: refusingFirst({ REMOVE: enterOperation("remove") }) },
        refused: commit(stateId("removing"), stateId("removing")),
        remove: operation({
          effect: "removeContainer",
          action: "remove",
          toFacts: factsFor.remove,
          onSuccess: stateId("removed"),
          stay: "removing",
        }),
      },
    },
    removed: { type: "final", tags: settled },
    // Operations whose outcome the runtime decides (sync, checkpoint) land here and go where the record says.
    route: {
      always: CONTAINER_STATES.filter((s) => s !== "removed").map((state) => ({
        guard: ({ context }: { context: { record: { state: ContainerState } } }) =>
          context.record.state === state,
        target: state === "stopped" ? stateId("stopped", "autoCleanup") : stateId(state),
      })),
    },
  },
});
