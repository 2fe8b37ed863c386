/**
 * The machine's setup and the two building blocks of every operation:
 * `operation` runs a named effect and turns its output into facts, `commit`
 * persists the facts and only then moves to the target state.
 */
import { assign, fromPromise, setup } from "xstate";
import type { BerthError } from "../errors.js";
import type { CommandBody, ContainerCommand } from "./commands.js";
import type {
  CommandError,
  EffectActors,
  EffectInput,
  EffectKey,
  EffectLogic,
  EffectOutputs,
  Peers,
  PersistInput,
  PersistOutput,
} from "./ports.js";
import { evolve, type FactPosition } from "./evolve.js";
import { journaledError, typedError } from "./failures.js";
import { fact, type Action, type Fact } from "./facts.js";
import type { FactsContext } from "./facts-for.js";
import { withExecDeaths } from "./exec-facts.js";
import type { ContainerRecord, ContainerState } from "./record.js";
import { restartDelayMs, restartDue } from "./restart-policy.js";
import { alreadyMet, isRequest, refusal, rejection } from "./rules.js";

/** The machine's context: the committed record and the command in flight with its outcome. */
export interface ContainerContext {
  record: ContainerRecord;
  command?: ContainerCommand;
  facts: Fact[];
  /**
   * Why the last command failed, as thrown (class, stack and `cause` kept) for
   * the live answer; its failure fact journals only `{code, message}`.
   */
  error?: BerthError;
  /** The journal refused a write during the last operation: live state and runtime may disagree. */
  journalFailed?: boolean;
  /** Other containers, for the dependency rules; none known when absent. */
  peers?: Peers;
}

/** With no registry to ask (a bare machine in a test), no other container is known. */
const NO_PEERS: Peers = { find: () => undefined, live: () => [] };

// Each placeholder carries its effect's output type, so `.provide()` only accepts an
// implementation whose output fits, and `operation` can check the mapper it feeds.
const notProvided = <K extends EffectKey>(name: K): EffectLogic<K> =>
  fromPromise<EffectOutputs[K], EffectInput>(() =>
    Promise.reject(new Error(`effect ${name} was not provided`)),
  );

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

export function commandOf(ctx: Pick<ContainerContext, "command">): ContainerCommand {
  if (!ctx.command) throw new Error("no command in flight");
  return ctx.command;
}

const effects = {
  initContainer: notProvided("initContainer"),
  startContainer: notProvided("startContainer"),
  stopContainer: notProvided("stopContainer"),
  killContainer: notProvided("killContainer"),
  pauseContainer: notProvided("pauseContainer"),
  resumeContainer: notProvided("resumeContainer"),
  cleanupContainer: notProvided("cleanupContainer"),
  removeContainer: notProvided("removeContainer"),
  mountContainer: notProvided("mountContainer"),
  unmountContainer: notProvided("unmountContainer"),
  exportContainer: notProvided("exportContainer"),
  syncContainer: notProvided("syncContainer"),
  checkpointContainer: notProvided("checkpointContainer"),
  restoreContainer: notProvided("restoreContainer"),
} satisfies EffectActors;

export const containerSetup = setup({
  types: {
    context: {} as ContainerContext,
    events: {} as ContainerCommand,
    input: {} as { record: ContainerRecord; peers?: Peers },
  },
  actors: {
    ...effects,
    persist: fromPromise<PersistOutput, PersistInput>(() =>
      Promise.reject(new Error("effect persist was not provided")),
    ),
  },
  guards: {
    // Observations reach an operation by the state rules alone; a request is refused first (`refuse`).
    allowed: ({ context, event }) => rejection(context.record, event) === undefined,
    refused: ({ context, event }) => refusalOf(context, event) !== undefined,
    unchanged: ({ context, event }) => isRequest(event) && alreadyMet(context.record, event),
    failed: ({ context }) => context.error !== undefined,
    restartDue: ({ context }) => restartDue(context.record),
  },
  delays: {
    restartBackoff: ({ context }) => restartDelayMs(context.record),
  },
});

/** `#ctr.<state>[.<child>]`: the id of a state node, for targets outside the current parent. */
export const stateId = (state: ContainerState | "route", child?: string) =>
  `#ctr.${state}${child ? `.${child}` : ""}`;

/**
 * Makes the facts durable, then moves to `onSuccess`. After a failed effect (its
 * failure fact made durable) or a failed journal write, goes to `onFailure` instead.
 */
export function commit(onSuccess: string, onFailure: string) {
  return containerSetup.createStateConfig({
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
          target: onFailure,
          actions: assign({
            record: ({ context, event }) => applyFacts(context.record, context.facts, event.output),
          }),
        },
        {
          target: onSuccess,
          actions: assign({
            record: ({ context, event }) => applyFacts(context.record, context.facts, event.output),
          }),
        },
      ],
      onError: {
        target: onFailure,
        actions: assign({
          journalFailed: true,
          error: ({ context, event }) => context.error ?? typedError(event.error),
        }),
      },
    },
  });
}

function failure(action: Action, error: CommandError, state: ContainerState): Fact {
  return { action, data: { outcome: "failure", error, state } };
}

/** A command's arguments: everything but its type and metadata. */
export function argsOf(command: CommandBody | ContainerCommand): Record<string, unknown> {
  const { type: _t, meta: _m, ...args } = command as ContainerCommand;
  return args;
}

