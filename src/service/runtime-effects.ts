/**
 * The machine's named effects, implemented on the runtime port. Each one is a
 * `fromPromise` whose AbortSignal reaches the processes it runs.
 */
import { fromPromise } from "xstate";
import type { ContainerRuntime, ContainerSpec, ExitInfo } from "../effects/types.js";
import { OciRuntimeError } from "../errors.js";
import type {
  ContainerRecord,
  EffectInput,
  RemoveOutput,
  StartOutput,
  StopOutput,
} from "../machines/index.js";

/** Waits for conmon's exit file; the ExitMonitor implements it. */
export interface ExitWaiter {
  waitFor(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ExitInfo | undefined>;
}

/** How long to wait for an exit after SIGKILL before calling the runtime broken. */
const KILL_GRACE_MS = 30_000;

export const specOf = (r: ContainerRecord): ContainerSpec => ({
  id: r.id,
  name: r.name,
  image: r.image,
  command: r.command,
  stopSignal: r.stopSignal,
  stopTimeout: r.stopTimeout,
  terminal: r.terminal,
  stdin: r.stdin,
});

/** Signals the container, ignoring a runtime that says it already stopped: the exit file tells. */
async function signalQuietly(rt: ContainerRuntime, id: string, sig: string, abort: AbortSignal) {
  try {
    await rt.kill(id, sig, abort);
  } catch (err) {
    const state = await rt.state(id, abort);
    if (state && state.status !== "stopped") throw err;
  }
}

async function killAndWait(
  rt: ContainerRuntime,
  exits: ExitWaiter,
  id: string,
  abort: AbortSignal,
) {
  await signalQuietly(rt, id, "SIGKILL", abort);
  const exit = await exits.waitFor(id, KILL_GRACE_MS, abort);
  if (!exit)
    throw new OciRuntimeError(`container ${id} did not exit ${KILL_GRACE_MS} ms after SIGKILL`);
  return exit;
}

async function stop(
  rt: ContainerRuntime,
  exits: ExitWaiter,
  input: EffectInput,
  abort: AbortSignal,
): Promise<StopOutput> {
  const { record, command } = input;
  const timeout =
    command.type === "STOP" && command.timeout !== undefined ? command.timeout : record.stopTimeout;
  const signal = timeout === 0 ? "SIGKILL" : record.stopSignal;
  if (timeout > 0) {
    await signalQuietly(rt, record.id, signal, abort);
    const exit = await exits.waitFor(record.id, timeout * 1000, abort);
    if (exit) return { signal, timeout, escalated: false, exit };
  }
  return {
    signal,
    timeout,
    escalated: timeout > 0,
    exit: await killAndWait(rt, exits, record.id, abort),
  };
}

async function start(
  rt: ContainerRuntime,
  { record }: EffectInput,
  abort: AbortSignal,
): Promise<StartOutput> {
  const cleaned = record.state === "stopped";
  if (cleaned) await rt.delete(record.id, abort);
  let created;
  if (record.state !== "created") {
    await rt.clearExit(record.id);
    await rt.prepare(specOf(record), abort);
    created = await rt.create(specOf(record), abort);
  }
  await rt.start(record.id, abort);
  return { cleaned, created, startedAt: new Date().toISOString() };
}

async function remove(
  rt: ContainerRuntime,
  exits: ExitWaiter,
  { record }: EffectInput,
  abort: AbortSignal,
): Promise<RemoveOutput> {
  let exit;
  if (record.state === "running" || record.state === "paused") {
    // A frozen process cannot act on SIGKILL until it is thawed.
    if (record.state === "paused") await rt.resume(record.id, abort);
    exit = await killAndWait(rt, exits, record.id, abort);
  }
  // An exited container was already deleted from runc and unmounted by its committed cleanup.
  const cleaned = !["configured", "exited"].includes(record.state);
  if (cleaned) {
    await rt.delete(record.id, abort);
    await rt.unmount(record.id, abort);
  }
  await rt.removeFiles(record.id);
  return { exit, cleaned: cleaned && record.state !== "removing" };
}

/** Every runtime effect the machine names, bound to a runtime and an exit waiter. */
export function runtimeEffects(rt: ContainerRuntime, exits: ExitWaiter) {
  const effect = <T>(fn: (input: EffectInput, abort: AbortSignal) => Promise<T>) =>
    fromPromise<unknown, EffectInput>(({ input, signal }) => fn(input, signal));
  return {
    initContainer: effect(async ({ record }, abort) => {
      await rt.clearExit(record.id);
      await rt.prepare(specOf(record), abort);
      return rt.create(specOf(record), abort);
    }),
    startContainer: effect((input, abort) => start(rt, input, abort)),
    stopContainer: effect((input, abort) => stop(rt, exits, input, abort)),
    killContainer: effect(({ record, command }, abort) =>
      rt.kill(record.id, command.type === "KILL" ? command.signal : "SIGKILL", abort),
    ),
    pauseContainer: effect(({ record }, abort) => rt.pause(record.id, abort)),
    resumeContainer: effect(({ record }, abort) => rt.resume(record.id, abort)),
    cleanupContainer: effect(async ({ record }, abort) => {
      await rt.delete(record.id, abort);
      await rt.unmount(record.id, abort);
    }),
    removeContainer: effect((input, abort) => remove(rt, exits, input, abort)),
  };
}
