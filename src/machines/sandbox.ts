/**
 * The sandbox a container runs in: what berth fixes at create time so the
 * record and the create event say what the container got. The masked and
 * read-only paths and the capabilities are the same for every container and
 * are not recorded here.
 */

import type { UlimitName } from "./ulimits.js";

/** A resource limit's soft and hard values, as setrlimit(2) takes them. */
export interface RlimitPair {
  soft: number;
  hard: number;
}

/** Per-container sandbox settings (create --security-opt, --pids-limit, --ulimit). */
export interface Sandbox {
  /**
   * "default": Podman's seccomp profile from the host, plus berth's tightening;
   * "unconfined": no seccomp filter at all.
   */
  seccomp: "default" | "unconfined";
  /** Most tasks (processes and threads) the container may hold; 0 means no limit. */
  pidsLimit: number;
  /** Resource limits set on the container's process; a missing one is inherited from the daemon. */
  rlimits: Partial<Record<UlimitName, RlimitPair>>;
}

/** What a container gets unless its create request relaxes it: Podman's pids limit, runc's NOFILE. */
export const DEFAULT_SANDBOX: Readonly<Sandbox> = Object.freeze({
  seccomp: "default",
  pidsLimit: 2048,
  rlimits: Object.freeze({ nofile: Object.freeze({ soft: 1024, hard: 1024 }) }),
});

/**
 * What a container created before berth had a sandbox got: no filter, no pids
 * limit, the daemon's own rlimits. Its create event and record have no
 * `sandbox`, and it keeps getting this, as it did when it was created. The
 * record is not filled in on replay, so stored projections written before the
 * sandbox existed still equal the journal's fold.
 */
export const LEGACY_SANDBOX: Readonly<Sandbox> = Object.freeze({
  seccomp: "unconfined",
  pidsLimit: 0,
  rlimits: Object.freeze({}),
});

/** The sandbox a record (or a runtime spec made from one) stands for. */
export function sandboxOf(r: { sandbox?: Sandbox | undefined }): Readonly<Sandbox> {
  return r.sandbox ?? LEGACY_SANDBOX;
}
