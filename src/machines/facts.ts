/**
 * Facts: what happened to a container, recorded after the effect resolved.
 * Each fact becomes one journal event `io.berth.container.<action>`.
 */
import type { ExecConfig, ExecExit } from "./commands.js";
import type { HealthReport } from "./health.js";
import type { ContainerRecord, ContainerState } from "./record.js";
import type { NetworkAttachment } from "./network.js";
import type { Sandbox } from "./sandbox.js";

/** Event actions, after Podman's event statuses. */
export const ACTIONS = [
  "create",
  "init",
  "start",
  "pause",
  "unpause",
  "kill",
  "stop",
  "oom",
  "died",
  "cleanup",
  "remove",
  "restart",
  "attach",
  "mount",
  "unmount",
  "export",
  "sync",
  "checkpoint",
  "restore",
  "request",
  "exec_create",
  "exec_start",
  "exec_died",
  "health_status",
] as const;

export type Action = (typeof ACTIONS)[number];

export type CreateData = Pick<
  ContainerRecord,
  | "name"
  | "image"
  | "command"
  | "stopSignal"
  | "stopTimeout"
  | "terminal"
  | "stdin"
  | "restartPolicy"
  | "autoRemove"
  | "requires"
  | "labels"
  | "imagePin"
  | "env"
  | "workingDir"
  | "user"
  | "exposedPorts"
  | "hostname"
  | "readOnly"
  | "tmpfs"
  | "resources"
  | "security"
  | "mounts"
  | "network"
  | "healthcheck"
> & { sandbox: Sandbox };

/** A failed effect or a rejected request: journaled so history shows the attempt; it changes no state. */
export interface FailureData {
  outcome: "failure";
  error: { code: string; message: string };
  /** The state the container stayed in. */
  state: ContainerState;
  /** For a rejected request: what was asked. */
  command?: string;
  args?: Record<string, unknown>;
}

/** A request as accepted: what was asked, with which arguments, by which client. */
export interface RequestData {
  command: string;
  args: Record<string, unknown>;
  client?: string;
  idempotencyKey?: string;
  /** Why berth itself asked (a healthcheck's action: "unhealthy"). */
  cause?: string;
  /**
   * An `ifNeeded` request whose goal the container already met (stop of a
   * stopped one): answered with success, nothing else follows it.
   */
  unchanged?: ContainerState;
}

type Success<A extends Action, D> = { action: A; data: D & { outcome: "success" } };

export type Fact =
  | Success<"create", CreateData>
  | Success<"init", { pid: number; conmonPid: number; network?: NetworkAttachment }>
  | Success<"start", { startedAt: string; restartCount: number }>
  | Success<"pause", object>
  | Success<"unpause", object>
  | Success<"kill", { signal: string }>
  | Success<"stop", { signal: string; timeout: number; escalated: boolean }>
  | Success<"oom", object>
  | Success<"died", { exitCode: number; exitedAt: string; oomKilled: boolean; cause?: "reconcile" }>
  | Success<"cleanup", object>
  | Success<"remove", object>
  | Success<"restart", { attempt: number; policy: boolean }>
  | Success<"attach", object>
  | Success<"mount", { path: string; count: number }>
  | Success<"unmount", { count: number }>
  | Success<"export", { path: string; bytes: number }>
  | Success<
      "sync",
      { runtime: string; state: ContainerState; cause?: "reconcile"; orphanRemoved?: boolean }
    >
  | Success<"checkpoint", { keepRunning: boolean; path: string }>
  | Success<"restore", { path: string }>
  | Success<"request", RequestData>
  | Success<"exec_create", ExecConfig>
  | Success<"exec_start", { sessionId: string; pid: number }>
  | Success<"exec_died", ExecExit>
  | Success<"health_status", HealthReport>
  | { action: Action; data: FailureData };

/** The success fact of one action. */
export type SuccessOf<A extends Action> = Extract<
  Fact,
  { action: A; data: { outcome: "success" } }
>;

/** Builds a success fact, checking its data against the action. */
export function fact<A extends Action>(
  action: A,
  data: Omit<SuccessOf<A>["data"], "outcome">,
): SuccessOf<A> {
  return { action, data: { ...data, outcome: "success" } } as SuccessOf<A>;
}
