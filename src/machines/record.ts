/**
 * The container record: what berth knows about one container. It is the
 * machine's context, the stored projection, and the result of replaying the
 * container's events; all three are built by the same `evolve`.
 */

/** Committed lifecycle states, named after libpod's ContainerStatus. */
export const CONTAINER_STATES = [
  "configured",
  "created",
  "running",
  "paused",
  "stopped",
  "exited",
  "removing",
  "removed",
] as const;

export type ContainerState = (typeof CONTAINER_STATES)[number];

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  command: string[];
  stopSignal: string;
  /** Seconds between the stop signal and SIGKILL. */
  stopTimeout: number;
  state: ContainerState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  oomKilled: boolean;
  /** Container init PID while created, running or paused. */
  pid?: number;
  conmonPid?: number;
  /** A user's stop or kill ended the last run (libpod's StoppedByUser). */
  stoppedByUser: boolean;
  /** The stream version of the last event applied. */
  version: number;
}