/** The intent: who asked for what, journaled before any effect runs. */
export function requestFact(command: ContainerCommand, unchanged?: ContainerState): Fact {
  const { client, idempotencyKey, cause } = command.meta;
  return fact("request", {
    command: command.type,
    args: argsOf(command),
    ...(client ? { client } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(cause ? { cause } : {}),
    ...(unchanged ? { unchanged } : {}),
  });
}

/** Journals the request as answered: the container already was where it asked to be. */
export const unchanged = (target: string) => ({
  guard: "unchanged" as const,
  target,
  actions: containerSetup.assign(({ context, event }) => ({
    command: event,
    error: undefined,
    journalFailed: false,
    facts: [requestFact(event, context.record.state)],
  })),
});

/** A refused request: an audit record that changes no state. */
export function rejectedFact(body: CommandBody, error: CommandError, state: ContainerState): Fact {
  return {
    action: "request",
    data: { outcome: "failure", error, state, command: body.type, args: argsOf(body) },
  };
}

/** What one operation runs, how its outcome becomes facts, and where it lands. */
export interface OperationOptions<K extends EffectKey> {
  /** The named effect to run. */
  effect: K;
  /** The action a failed effect is journaled under. */
  action: Action;
  /** Typed by the effect's output: a mapper that expects another effect's output fails to compile. */
  toFacts: (output: NoInfer<EffectOutputs[K]>, ctx: FactsContext) => Fact[];
  /** Where the container goes once the facts are durable. */
  onSuccess: string;
  /** The committed state a failed effect leaves the container in (named in its failure fact). */
  stay: ContainerState;
  /** Where a failed effect or journal write lands; by default `stay` at rest. */
  onFailure?: string;
  /** False for follow-ups that are part of an earlier request or observation (the automatic cleanup). */
  intent?: boolean;
}

/**
 * One operation: persist the intent, run the named effect, turn its output
 * into facts, persist them. A failed effect is persisted as a failure fact and
 * the container stays in `stay`; if the intent cannot be persisted, no effect runs.
 */
export function operation<K extends EffectKey>({
  effect,
  action,
  toFacts,
  onSuccess,
  stay,
  onFailure = stateId(stay),
  intent = true,
}: OperationOptions<K>) {
  return containerSetup.createStateConfig({
    initial: intent ? "intent" : "effect",
    states: {
      intent: {
        invoke: {
          src: "persist",
          input: ({ context }) => ({
            record: context.record,
            facts: [requestFact(commandOf(context))],
            meta: commandOf(context).meta,
          }),
          onDone: {
            target: "effect",
            actions: assign({
              record: ({ context, event }) =>
                applyFacts(context.record, [requestFact(commandOf(context))], event.output),
            }),
          },
          onError: {
            target: onFailure,
            actions: assign({
              journalFailed: true,
              error: ({ event }) => typedError(event.error),
            }),
          },
        },
      },
      effect: {
        invoke: {
          src: effect,
          input: ({ context }) => ({ record: context.record, command: commandOf(context) }),
          onDone: {
            target: "commit",
            actions: assign({
              facts: ({ context, event }) =>
                withExecDeaths(
                  context.record,
                  // xstate types the output of a generic `src` as any effect's; K names the one invoked.
                  toFacts(event.output as EffectOutputs[K], {
                    record: context.record,
                    command: commandOf(context),
                  }),
                ),
            }),
          },
          onError: {
            target: "commit",
            actions: assign(({ event }) => {
              const journaled = journaledError(event.error);
              return {
                error: typedError(event.error),
                facts: [failure(action, journaled, stay)],
              };
            }),
          },
        },
      },
      commit: commit(onSuccess, onFailure),
    },
  });
}

/** Takes a command in: it becomes the command in flight. */
export const accept = containerSetup.assign(({ event }) => ({
  command: event,
  facts: [],
  error: undefined,
  journalFailed: false,
}));

/** A transition, guarded by the rules, that takes the command in and enters its operation. */
export const enterOperation = (target: string) => ({
  guard: "allowed" as const,
  target,
  actions: accept,
});

/**
 * A transition that records facts without an effect: an exit the runtime
 * reported, or (with `request`) a user's command such as attach, whose intent
 * goes into the same batch.
 */
export const journalOnly = (
  target: string,
  facts: (event: ContainerCommand) => Fact[],
  request = false,
) => ({
  guard: "allowed" as const,
  target,
  actions: containerSetup.assign(({ context, event }) => ({
    command: event,
    error: undefined,
    journalFailed: false,
    facts: withExecDeaths(context.record, [
      ...(request ? [requestFact(event)] : []),
      ...facts(event),
    ]),
  })),
});

/** Why a request is refused in this context; observations are never refused, only ignored. */
function refusalOf(context: ContainerContext, event: ContainerCommand): BerthError | undefined {
  return isRequest(event) ? refusal(context.record, event, context.peers ?? NO_PEERS) : undefined;
}

/**
 * A request the rules refuse: journaled as an audit record (a failed
 * `request`) in whatever state the container is, which stays as it was. The
 * refusal's typed error is the answer, whether or not the record could be written.
 */
export const refuse = (target: string) => ({
  guard: "refused" as const,
  target,
  actions: containerSetup.assign(({ context, event }) => {
    const error = refusalOf(context, event);
    return {
      command: event,
      error,
      journalFailed: false,
      facts: error ? [rejectedFact(event, error.toJSON(), context.record.state)] : [],
    };
  }),
});
