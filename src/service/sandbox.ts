/**
 * The sandbox a create request asks for, with Podman's defaults filled in
 * and checked, before anything is journaled.
 */
import { InvalidArgError } from "../errors.js";
import { DEFAULT_SANDBOX, type RlimitPair, type Sandbox } from "../machines/index.js";

/** The sandbox fields of a create request; each one left out keeps the default. */
export interface SandboxOptions {
  seccomp?: "default" | "unconfined";
  /** 0 or -1: no limit, as with Podman's --pids-limit. */
  pidsLimit?: number;
  ulimits?: { nofile?: RlimitPair };
}

function rlimit(name: string, pair: RlimitPair): RlimitPair {
  const { soft, hard } = pair;
  if (!(Number.isSafeInteger(soft) && Number.isSafeInteger(hard) && soft >= 1 && hard >= 1)) {
    throw new InvalidArgError(
      `invalid --ulimit ${name}=${soft}:${hard}: use whole numbers of 1 or more`,
    );
  }
  if (soft > hard) {
    throw new InvalidArgError(
      `invalid --ulimit ${name}=${soft}:${hard}: the soft limit is above the hard limit`,
    );
  }
  return { soft, hard };
}

/** The sandbox for `options`: DEFAULT_SANDBOX with what the request relaxed or changed. */
export function sandboxFor(options: SandboxOptions): Sandbox {
  const pids = options.pidsLimit ?? DEFAULT_SANDBOX.pidsLimit;
  if (!(Number.isSafeInteger(pids) && pids >= -1)) {
    throw new InvalidArgError(`invalid --pids-limit ${pids}: use a whole number, or -1 for none`);
  }
  const nofile = options.ulimits?.nofile ?? DEFAULT_SANDBOX.rlimits.nofile;
  return {
    seccomp: options.seccomp ?? DEFAULT_SANDBOX.seccomp,
    pidsLimit: pids <= 0 ? 0 : pids,
    rlimits: nofile ? { nofile: rlimit("nofile", nofile) } : {},
  };
}
