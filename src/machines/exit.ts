/**
 * How a container process ended: what an exit observation carries into the
 * machine and a `died` fact records. Its own file, because both the commands
 * and the effect ports name it.
 */

/** How a container process ended, read from conmon's exit file. */
export interface ExitInfo {
  exitCode: number;
  /** RFC3339 time the exit file was written. */
  exitedAt: string;
  /** True when the kernel OOM-killed the container. */
  oomKilled: boolean;
}
