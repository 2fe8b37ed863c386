/**
 * Commands a caller can send to a container, and the one observation the
 * runtime sends (the process exited). Each carries who asked and why.
 */
import type { ExitInfo } from "../effects/types.js";

/** Who asked for a change, and under which request. */
export interface RequestMeta {
  actor: string;
  requestId: string;
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
  | { type: "EXITED"; exit: ExitInfo; meta: RequestMeta };

export type CommandType = ContainerCommand["type"];

/** A command without its request metadata, as callers phrase it. */
export type CommandBody = ContainerCommand extends infer C
  ? C extends ContainerCommand
    ? Omit<C, "meta">
    : never
  : never;
