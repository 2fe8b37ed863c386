/**
 * What a container is given besides its process and sandbox (issue 12):
 * its hostname, its root file system's writability and tmpfs mounts, its
 * cgroup resource limits and its capabilities. Each is resolved at create
 * (Podman's defaults filled in) so the create event says exactly what the
 * container got. Every field is optional in the record: a container created
 * before these existed has none, and keeps what it got then.
 */

/** One tmpfs mount (create --tmpfs, or the ones --read-only adds). */
export interface TmpfsMount {
  /** Absolute path in the container. */
  destination: string;
  /** Mount options as the kernel and runc take them (size=, mode=, noexec, ...). */
  options: string[];
}

/**
 * cgroup limits (create --memory, --memory-swap, --cpus, --cpu-shares), as
 * the OCI spec's linux.resources takes them. A missing field is no limit.
 */
export interface Resources {
  /** Bytes of memory; the kernel kills (OOM) past it. */
  memory?: number;
  /** Bytes of memory plus swap, -1 for unlimited swap. */
  memorySwap?: number;
  /** Microseconds of CPU time per `cpuPeriod`, from --cpus. */
  cpuQuota?: number;
  /** Microseconds in a CFS period. */
  cpuPeriod?: number;
  /** Relative CPU weight (cgroup v1 cpu.shares). */
  cpuShares?: number;
}

/** Capabilities and privilege (create --cap-add, --cap-drop, --privileged). */
export interface Security {
  /** All capabilities, no seccomp filter, every device, no masked or read-only paths. */
  privileged: boolean;
  /** What create asked to add, as CAP_ names (or ALL). */
  capAdd: string[];
  /** What create asked to drop, as CAP_ names (or ALL). */
  capDrop: string[];
  /** The capability set the process gets (bounding, effective and permitted). */
  capabilities: string[];
}

/** The record fields this file describes. */
export interface ContainerConfig {
  /** The UTS hostname; absent: the id's first 12 characters. */
  hostname?: string;
  /** The root file system is mounted read-only (create --read-only). Absent: writable. */
  readOnly?: boolean;
  /** tmpfs mounts, --read-only's own included. Absent: none. */
  tmpfs?: TmpfsMount[];
  /** cgroup limits. Absent: none. */
  resources?: Resources;
  /** Capabilities and privilege. Absent: berth's default capabilities, unprivileged. */
  security?: Security;
}
