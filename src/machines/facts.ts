/**
 * Facts: what happened to a container, recorded after the effect resolved.
 * Each fact becomes one journal event `io.berth.container.<action>`.
 */
import type { ContainerState } from "./record.js";

/** Event actions, after Podman's event statuses. */
export const ACTIONS = [
  "create",
  "init",
  "start",
  "pause",
  "unpause",
  "kill",
  "stop",
  "died",
  "cleanup",
  "remove",
] as const;

export type Action = (typeof ACTIONS)[number];

export interface CreateData {
  name: string;
  image: string;
  command: string[];
  stopSignal: string;
  stopTimeout: number;
}

/** A failed effect: journaled so history shows the attempt; it changes no state. */
export interface FailureData {
  outcome: "failure";
  error: { code: string; message: string };
  /** The state the container stayed in. */
  state: ContainerState;
}

type Success<A extends Action, D> = { action: A; data: D & { outcome: "success" } };

export type Fact =
  | Success<"create", CreateData>
  | Success<"init", { pid: number; conmonPid: number }>
  | Success<"start", { startedAt: string }>
  | Success<"pause", object>
  | Success<"unpause", object>
  | Success<"kill", { signal: string }>
  | Success<"stop", { signal: string; timeout: number; escalated: boolean }>
  | Success<"died", { exitCode: number; exitedAt: string; oomKilled: boolean }>
  | Success<"cleanup", object>
  | Success<"remove", object>
  | { action: Action; data: FailureData };

/** Builds a success fact; keeps call sites short and the discriminant right. */
export function fact<F extends Fact>(action: F["action"], data: Omit<F["data"], "outcome">): F {
  return { action, data: { ...data, outcome: "success" } } as F;
}
