/**
 * How effect outputs become facts. Pure: this is where a transition decides
 * what happened, so the same outputs always journal the same facts.
 */
import type { ContainerCommand } from "./commands.js";
import type {
  CheckpointOutput,
  Created,
  ExportOutput,
  MountOutput,
  RemoveOutput,
  StartOutput,
  StopOutput,
  SyncOutput,
} from "./ports.js";
import { fact, type Fact, type SuccessOf } from "./facts.js";
import { hasHealthcheck } from "./health.js";
import type { ContainerRecord, ContainerState } from "./record.js";
import { runtimeMounted } from "./rules.js";

/** What a mapper sees besides the effect's output. */
export interface FactsContext {
  record: ContainerRecord;
  command: ContainerCommand;
}

/** The exit code berth records when the process is gone and no exit file says how. */
export const UNKNOWN_EXIT_CODE = -1;

/**
 * How a process ended: `died`, preceded by `oom` when the memory limit killed
 * it, so an event filter can select OOM kills on their own.
 */
export function deathFacts(exit: Omit<SuccessOf<"died">["data"], "outcome">): Fact[] {
  return [...(exit.oomKilled ? [fact("oom", {})] : []), fact("died", exit)];
}

const stopFacts = (out: StopOutput): Fact[] => [
  fact("stop", { signal: out.signal, timeout: out.timeout, escalated: out.escalated }),
  ...deathFacts(out.exit),
];

function startFacts(out: StartOutput, { record, command }: FactsContext): Fact[] {
  const restart = command.type === "RESTART";
  const byPolicy = restart && command.byPolicy === true;
  // Only the policy counts; a user's start or restart begins the count again (as Podman does).
  const restartCount = byPolicy ? record.restartCount + 1 : 0;
  return withHealthStart(record, [
    ...(restart ? [fact("restart", { attempt: restartCount, policy: byPolicy })] : []),
    ...(out.stopped ? stopFacts(out.stopped) : []),
    ...(out.cleaned ? [fact("cleanup", {})] : []),
    ...(out.created ? [fact("init", out.created)] : []),
    fact("start", { startedAt: out.startedAt, restartCount }),
  ]);
}

function syncFacts(out: SyncOutput, { record, command }: FactsContext): Fact[] {
  const reconcile = command.type === "RECONCILE";
  const cause = reconcile ? { cause: "reconcile" as const } : {};
  const gone = out.runtime === "stopped" || out.runtime === "absent";
  // A process berth knew is gone if runc has none, or holds a new, never-started one
  // (a restart that was cut off between create and start).
  const lost = gone || out.runtime === "created" || out.runtime === "creating" || out.replaced;
  let state: ContainerState = record.state;
  if (record.state === "running" && out.runtime === "paused") state = "paused";
  if ((record.state === "paused" || record.state === "created") && out.runtime === "running")
    state = "running";
  if (out.replaced) state = record.state;
  // A created container that runc no longer holds has left the runtime: configured again.
  if (record.state === "created" && gone) state = "configured";
  const died = (record.state === "running" || record.state === "paused") && lost;
  if (out.orphanRemoved) {
    return [fact("sync", { runtime: out.runtime, state, ...cause, orphanRemoved: true })];
  }
  // A reconcile that finds nothing to correct journals nothing.
  if (reconcile && state === record.state && !died) return [];
  const facts: Fact[] = [fact("sync", { runtime: out.runtime, state, ...cause })];
  if (died) {
    // The sync effect supplies an exit (code -1 when no exit file says more); this is a last resort.
    const exitedAt = record.startedAt ?? record.createdAt;
    const exit = out.exit ?? { exitCode: UNKNOWN_EXIT_CODE, exitedAt, oomKilled: false };
    facts.push(...deathFacts({ ...exit, ...cause }));
  }
  return facts;
}

/** A new run starts its health afresh: `starting`, journaled with the start. */
export function withHealthStart(record: ContainerRecord, facts: Fact[]): Fact[] {
  if (!hasHealthcheck(record)) return facts;
  return [...facts, fact("health_status", { status: "starting", failingStreak: 0 })];
}

export const factsFor = {
  init: (out: Created) => [fact("init", out)],
  start: startFacts,
  stop: stopFacts,
  kill: (_out: unknown, { command }: FactsContext) => [
    fact("kill", { signal: command.type === "KILL" ? command.signal : "SIGKILL" }),
  ],
  pause: () => [fact("pause", {})],
  unpause: () => [fact("unpause", {})],
  cleanup: () => [fact("cleanup", {})],
  remove: (out: RemoveOutput) => [
    ...(out.stopped ? stopFacts(out.stopped) : []),
    ...(out.cleaned ? [fact("cleanup", {})] : []),
    fact("remove", {}),
  ],
  mount: (out: MountOutput, { record }: FactsContext) => [
    fact("mount", { path: out.path, count: record.mountCount + 1 }),
  ],
  unmount: (_out: unknown, { record, command }: FactsContext) => {
    const force = command.type === "UNMOUNT" && command.force;
    return [fact("unmount", { count: force ? 0 : Math.max(0, record.mountCount - 1) })];
  },
  export: (out: ExportOutput) => [fact("export", out)],
  sync: syncFacts,
  checkpoint: (out: CheckpointOutput, { command }: FactsContext) => [
    fact("checkpoint", {
      path: out.path,
      keepRunning: command.type === "CHECKPOINT" && command.options.keepRunning === true,
    }),
  ],
  restore: (out: CheckpointOutput, { record }: FactsContext) =>
    withHealthStart(record, [fact("restore", { path: out.path })]),
} satisfies Record<string, (out: never, ctx: FactsContext) => Fact[]>;

/** Whether the runtime will still hold the rootfs mount after an unmount: then no real unmount. */
export const keepsMount = (record: ContainerRecord, remaining: number) =>
  remaining > 0 || runtimeMounted(record.state);
