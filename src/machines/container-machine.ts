/**
 * The container lifecycle machine. Top-level states are the committed states
 * of libpod; an operation in flight is a child state of the state it started
 * from, so `running.pause` reads "running, pausing". Each operation runs its
 * named effect, then the named `persist` effect, and only when the facts are
 * durable does the machine move: the live state never runs ahead of the journal.
 *
 * The machine holds no I/O. Real effects arrive through `.provide()`.
 */
import { assign, fromPromise, setup } from "xstate";
import type { Created, ExitInfo } from "../effects/types.js";
import type { ContainerCommand, RequestMeta } from "./commands.js";
import { evolve, type FactPosition } from "./evolve.js";
import { fact, type Action, type Fact } from "./facts.js";
import type { ContainerRecord, ContainerState } from "./record.js";
import { rejection } from "./rules.js";

/** What every effect receives: the record as committed and the command being served. */
export interface EffectInput {
  record: ContainerRecord;
  command: ContainerCommand;
}

/** What `persist` receives; it must make the facts durable before resolving. */
export interface PersistInput {
  record: ContainerRecord;
  facts: Fact[];
  meta: RequestMeta;
}

/** Where the journal placed the first fact; the others follow with consecutive versions. */
export type PersistOutput = FactPosition;

export interface StartOutput {
  /** Set when the effect had to delete a stopped container from the runtime first. */
  cleaned: boolean;
  /** Set when the effect had to create the container in the runtime first. */
  created?: Created;
  startedAt: string;
}

export interface StopOutput {
  signal: string;
  timeout: number;
  escalated: boolean;
  exit: ExitInfo;
}

export interface RemoveOutput {
  /** Set when a force removal had to kill the running container. */
  exit?: ExitInfo;
  cleaned: boolean;
}

/** An error the machine keeps for the caller of the command that failed. */
export interface CommandError {
  code: string;
  message: string;
}

export interface ContainerContext {
  record: ContainerRecord;
  command?: ContainerCommand;
  facts: Fact[];
  error?: CommandError;
}

// Runtime effects are typed by output at the edges (factsFor, the providers); inside the
// machine they are one kind, so one generic operation can invoke any of them.
const notProvided = (name: string) =>
  fromPromise<unknown, EffectInput>(() =>
    Promise.reject(new Error(`effect ${name} was not provided`)),
  );

