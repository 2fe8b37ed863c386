/**
 * Commands a caller can send to a container, and the one observation the
 * runtime sends (the process exited). Each carries who asked and why.
 */
import type { ExitInfo } from "./exit.js";

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
}

export type ContainerCommand =
  | { type: "INIT"; meta: RequestMeta }
  | { type: "START"; meta: RequestMeta }
  | { type: "STOP"; timeout?: number; meta: RequestMeta }
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
  | { type: "EXITED"; exit: ExitInfo; meta: RequestMeta };

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
