/**
 * The container record: what berth knows about one container. It is the
 * machine's context, the stored projection, and the result of replaying the
 * container's events; all three are built by the same `evolve`.
 */
import type { ContainerConfig } from "./container-config.js";
import type { ContainerMount } from "./mounts.js";
import type { NetworkAttachment, NetworkOptions } from "./network.js";
import type { Health, HealthConfig } from "./health.js";
import type { Sandbox } from "./sandbox.js";

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

/** What to do when the container's process exits on its own (Podman's --restart). */
export interface RestartPolicy {
  name: "no" | "on-failure" | "always" | "unless-stopped";
  /** For on-failure: the most restarts to attempt; 0 means no limit. */
  maxRetries: number;
}

/** The image a container was created from, as the image store knew it then. */
export interface ImagePin {
  id: string;
  manifestDigest: string;
  configDigest: string;
  /** diffIDs, bottom layer first: the overlay's lower folders. */
  layers: string[];
}

/** A live exec session, as the record keeps it; its whole configuration is in its exec_create event. */
export interface ExecSession {
  id: string;
  command: string[];
  pid?: number;
}

export interface ContainerRecord extends ContainerConfig {
  id: string;
  name: string;
  image: string;
  command: string[];
  stopSignal: string;
  /** Seconds between the stop signal and SIGKILL. */
  stopTimeout: number;
  /** Run the process on a terminal (create -t). */
  terminal: boolean;
  /** Keep stdin open for attach (create -i). */
  stdin: boolean;
  restartPolicy: RestartPolicy;
  /**
   * Remove the container once it has exited and its policy owes no restart
   * (run -d --rm). Absent: false.
   */
  autoRemove?: boolean;
  /** Ids of containers that must run before this one (create --requires). */
  requires: string[];
  /** Free-form key=value metadata (create --label), for filters. */
  labels: Record<string, string>;
  /**
   * The seccomp filter, pids limit and rlimits the container runs with (create
   * --security-opt, --pids-limit, --ulimit). Absent for a container created
   * before berth had a sandbox: it keeps running as it did then (LEGACY_SANDBOX).
   */
  sandbox?: Sandbox;
  /**
   * The image bytes the container runs, pinned at create: image id, manifest
   * and config digests, and its layers' diffIDs, bottom first. Absent for a
   * container created before berth had an image store: its rootfs is the
   * folder its image name had then.
   */
  imagePin?: ImagePin;
  /** `KEY=value` entries of the process: image and create combined. Absent: berth's defaults. */
  env?: string[];
  /** The process's working directory. Absent: `/`. */
  workingDir?: string;
  /** `user[:group]` as the image or create named it, resolved when the container starts. Absent: root. */
  user?: string;
  /** The image's exposed `port/proto` entries. */
  exposedPorts?: string[];
  /** Bind mounts and named volumes (create -v), as mounted. Absent: none. */
  mounts?: ContainerMount[];
  /** create --network, -p, --dns. Absent: a container from before networks, alone in its own netns with lo. */
  network?: NetworkOptions;
  /** The healthcheck (image's, create's flags over it). Absent: none, or disabled. */
  healthcheck?: HealthConfig;
  /** Health as of the last journaled transition; reset to starting by each start. */
  health?: Health;
  /** What network setup made for the current run (journaled with `init`, dropped by `cleanup`). */
  networkAttachment?: NetworkAttachment;
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
  /** Restarts made by the restart policy since the user last started the container. */
  restartCount: number;
  /** Mounts made with `mount` and not yet undone; the runtime's own mount is not counted. */
  mountCount: number;
  /** Where the last checkpoint was written, if any. */
  checkpoint?: string;
  /**
   * Exec sessions created and not yet dead (libpod's ExecSessions); pid once
   * started. Absent or empty: none.
   */
  execSessions?: ExecSession[];
  /** The stream version of the last event applied. */
  version: number;
}
