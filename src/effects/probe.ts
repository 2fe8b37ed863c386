/**
 * The probe port: looks at a running container's processes and counters
 * without changing anything, so it needs no journal and no machine.
 */
import { containerPaths, type Layout } from "./paths.js";
import { readTop } from "./proc-top.js";
import { readCgroupStats, type CgroupReading } from "./cgroup-stats.js";

/** A container's processes, as `podman top` prints them. */
export interface TopResult {
  headers: string[];
  processes: string[][];
}

/** What `top` and `stats` ask of the host. */
export interface ContainerProbe {
  /** The container's processes; throws when runc no longer knows it. */
  top(id: string): Promise<TopResult>;
  /** The counters of the cgroup `pid` (container `id`'s init) is in. */
  read(pid: number, id: string): Promise<CgroupReading>;
}

/**
 * The probe on Linux: runc's list of pids, /proc, the cgroup files, and the
 * container's mounted root for the names of its users and groups.
 */
export class LinuxProbe implements ContainerProbe {
  constructor(
    private readonly layout: Layout,
    private readonly runcPath = "/usr/sbin/runc",
  ) {}

  top(id: string): Promise<TopResult> {
    return readTop(this.runcPath, this.layout.runc, id, containerPaths(this.layout, id).merged);
  }

  read(pid: number, id: string): Promise<CgroupReading> {
    return readCgroupStats(pid, id);
  }
}
