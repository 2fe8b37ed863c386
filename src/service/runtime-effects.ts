/**
 * The machine's named effects, implemented on the host ports. Each one is a
 * `fromPromise` whose AbortSignal reaches the processes it runs.
 */
import { fromPromise } from "xstate";
import type { ContainerRuntime, ContainerSpec } from "../effects/index.js";
import { OciRuntimeError } from "../errors.js";
import {
  keepsMount,
  runtimeMounted,
  type CheckpointOutput,
  type ContainerRecord,
  type EffectActors,
  type EffectInput,
  type ExitInfo,
  type ExportOutput,
  type NetworkAttachment,
  type MountOutput,
  type RemoveOutput,
  type StartOutput,
  type StopOutput,
  type SyncOutput,
} from "../machines/index.js";

/** Waits for conmon's exit file; the ExitMonitor implements it. */
export interface ExitWaiter {
  waitFor(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ExitInfo | undefined>;
}

/** The container's files: the rootfs path and its export. LinuxStorage implements it. */
export interface RootfsStorage {
  rootfsPath(id: string): string;
  exportRootfs(rootfs: string, target: string, signal?: AbortSignal): Promise<number>;
}

/** Checkpoint and restore; LinuxCheckpointer implements it. */
export interface Checkpointer {
  checkpoint(
    id: string,
    req: { keepRunning: boolean; tcpEstablished: boolean; targetFile?: string },
    signal?: AbortSignal,
  ): Promise<string>;
  restore(id: string): Promise<string>;
}

/** A container's network, set up before the runtime creates it; LinuxNetwork implements it. */
export interface NetworkPort {
  setup(spec: ContainerSpec, signal?: AbortSignal): Promise<NetworkAttachment | undefined>;
  teardown(id: string, attachment: NetworkAttachment | undefined): Promise<void>;
  /**
   * After a restart: keeps what the attachments among `known` (every container
   * of this journal, removed ones too) hold, releases what the others left; the ids released.
   */
  sweep(known: readonly { id: string; attachment?: NetworkAttachment }[]): Promise<string[]>;
}

export interface HostPorts {
  runtime: ContainerRuntime;
  exits: ExitWaiter;
  storage: RootfsStorage;
  checkpointer: Checkpointer;
  /** Absent: every container keeps the network runc gives it (its own namespace with lo). */
  network?: NetworkPort;
}

/** How long to wait for an exit after SIGKILL before calling the runtime broken. */
const KILL_GRACE_MS = 30_000;

/**
 * The runtime's view of a record: the record itself, since ContainerSpec is a
 * Pick of it. A copy made field by field once dropped every new create field
 * (hostname, limits, mounts, …) on its way to runc without a word.
 */
export const specOf = (r: ContainerRecord): ContainerSpec => r;

/** Signals the container, ignoring a runtime that says it already stopped: the exit file tells. */
async function signalQuietly(rt: ContainerRuntime, id: string, sig: string, abort: AbortSignal) {
  try {
    await rt.kill(id, sig, abort);
  } catch (err) {
    const state = await rt.state(id, abort);
    if (state && state.status !== "stopped") throw err;
  }
}

/**
 * The stop signal, then SIGKILL after `timeout` seconds (at once for 0). With
 * `thaw`, a paused container is resumed just after its first signal: a frozen
 * process acts on a signal only once thawed, and thawing it second means a
 * daemon cut off in between leaves it paused with the signal pending, never
 * running again with nobody stopping it.
 */
async function stopProcess(
  h: HostPorts,
  record: ContainerRecord,
  timeout: number,
  abort: AbortSignal,
  thaw = false,
): Promise<StopOutput> {
  const signal = timeout === 0 ? "SIGKILL" : record.stopSignal;
  let frozen = thaw && record.state === "paused";
  const signalAndThaw = async (sig: string) => {
    await signalQuietly(h.runtime, record.id, sig, abort);
    if (frozen) {
      frozen = false;
      // A SIGKILL may end a frozen process at once (cgroup v2), leaving nothing to resume.
      await h.runtime.resume(record.id, abort).catch(async (err: unknown) => {
        if ((await h.runtime.state(record.id, abort))?.status === "paused") throw err;
      });
    }
  };
  if (timeout > 0) {
    await signalAndThaw(signal);
    const exit = await h.exits.waitFor(record.id, timeout * 1000, abort);
    if (exit) return { signal, timeout, escalated: false, exit };
  }
  await signalAndThaw("SIGKILL");
  const exit = await h.exits.waitFor(record.id, KILL_GRACE_MS, abort);
  if (!exit)
    throw new OciRuntimeError(
      `container ${record.id} did not exit ${KILL_GRACE_MS} ms after SIGKILL`,
    );
  return { signal, timeout, escalated: timeout > 0, exit };
}

/**
 * Mounts the rootfs and creates the container in runc. When the create fails
 * (a program that cannot exec, say), a mount this call made is undone: the
 * failure is journaled with the record's mountCount unchanged, so a rootfs
 * left mounted would be one the record does not know about.
 */
async function prepareAndCreate(h: HostPorts, record: ContainerRecord, abort: AbortSignal) {
  const rt = h.runtime;
  const mountedBefore = record.mountCount > 0 || runtimeMounted(record.state);
  // The spec names the namespace, so the network is made first (as Podman does before runc create).
  const network = await setUpNetwork(h, record, abort);
  const spec = { ...specOf(record), networkAttachment: network };
  try {
    await rt.prepare(spec, abort);
    try {
      const created = await rt.create(spec, abort);
      return network ? { ...created, network } : created;
    } catch (err) {
      // Not under `abort`: the unmount must run even when the caller gave up.
      if (!mountedBefore) await rt.unmount(record.id).catch(() => undefined);
      throw err;
    }
  } catch (err) {
    await h.network?.teardown(record.id, network).catch(() => undefined);
    throw err;
  }
}

/** A fresh network for this run; one a cut-off earlier run left behind goes first. */
async function setUpNetwork(h: HostPorts, record: ContainerRecord, abort: AbortSignal) {
  if (!h.network) return undefined;
  await h.network.teardown(record.id, record.networkAttachment);
  return h.network.setup(specOf(record), abort);
}

/** The network of the run that ended, taken down once runc no longer holds the container. */
async function tearDownNetwork(h: HostPorts, record: ContainerRecord) {
  await h.network?.teardown(record.id, record.networkAttachment);
}

const timeoutOf = ({ record, command }: EffectInput) =>
  "timeout" in command && command.timeout !== undefined ? command.timeout : record.stopTimeout;

/** Start, from any startable state; restart stops a running container first. */
async function start(h: HostPorts, input: EffectInput, abort: AbortSignal): Promise<StartOutput> {
  const { runtime: rt } = h;
  let { record } = input;
  let stopped: StopOutput | undefined;
  if (record.state === "running") {
    stopped = await stopProcess(h, record, timeoutOf(input), abort);
    record = { ...record, state: "stopped" };
  }
  const cleaned = record.state === "stopped";
  if (cleaned) {
    await rt.delete(record.id, abort);
    await tearDownNetwork(h, record);
  }
  let created;
  if (record.state !== "created") {
    await rt.clearExit(record.id);
    created = await prepareAndCreate(h, record, abort);
  }
  // Taken before the process starts, so its exit can never look older than the run.
  const startedAt = new Date().toISOString();
  await rt.start(record.id, abort);
  return { stopped, cleaned, created, startedAt };
}

async function remove(h: HostPorts, input: EffectInput, abort: AbortSignal): Promise<RemoveOutput> {
  const { runtime: rt } = h;
  const { record } = input;
  let stopped: StopOutput | undefined;
  if (record.state === "running" || record.state === "paused") {
    stopped = await stopProcess(h, record, timeoutOf(input), abort, true);
  }
  // An exited container was already deleted from runc and unmounted by its committed cleanup.
  const inRuntime = !["configured", "exited"].includes(record.state);
  if (inRuntime || record.mountCount > 0) {
    await rt.delete(record.id, abort);
    await rt.unmount(record.id, abort);
  }
  await tearDownNetwork(h, record);
  await rt.removeFiles(record.id);
  return { stopped, cleaned: inRuntime && record.state !== "removing" };
}

async function exportRootfs(
  h: HostPorts,
  { record, command }: EffectInput,
  abort: AbortSignal,
): Promise<ExportOutput> {
  if (command.type !== "EXPORT") throw new OciRuntimeError(`export effect got ${command.type}`);
  const mountedAlready = record.mountCount > 0 || runtimeMounted(record.state);
  if (!mountedAlready) await h.runtime.prepare(specOf(record), abort);
  try {
    const bytes = await h.storage.exportRootfs(
      h.storage.rootfsPath(record.id),
      command.path,
      abort,
    );
    return { path: command.path, bytes };
  } finally {
    if (!mountedAlready) await h.runtime.unmount(record.id, abort);
  }
}

async function sync(
  h: HostPorts,
  { record, command }: EffectInput,
  abort: AbortSignal,
): Promise<SyncOutput> {
  if (!runtimeMounted(record.state)) {
    if (command.type !== "RECONCILE") return { runtime: "absent" };
    // The journal says it is not in the runtime: anything runc holds is a half-done, unacknowledged effect.
    const orphan = await h.runtime.state(record.id, abort);
    if (!orphan) return { runtime: "absent" };
    await h.runtime.delete(record.id, abort);
    if (record.mountCount === 0) await h.runtime.unmount(record.id, abort);
    return { runtime: orphan.status, orphanRemoved: true };
  }
  const state = await h.runtime.state(record.id, abort);
  const runtime = state?.status ?? "absent";
  // A created container whose process ended before it started: runc keeps it as stopped until deleted.
  if (record.state === "created" && runtime === "stopped") await h.runtime.delete(record.id, abort);
  // A process other than the one the journal knows: a restart that was cut off after its start.
  const replaced = record.state !== "created" && state !== undefined && state.pid !== record.pid;
  const lost =
    runtime === "stopped" ||
    runtime === "absent" ||
    runtime === "created" ||
    runtime === "creating" ||
    replaced;
  if (record.state === "created" || !lost) return { runtime };
  // The run the journal knows ended at or after it started; a later exit belongs to a newer run.
  const ofThisRun = (e: ExitInfo | undefined) =>
    e && (!record.startedAt || e.exitedAt >= record.startedAt) ? e : undefined;
  const exit = ofThisRun(await h.runtime.readExit(record.id)) ??
    ofThisRun(await h.runtime.readPreviousExit(record.id)) ?? {
      exitCode: -1,
      exitedAt: new Date().toISOString(),
      oomKilled: false,
    };
  return replaced ? { runtime, exit, replaced } : { runtime, exit };
}

/** Every effect the machine names, bound to the host ports. */
export function runtimeEffects(h: HostPorts) {
  const { runtime: rt } = h;
  // Each effect keeps its own output type; `satisfies EffectActors` checks it against the machine's.
  const effect = <T>(fn: (input: EffectInput, abort: AbortSignal) => Promise<T>) =>
    fromPromise<T, EffectInput>(({ input, signal }) => fn(input, signal));
  const effects = {
    initContainer: effect(async ({ record }, abort) => {
      await rt.clearExit(record.id);
      return prepareAndCreate(h, record, abort);
    }),
    startContainer: effect((input, abort) => start(h, input, abort)),
    stopContainer: effect((input, abort) => stopProcess(h, input.record, timeoutOf(input), abort)),
    killContainer: effect(({ record, command }, abort) =>
      rt.kill(record.id, command.type === "KILL" ? command.signal : "SIGKILL", abort),
    ),
    pauseContainer: effect(({ record }, abort) => rt.pause(record.id, abort)),
    resumeContainer: effect(({ record }, abort) => rt.resume(record.id, abort)),
    cleanupContainer: effect(async ({ record }, abort) => {
      await rt.delete(record.id, abort);
      await tearDownNetwork(h, record);
      // A user's mount keeps the rootfs mounted past the runtime's use of it.
      if (record.mountCount === 0) await rt.unmount(record.id, abort);
    }),
    removeContainer: effect((input, abort) => remove(h, input, abort)),
    mountContainer: effect(async ({ record }, abort): Promise<MountOutput> => {
      await rt.prepare(specOf(record), abort);
      return { path: h.storage.rootfsPath(record.id) };
    }),
    unmountContainer: effect(async ({ record, command }, abort) => {
      const remaining =
        command.type === "UNMOUNT" && command.force ? 0 : Math.max(0, record.mountCount - 1);
      if (!keepsMount(record, remaining)) await rt.unmount(record.id, abort);
    }),
    exportContainer: effect((input, abort) => exportRootfs(h, input, abort)),
    syncContainer: effect((input, abort) => sync(h, input, abort)),
    checkpointContainer: effect(async ({ record, command }, abort): Promise<CheckpointOutput> => {
      const o = command.type === "CHECKPOINT" ? command.options : {};
      const path = await h.checkpointer.checkpoint(
        record.id,
        {
          keepRunning: o.keepRunning ?? false,
          tcpEstablished: o.tcpEstablished ?? false,
          targetFile: o.targetFile,
        },
        abort,
      );
      return { path };
    }),
    restoreContainer: effect(async ({ record }): Promise<CheckpointOutput> => ({
      path: await h.checkpointer.restore(record.id),
    })),
  } satisfies EffectActors;
  return effects;
}
