/**
 * An exec session's OCI process: the container's own process (capabilities,
 * rlimits, no-new-privileges, as runc requires them for `runc exec --process`)
 * with the command, environment, working directory and user replaced.
 */
import type { OciSpec } from "./bundle.js";
import type { ResolvedUser } from "./user-lookup.js";

/** What an exec replaces in the container's process. */
export interface ExecProcessInput {
  command: string[];
  /** `KEY=value` entries; one whose key the container has replaces it. */
  env: string[];
  /** Absent: the container's working directory. */
  workingDir?: string;
  /** Absent: the container's user. */
  user?: ResolvedUser;
  tty: boolean;
}

const keyOf = (entry: string) => entry.slice(0, Math.max(entry.indexOf("="), 0));

/** `base` with `extra` on top, one entry per key, the container's order kept. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const added = new Map(extra.map((e) => [keyOf(e), e]));
  const kept = base.map((e) => added.get(keyOf(e)) ?? e);
  const present = new Set(base.map(keyOf));
  return [...kept, ...[...added.entries()].filter(([k]) => !present.has(k)).map(([, e]) => e)];
}

/** The process spec `runc exec --process` reads for one session. */
export function execProcessSpec(
  base: OciSpec["process"],
  input: ExecProcessInput,
): OciSpec["process"] {
  return {
    ...base,
    terminal: input.tty,
    args: input.command,
    env: mergeEnv(base.env, input.env),
    cwd: input.workingDir ?? base.cwd,
    user: input.user
      ? {
          uid: input.user.uid,
          gid: input.user.gid,
          ...(input.user.additionalGids.length > 0
            ? { additionalGids: input.user.additionalGids }
            : {}),
        }
      : base.user,
  };
}
