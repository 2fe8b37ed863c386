/**
 * A process's resident memory and open file descriptors, read from /proc, for
 * benches that watch a daemon they started.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Resident set size in kB (VmRSS of /proc/PID/status). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(kb);
}

/** How many file descriptors the process has open (entries of /proc/PID/fd). */
export const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
