/**
 * The contracts between the machine and its named effects: what each effect
 * receives and what it resolves with. Providers implement them; `factsFor`
 * turns their outputs into facts.
 */
import type { Created, ExitInfo } from "../effects/types.js";
import type { ContainerCommand, RequestMeta } from "./commands.js";
import type { FactPosition } from "./evolve.js";
import type { Fact } from "./facts.js";
import type { ContainerRecord } from "./record.js";

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

/** An error the machine keeps for the caller of the command that failed. */
export interface CommandError {
  code: string;
  message: string;
}

/** The runtime effects the machine names; `persist` (the journal) is the other one. */
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
] as const;

export type EffectKey = (typeof EFFECTS)[number];
