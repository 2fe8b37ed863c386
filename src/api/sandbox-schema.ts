/**
 * The sandbox fields of a create body (issue 10, defect 5), bounded at the
 * edge. Spread into CreateBody; the service fills in the defaults.
 */
import { z } from "zod";

/** The kernel's PID_MAX_LIMIT: no pids limit can usefully be higher. */
export const MAX_PIDS_LIMIT = 4_194_304;
/** The kernel's default fs.nr_open: the most open files a process may be allowed. */
export const MAX_NOFILE = 1_048_576;

const nofileValue = z.number().int().min(1).max(MAX_NOFILE);

export const SandboxFields = {
  /** "unconfined" turns the seccomp filter off (create --security-opt seccomp=unconfined). */
  seccomp: z.enum(["default", "unconfined"]).optional(),
  /** Most tasks in the container; 0 or -1 means no limit (create --pids-limit). */
  pidsLimit: z.number().int().min(-1).max(MAX_PIDS_LIMIT).optional(),
  /** Resource limits (create --ulimit nofile=SOFT:HARD); only NOFILE is supported. */
  ulimits: z
    .object({ nofile: z.object({ soft: nofileValue, hard: nofileValue }).strict().optional() })
    .strict()
    .optional(),
};
