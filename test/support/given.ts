/**
 * given/when/then for machine rules: put a container in a committed state,
 * send one command with in-memory effects, and look at where it settled and
 * what it persisted. Pure machine tests only; no runtime.
 */
import { createActor, fromPromise, waitFor } from "xstate";
import type { BerthError } from "../../src/errors.js";
import {
  containerMachine,
  committed,
  EFFECTS,
  type EffectActors,
  type EffectKey,
  type EffectLogic,
  type EffectOutputs,
  type Peers,
  type CommandBody,
  type RequestMeta,
  type ContainerRecord,
  type ContainerState,
  type EffectInput,
  type Fact,
  type PersistInput,
} from "../../src/machines/index.js";

const meta = { actor: "uid:0", requestId: "req-1" };
const exit = { exitCode: 0, exitedAt: "2026-01-01T00:00:05.000Z", oomKilled: false };

export function recordIn(
  state: ContainerState,
  extra: Partial<ContainerRecord> = {},
): ContainerRecord {
  return {
    id: "c".repeat(64),
    name: "web",
    image: "busybox",
    command: ["sleep", "1000"],
    stopSignal: "SIGTERM",
    stopTimeout: 10,
    terminal: false,
    stdin: false,
    restartPolicy: { name: "no", maxRetries: 0 },
    requires: [],
    labels: {},
    sandbox: {
      seccomp: "default",
      pidsLimit: 2048,
      rlimits: { nofile: { soft: 1024, hard: 1024 } },
    },
    restartCount: 0,
    mountCount: 0,
    state,
    createdAt: "2026-01-01T00:00:00.000Z",
    oomKilled: false,
    stoppedByUser: false,
    version: 3,
    ...extra,
  };
}

/** In-memory effects, each resolving with the output its real provider would. */
type Fakes = { [K in EffectKey]: (input: EffectInput) => Promise<EffectOutputs[K]> };
/**
 * A test's overrides. They may answer what no real runtime would (a stale pid, an
 * odd runc status) to drive the machine into corners, so only the defaults are typed.
 */
type Effects = Partial<Record<EffectKey, (input: EffectInput) => Promise<unknown>>>;

const defaults: Fakes = {
  initContainer: () => Promise.resolve({ pid: 42, conmonPid: 41 }),
  startContainer: ({ record }) =>
    Promise.resolve({
      stopped:
        record.state === "running"
          ? { signal: "SIGTERM", timeout: 10, escalated: false, exit }
          : undefined,
      cleaned: record.state === "stopped" || record.state === "running",
      created: record.state === "created" ? undefined : { pid: 42, conmonPid: 41 },
      startedAt: "2026-01-01T00:00:01.000Z",
    }),
  stopContainer: ({ record }) =>
    Promise.resolve({ signal: record.stopSignal, timeout: 1, escalated: false, exit }),
  killContainer: () => Promise.resolve(),
  pauseContainer: () => Promise.resolve(),
  resumeContainer: () => Promise.resolve(),
  cleanupContainer: () => Promise.resolve(),
  removeContainer: ({ record }) =>
    Promise.resolve({
      stopped:
        record.state === "running" || record.state === "paused"
          ? { signal: "SIGKILL", timeout: 0, escalated: false, exit }
          : undefined,
      cleaned: !["exited", "configured", "removing"].includes(record.state),
    }),
  mountContainer: () => Promise.resolve({ path: "/merged" }),
  unmountContainer: () => Promise.resolve(),
  exportContainer: ({ command }) =>
    Promise.resolve({ path: command.type === "EXPORT" ? command.path : "", bytes: 10 }),
  syncContainer: () => Promise.resolve({ runtime: "absent" as const }),
  checkpointContainer: () =>
    Promise.reject(Object.assign(new Error("criu check failed"), { code: "UNSUPPORTED" })),
  restoreContainer: () =>
    Promise.reject(Object.assign(new Error("criu check failed"), { code: "UNSUPPORTED" })),
};

export interface Outcome {
  state: ContainerState;
  record: ContainerRecord;
  /** The failure's wire form, as its failure fact journals it. */
  error?: { code: string; message: string };
  /** The failure as the machine keeps it for the caller: class, stack and cause intact. */
  thrown?: BerthError;
  persisted: Fact[];
  /** The machine ignored the command: no transition was taken. */
  ignored: boolean;
}

/** Starts a scenario from a committed record. */
export function given(
  record: ContainerRecord,
  effects: Effects = {},
  persistFails = false,
  /** The other containers the dependency rules see; none by default. */
  peers?: Peers,
) {
  return {
    /**
     * Sends one command; resolves when the machine is at rest again (in `until`, if
     * given), or, with `tag`, once it is in a state with that tag.
     */
    async when(
      command: CommandBody & { meta?: RequestMeta },
      until?: ContainerState,
      tag = "settled",
    ): Promise<Outcome> {
      const persisted: Fact[] = [];
      const fake = <K extends EffectKey>(key: K): EffectLogic<K> =>
        fromPromise<EffectOutputs[K], EffectInput>(({ input }) => {
          const override = effects[key];
          return override
            ? (override(input) as Promise<EffectOutputs[K]>)
            : (defaults[key] as (input: EffectInput) => Promise<EffectOutputs[K]>)(input);
        });
      const actors = Object.fromEntries(EFFECTS.map((key) => [key, fake(key)])) as EffectActors;
      const machine = containerMachine.provide({
        actors: {
          ...actors,
          persist: fromPromise<{ id: string; time: string; version: number }, PersistInput>(
            ({ input }) => {
              if (persistFails) return Promise.reject(new Error("disk full"));
              persisted.push(...input.facts);
              return Promise.resolve({
                id: input.record.id,
                time: "2026-01-01T00:00:09.000Z",
                version: input.record.version + 1,
              });
            },
          ),
        },
      });
      const actor = createActor(machine, {
        snapshot: machine.resolveState(committed(record, peers)),
        input: { record },
      }).start();
      const before = actor.getSnapshot();
      actor.send({ meta, ...command });
      const ignored = actor.getSnapshot() === before;
      const snap = await waitFor(
        actor,
        (s) => s.hasTag(tag) && (until === undefined || s.context.record.state === until),
        { timeout: 3000 },
      );
      actor.stop();
      return {
        state: snap.context.record.state,
        record: snap.context.record,
        error: snap.context.error?.toJSON(),
        thrown: snap.context.error,
        persisted,
        ignored,
      };
    },
  };
}
