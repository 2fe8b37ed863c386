/**
 * Commands a caller can send to a container, and the one observation the
 * runtime sends (the process exited). Each carries who asked and why.
 */
import type { ExitInfo } from "./exit.js";
import type { HealthReport } from "./health.js";

/** Who asked for a change, and under which request. */
export interface RequestMeta {
  actor: string;
  requestId: string;
  /** How the request arrived: "http", "nats", or the component that made it. */
  client?: string;
  /** Set by a client that may retry: a retry with the same key gets the first answer. */
  idempotencyKey?: string;
  /** Optimistic concurrency: the container version the client based its request on (If-Match). */
  expectedVersion?: number;
  /** Why berth itself asked, for a request it makes on its own (a healthcheck's action). */
  cause?: string;
}

export type ContainerCommand =
  | { type: "INIT"; meta: RequestMeta }
  /** `ifNeeded`: a container already running is success, not a refusal (see `alreadyMet`). */
  | { type: "START"; ifNeeded?: boolean; meta: RequestMeta }
  /** `ifNeeded`: a container that is not running (and owes no restart) is success. */
  | { type: "STOP"; timeout?: number; ifNeeded?: boolean; meta: RequestMeta }
  | { type: "KILL"; signal: string; meta: RequestMeta }
  | { type: "PAUSE"; meta: RequestMeta }
  | { type: "UNPAUSE"; meta: RequestMeta }
  | { type: "CLEANUP"; meta: RequestMeta }
  | { type: "REMOVE"; force: boolean; timeout?: number; meta: RequestMeta }
  | { type: "RESTART"; timeout?: number; byPolicy?: boolean; meta: RequestMeta }
  | { type: "ATTACH"; meta: RequestMeta }
  | { type: "MOUNT"; meta: RequestMeta }
  | { type: "UNMOUNT"; force: boolean; meta: RequestMeta }
  | { type: "EXPORT"; path: string; meta: RequestMeta }
  | { type: "SYNC"; meta: RequestMeta }
  /** berth's own check after a restart or a journal failure: journals only differences. */
  | { type: "RECONCILE"; meta: RequestMeta }
  | { type: "CHECKPOINT"; options: CheckpointOptions; meta: RequestMeta }
  | { type: "RESTORE"; options: CheckpointOptions; meta: RequestMeta }
  | { type: "EXITED"; exit: ExitInfo; meta: RequestMeta }
  /** A user's exec: journals the session's configuration before its process runs. */
  | { type: "EXEC_CREATE"; session: ExecConfig; meta: RequestMeta }
  /** The runtime started an exec session's process. */
  | { type: "EXEC_STARTED"; sessionId: string; pid: number; meta: RequestMeta }
  /** An exec session's process ended (or could not be run, or was found gone). */
  | { type: "EXEC_EXITED"; exit: ExecExit; meta: RequestMeta }
  /** The health monitor saw the container's health change. */
  | { type: "HEALTH"; report: HealthReport; meta: RequestMeta };

/**
 * One exec session as asked for (Podman's ExecConfig, single host). The whole
 * configuration is journaled, env values included, as Podman keeps it and as
 * berth's create journals the container's env: history shows what ran.
 */
export interface ExecConfig {
  id: string;
  command: string[];
  /** `KEY=value` entries added to (or replacing those of) the container's env. */
  env: string[];
  /** `user[:group]`; empty: the container's user. */
  user?: string;
  /** Absolute; absent: the container's working directory. */
  workingDir?: string;
  tty: boolean;
  stdin: boolean;
  detach: boolean;
}

/** How an exec session ended. */
export interface ExecExit {
  sessionId: string;
  /** The command's code; 126/127 when runc could not run it; -1 when berth cannot know. */
  exitCode: number;
  /** Why it ended, when not by itself: its container stopped, or a reconcile found it gone. */
  cause?: "container-exit" | "reconcile" | "start-failed";
  message?: string;
}

/** The seed's ContainerCheckpointOptions that apply to a single host. */
export interface CheckpointOptions {
  /** Keep checkpoint artifacts after a restore. */
  keep?: boolean;
  /** Leave the container running after the checkpoint is written. */
  keepRunning?: boolean;
  /** Checkpoint even with established TCP connections. */
  tcpEstablished?: boolean;
  /** Export the checkpoint to (or restore it from) this tar file. */
  targetFile?: string;
  /** Do not include root filesystem changes in the exported checkpoint. */
  ignoreRootfs?: boolean;
  /** Restore under a new name (with targetFile). */
  name?: string;
}

export type CommandType = ContainerCommand["type"];

/** A command without its request metadata, as callers phrase it. */
export type CommandBody = ContainerCommand extends infer C
  ? C extends ContainerCommand
    ? Omit<C, "meta">
    : never
  : never;
