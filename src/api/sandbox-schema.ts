/**
 * The sandbox fields of a create body (issue 10, defect 5), bounded at the
 * edge. Spread into CreateBody; the service fills in the defaults.
 */
import { z } from "zod";
import { ULIMIT_NAMES, type UlimitName } from "../machines/index.js";

/** The kernel's PID_MAX_LIMIT: no pids limit can usefully be higher. */
export const MAX_PIDS_LIMIT = 4_194_304;
/** The kernel's default fs.nr_open: the most open files a process may be allowed. */
export const MAX_NOFILE = 1_048_576;

const nofileValue = z.number().int().min(1).max(MAX_NOFILE);
const rlimitValue = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const pair = (value: z.ZodNumber) => z.object({ soft: value, hard: value }).strict().optional();
const ulimitShape = Object.fromEntries(
  ULIMIT_NAMES.map((name) => [name, pair(name === "nofile" ? nofileValue : rlimitValue)]),
) as Record<UlimitName, ReturnType<typeof pair>>;

export const SandboxFields = {
  /** "unconfined" turns the seccomp filter off (create --security-opt seccomp=unconfined). */
  seccomp: z.enum(["default", "unconfined"]).optional(),
  /** Most tasks in the container; 0 or -1 means no limit (create --pids-limit). */
  pidsLimit: z.number().int().min(-1).max(MAX_PIDS_LIMIT).optional(),
  /** Resource limits by Podman's names (create --ulimit nproc=SOFT:HARD, nofile, core, ...). */
  ulimits: z.object(ulimitShape).strict().optional(),
};
