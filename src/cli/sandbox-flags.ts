/**
 * `create --security-opt`, `--pids-limit` and `--ulimit` to the create body's
 * sandbox fields, in Podman's spelling. The daemon checks the bounds again.
 */
import { InvalidArgError } from "../errors.js";
import { isUlimitName, ULIMIT_NAMES } from "../machines/index.js";

export interface SandboxFlags {
  securityOpt?: string[];
  pidsLimit?: number;
  ulimit?: string[];
}

const ULIMIT = /^([a-z]+)=(\d+)(?::(\d+))?$/;

/** The seccomp choice from `--security-opt` values; only seccomp=unconfined is offered. */
function seccomp(opts: string[]): { seccomp?: "unconfined" } {
  for (const opt of opts) {
    if (opt !== "seccomp=unconfined") {
      // A profile path would make the daemon read a host path on a client's word, so none is taken.
      throw new InvalidArgError(
        `unsupported --security-opt ${JSON.stringify(opt)}: berth offers only seccomp=unconfined`,
      );
    }
  }
  return opts.length > 0 ? { seccomp: "unconfined" } : {};
}

/**
 * `--ulimit NAME=SOFT[:HARD]` (HARD defaults to SOFT) by Podman's names, the
 * last one of a name winning, as in Podman.
 */
function ulimits(values: string[]) {
  const limits: Record<string, { soft: number; hard: number }> = {};
  for (const value of values) {
    const m = ULIMIT.exec(value);
    if (!m?.[1] || !isUlimitName(m[1])) {
      throw new InvalidArgError(
        `unsupported --ulimit ${JSON.stringify(value)}: use NAME=SOFT[:HARD], NAME one of ${ULIMIT_NAMES.join(", ")}`,
      );
    }
    const soft = Number(m[2]);
    limits[m[1]] = { soft, hard: m[3] === undefined ? soft : Number(m[3]) };
  }
  return Object.keys(limits).length > 0 ? { ulimits: limits } : {};
}

/** The sandbox fields for a create body; flags not given are left out. */
export function sandboxBody(flags: SandboxFlags) {
  return {
    ...seccomp(flags.securityOpt ?? []),
    ...(flags.pidsLimit !== undefined ? { pidsLimit: flags.pidsLimit } : {}),
    ...ulimits(flags.ulimit ?? []),
  };
}