function toCommandError(err: unknown): CommandError {
  if (typeof err === "object" && err !== null && "code" in err && "message" in err) {
    const { code, message } = err;
    if (typeof code === "string" && typeof message === "string") return { code, message };
  }
  return { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

/** Folds facts that `persist` placed at `at` into the record. */
export function applyFacts(
  record: ContainerRecord,
  facts: Fact[],
  at: FactPosition,
): ContainerRecord {
  return facts.reduce<ContainerRecord>(
    (r, f, i) => evolve(r, f, { ...at, version: at.version + i }),
    record,
  );
}

function failure(action: Action, error: CommandError, state: ContainerState): Fact {
  return { action, data: { outcome: "failure", error, state } };
}

const commandOf = (ctx: ContainerContext) => {
  if (!ctx.command) throw new Error("no command in flight");
  return ctx.command;
};

/** Maps effect outputs to facts. Pure: this is where a transition decides what happened. */
export const factsFor = {
  init: (out: Created) => [fact("init", out)],
  start: (out: StartOutput) => [
    ...(out.cleaned ? [fact("cleanup", {})] : []),
    ...(out.created ? [fact("init", out.created)] : []),
    fact("start", { startedAt: out.startedAt, restartCount: 0 }),
  ],
  stop: (out: StopOutput) => [
    fact("stop", { signal: out.signal, timeout: out.timeout, escalated: out.escalated }),
    fact("died", out.exit),
  ],
  kill: (_out: unknown, ctx: ContainerContext) => {
    const cmd = commandOf(ctx);
    return [fact("kill", { signal: cmd.type === "KILL" ? cmd.signal : "SIGKILL" })];
  },
  pause: () => [fact("pause", {})],
  unpause: () => [fact("unpause", {})],
  cleanup: () => [fact("cleanup", {})],
  remove: (out: RemoveOutput) => [
    ...(out.exit ? [fact("kill", { signal: "SIGKILL" }), fact("died", out.exit)] : []),
    ...(out.cleaned ? [fact("cleanup", {})] : []),
    fact("remove", {}),
  ],
} satisfies Record<string, (out: never, ctx: ContainerContext) => Fact[]>;

export const containerSetup = setup({
  types: {
    context: {} as ContainerContext,
    events: {} as ContainerCommand,
    input: {} as { record: ContainerRecord },
  },
  actors: {
    initContainer: notProvided("initContainer"),
    startContainer: notProvided("startContainer"),
    stopContainer: notProvided("stopContainer"),
    killContainer: notProvided("killContainer"),
    pauseContainer: notProvided("pauseContainer"),
    resumeContainer: notProvided("resumeContainer"),
    cleanupContainer: notProvided("cleanupContainer"),
    removeContainer: notProvided("removeContainer"),
    persist: fromPromise<PersistOutput, PersistInput>(() =>
      Promise.reject(new Error("effect persist was not provided")),
    ),
  },
  guards: {
    allowed: ({ context, event }) =>
      rejection(
        context.record,
        event.type,
        event.type === "REMOVE" ? { force: event.force } : {},
      ) === undefined,
    failed: ({ context }) => context.error !== undefined,
  },
  actions: {
    accept: assign(({ event }) => ({ command: event, facts: [], error: undefined })),
  },
});

/** The runtime effects the machine names; `persist` (the journal) is the other one. */
export type EffectKey =
  | "initContainer"
  | "startContainer"
  | "stopContainer"
  | "killContainer"
  | "pauseContainer"
  | "resumeContainer"
  | "cleanupContainer"
  | "removeContainer";

const s = containerSetup;
const settled = ["settled"] as const;
const id = (state: ContainerState, child?: string) => `#ctr.${state}${child ? `.${child}` : ""}`;

/** Makes the facts durable, then moves to `target`; on failure returns to `fallback`. */
function commit(target: string, fallback: string) {
  return s.createStateConfig({
    invoke: {
      src: "persist",
      input: ({ context }) => ({
        record: context.record,
        facts: context.facts,
        meta: commandOf(context).meta,
      }),
      onDone: [
        {
          guard: "failed",
          target: fallback,
          actions: assign({
            record: ({ context, event }) => applyFacts(context.record, context.facts, event.output),
          }),
        },
        {
          target,
          actions: assign({
            record: ({ context, event }) => applyFacts(context.record, context.facts, event.output),
          }),
        },
      ],
      onError: {
        target: fallback,
        actions: assign({
          error: ({ context, event }) => context.error ?? toCommandError(event.error),
        }),
      },
    },
  });
}

/**
 * One operation: run the named effect, turn its output into facts, persist them.
 * A failed effect is persisted as a failure fact and the container stays in `stay`.
 */
function operation(
  src: EffectKey,
  action: Action,
  toFacts: (output: never, ctx: ContainerContext) => Fact[],
  target: string,
  stay: ContainerState,
) {
  return s.createStateConfig({
    initial: "effect",
    states: {
      effect: {
        invoke: {
          src,
          input: ({ context }) => ({ record: context.record, command: commandOf(context) }),
          onDone: {
            target: "commit",
            actions: assign({
              facts: ({ context, event }) => toFacts(event.output as never, context),
            }),
          },
          onError: {
            target: "commit",
            actions: assign(({ event }) => {
              const error = toCommandError(event.error);
              return { error, facts: [failure(action, error, stay)] };
            }),
          },
        },
      },
      commit: commit(target, id(stay)),
    },
  });
}

const accept = s.assign(({ event }) => ({ command: event, facts: [], error: undefined }));
const acceptExit = s.assign(({ event }) => ({
  command: event,
  error: undefined,
  facts: event.type === "EXITED" ? [fact("died", event.exit)] : [],
}));
const to = (target: string) => ({ guard: "allowed" as const, target, actions: accept });
const removeOp = () => to(id("removing", "remove"));

/** The container lifecycle: libpod's states, each operation a child of where it starts. */
export const containerMachine = s.createMachine({
  id: "ctr",
  context: ({ input }) => ({ record: input.record, facts: [] }),
  initial: "configured",
  states: {
    configured: {
      initial: "idle",
      states: {
        idle: {
          tags: settled,
          on: { INIT: to("init"), START: to("start"), CLEANUP: to("cleanup"), REMOVE: removeOp() },
        },
        init: operation("initContainer", "init", factsFor.init, id("created"), "configured"),
        start: operation("startContainer", "start", factsFor.start, id("running"), "configured"),
        cleanup: operation(
          "cleanupContainer",
          "cleanup",
          factsFor.cleanup,
          id("configured"),
          "configured",
        ),
      },
    },
    created: {
      initial: "idle",
      states: {
        idle: {
          tags: settled,
          on: { START: to("start"), STOP: to("stop"), CLEANUP: to("cleanup"), REMOVE: removeOp() },
        },
        start: operation("startContainer", "start", factsFor.start, id("running"), "created"),
        stop: operation(
          "stopContainer",
          "stop",
          factsFor.stop,
          id("stopped", "cleanup"),
          "created",
        ),
        cleanup: operation(
          "cleanupContainer",
          "cleanup",
          factsFor.cleanup,
          id("configured"),
          "created",
        ),
      },
    },
    running: {
      initial: "idle",
      states: {
        idle: {
          tags: settled,
          on: {
            STOP: to("stop"),
            KILL: to("kill"),
            PAUSE: to("pause"),
            EXITED: { guard: "allowed", target: "exit", actions: acceptExit },
            REMOVE: removeOp(),
          },
        },
        stop: operation(
          "stopContainer",
          "stop",
          factsFor.stop,
          id("stopped", "cleanup"),
          "running",
        ),
        kill: operation("killContainer", "kill", factsFor.kill, id("running"), "running"),
        pause: operation("pauseContainer", "pause", factsFor.pause, id("paused"), "running"),
        exit: commit(id("stopped", "cleanup"), id("running")),
      },
    },
    paused: {
      initial: "idle",
      states: {
        idle: {
          tags: settled,
          on: {
            UNPAUSE: to("unpause"),
            EXITED: { guard: "allowed", target: "exit", actions: acceptExit },
            REMOVE: removeOp(),
          },
        },
        unpause: operation("resumeContainer", "unpause", factsFor.unpause, id("running"), "paused"),
        exit: commit(id("stopped", "cleanup"), id("paused")),
      },
    },
    stopped: {
      initial: "idle",
      states: {
        idle: {
          tags: settled,
          on: { INIT: to("init"), START: to("start"), CLEANUP: to("cleanup"), REMOVE: removeOp() },
        },
        init: operation("initContainer", "init", factsFor.init, id("created"), "stopped"),
        start: operation("startContainer", "start", factsFor.start, id("running"), "stopped"),
        cleanup: operation(
          "cleanupContainer",
          "cleanup",
          factsFor.cleanup,
          id("exited"),
          "stopped",
        ),
      },
    },
    exited: {
      initial: "idle",
      states: {
        idle: {
          tags: settled,
          on: { INIT: to("init"), START: to("start"), CLEANUP: to("cleanup"), REMOVE: removeOp() },
        },
        init: operation("initContainer", "init", factsFor.init, id("created"), "exited"),
        start: operation("startContainer", "start", factsFor.start, id("running"), "exited"),
        cleanup: operation("cleanupContainer", "cleanup", factsFor.cleanup, id("exited"), "exited"),
      },
    },
    removing: {
      initial: "idle",
      states: {
        idle: { tags: settled, on: { REMOVE: to("remove") } },
        remove: operation("removeContainer", "remove", factsFor.remove, id("removed"), "removing"),
      },
    },
    removed: { type: "final", tags: settled },
  },
});
