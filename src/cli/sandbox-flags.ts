/**
 * `create --security-opt`, `--pids-limit` and `--ulimit` to the create body's
 * sandbox fields, in Podman's spelling. The daemon checks the bounds again.
 */
import { InvalidArgError } from "../errors.js";

export interface SandboxFlags {
  securityOpt?: string[];
  pidsLimit?: number;
  ulimit?: string[];
}

const ULIMIT = /^nofile=(\d+)(?::(\d+))?$/;

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

/** `--ulimit nofile=SOFT[:HARD]` (HARD defaults to SOFT), the last one winning, as in Podman. */
function ulimits(values: string[]) {
  let nofile: { soft: number; hard: number } | undefined;
  for (const value of values) {
    const m = ULIMIT.exec(value);
    if (!m) {
      throw new InvalidArgError(
        `unsupported --ulimit ${JSON.stringify(value)}: use nofile=SOFT[:HARD]`,
      );
    }
    const soft = Number(m[1]);
    nofile = { soft, hard: m[2] === undefined ? soft : Number(m[2]) };
  }
  return nofile ? { ulimits: { nofile } } : {};
}

/** The sandbox fields for a create body; flags not given are left out. */
export function sandboxBody(flags: SandboxFlags) {
  return {
    ...seccomp(flags.securityOpt ?? []),
    ...(flags.pidsLimit !== undefined ? { pidsLimit: flags.pidsLimit } : {}),
    ...ulimits(flags.ulimit ?? []),
  };
}
