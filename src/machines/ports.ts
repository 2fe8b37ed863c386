/**
 * The machine's ports: what each named effect receives and resolves with, and
 * the runtime facts those outputs carry. The domain owns these types; the
 * adapters in src/effects and the providers in src/service implement them, and
 * `factsFor` turns the outputs into facts.
 */
import type { PromiseActorLogic } from "xstate";
import type { ContainerCommand, RequestMeta } from "./commands.js";
import type { ExitInfo } from "./exit.js";
import type { FactPosition } from "./evolve.js";
import type { Fact } from "./facts.js";
import type { NetworkAttachment } from "./network.js";
import type { ContainerRecord } from "./record.js";

/** The result of creating the container in the OCI runtime through conmon. */
export interface Created {
  /** PID of the container's init process, as conmon reports it. */
  pid: number;
  conmonPid: number;
  /** What network setup made before the runtime created the container. */
  network?: NetworkAttachment;
}

/**
 * What the rules may read about other containers (create --requires): the
 * service's registry, read-only. Asked while a command is being decided.
 */
export interface Peers {
  /**
   * A container by id, live or removed; undefined when berth never knew it.
   * Only what the rules read: a removed one is known by its tombstone.
   */
  find(id: string): Pick<ContainerRecord, "id" | "state"> | undefined;
  /** Every live container. */
  live(): ContainerRecord[];
}

/** What every runtime effect receives: the record as committed and the command being served. */
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

export interface StopOutput {
  signal: string;
  timeout: number;
  escalated: boolean;
  exit: ExitInfo;
}

export interface StartOutput {
  /** Set when a running container had to be stopped first (restart). */
  stopped?: StopOutput;
  /** Set when the effect had to delete the container from the runtime first. */
  cleaned: boolean;
  /** Set when the effect had to create the container in the runtime first. */
  created?: Created;
  startedAt: string;
}

export interface RemoveOutput {
  /** Set when a force removal had to stop the running container. */
  stopped?: StopOutput;
  cleaned: boolean;
}

export interface MountOutput {
  path: string;
}

export interface ExportOutput {
  path: string;
  bytes: number;
}

/** What `runc state` and the exit file said during a sync. */
export interface SyncOutput {
  runtime: "creating" | "created" | "running" | "paused" | "stopped" | "absent";
  exit?: ExitInfo;
  /**
   * The runtime held a container the journal never recorded as created (a crash
   * between the effect and its facts); the reconcile deleted it.
   */
  orphanRemoved?: boolean;
  /**
   * runc runs a process the journal never recorded as started (a restart cut
   * off after its start): the process the journal knows is gone.
   */
  replaced?: boolean;
}

export interface CheckpointOutput {
  path: string;
}

/** An error's wire form: what a failure fact journals, and what the HTTP API answers. */
export interface CommandError {
  code: string;
  message: string;
}

/**
 * What each runtime effect the machine names resolves with. The machine's
 * setup, its providers and `factsFor` are all typed from this one map, so an
 * effect whose output does not fit the mapper it feeds fails to compile.
 */
export interface EffectOutputs {
  initContainer: Created;
  startContainer: StartOutput;
  stopContainer: StopOutput;
  killContainer: void;
  pauseContainer: void;
  resumeContainer: void;
  cleanupContainer: void;
  removeContainer: RemoveOutput;
  mountContainer: MountOutput;
  unmountContainer: void;
  exportContainer: ExportOutput;
  syncContainer: SyncOutput;
  checkpointContainer: CheckpointOutput;
  restoreContainer: CheckpointOutput;
}

/** The name of a runtime effect; `persist` (the journal) is the other effect. */
export type EffectKey = keyof EffectOutputs;

/** The actor logic that implements one named effect. */
export type EffectLogic<K extends EffectKey> = PromiseActorLogic<EffectOutputs[K], EffectInput>;

/** A full set of runtime effects, as a provider hands them to the machine. */
export type EffectActors = { [K in EffectKey]: EffectLogic<K> };

/** The runtime effects the machine names, in a stable order. */
export const EFFECTS = [
  "initContainer",
  "startContainer",
  "stopContainer",
  "killContainer",
  "pauseContainer",
  "resumeContainer",
  "cleanupContainer",
  "removeContainer",
  "mountContainer",
  "unmountContainer",
  "exportContainer",
  "syncContainer",
  "checkpointContainer",
  "restoreContainer",
] as const satisfies readonly EffectKey[];

export type { ExitInfo } from "./exit.js";
