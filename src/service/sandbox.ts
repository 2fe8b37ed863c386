/**
 * The sandbox a create request asks for, with Podman's defaults filled in
 * and checked, before anything is journaled.
 */
import { InvalidArgError } from "../errors.js";
import {
  DEFAULT_SANDBOX,
  isUlimitName,
  type RlimitPair,
  type Sandbox,
  type UlimitName,
} from "../machines/index.js";

/** The sandbox fields of a create request; each one left out keeps the default. */
export interface SandboxOptions {
  seccomp?: "default" | "unconfined";
  /** 0 or -1: no limit, as with Podman's --pids-limit. */
  pidsLimit?: number;
  /** By Podman's names (nofile, nproc, core, memlock, stack, ...); nofile defaults to 1024:1024. */
  ulimits?: Partial<Record<string, RlimitPair>>;
}

function rlimit(name: string, pair: RlimitPair): RlimitPair {
  const { soft, hard } = pair;
  // An open-file limit of 0 would leave the process unable to open its own binary's libraries.
  const least = name === "nofile" ? 1 : 0;
  if (!(
    Number.isSafeInteger(soft) &&
    Number.isSafeInteger(hard) &&
    soft >= least &&
    hard >= least
  )) {
    throw new InvalidArgError(
      `invalid --ulimit ${name}=${soft}:${hard}: use whole numbers of ${least} or more`,
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
  const rlimits: Partial<Record<UlimitName, RlimitPair>> = { ...DEFAULT_SANDBOX.rlimits };
  for (const [name, pair] of Object.entries(options.ulimits ?? {})) {
    if (!isUlimitName(name)) {
      throw new InvalidArgError(`invalid --ulimit ${name}: not a resource limit berth knows`);
    }
    if (pair) rlimits[name] = rlimit(name, pair);
  }
  return {
    seccomp: options.seccomp ?? DEFAULT_SANDBOX.seccomp,
    pidsLimit: pids <= 0 ? 0 : pids,
    rlimits,
  };
}
