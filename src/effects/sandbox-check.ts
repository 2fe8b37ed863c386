/**
 * What the host can give a container's sandbox, checked at create so a
 * container that could never start is refused before it is journaled.
 */
import { readFile } from "node:fs/promises";
import { InvalidArgError } from "../errors.js";
import type { Sandbox } from "../machines/index.js";
import { DEFAULT_CAPABILITIES } from "./bundle.js";
import { defaultSeccomp } from "./seccomp.js";

/** The hard limit on open files in a `/proc/<pid>/limits` text; Infinity for "unlimited". */
export function nofileHardLimit(limits: string): number | undefined {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limits);
  if (!m) return undefined;
  return m[1] === "unlimited" ? Infinity : Number(m[1]);
}

/**
 * Throws SeccompProfileError when a default filter cannot be built from
 * `profilePath`, and InvalidArgError for a NOFILE hard limit above the
 * daemon's: runc inherits the daemon's limits and, without CAP_SYS_RESOURCE,
 * cannot raise them.
 */
export async function checkSandbox(sandbox: Sandbox, profilePath?: string): Promise<void> {
  if (sandbox.seccomp === "default") await defaultSeccomp(DEFAULT_CAPABILITIES, profilePath);
  const nofile = sandbox.rlimits.nofile;
  if (!nofile) return;
  const own = nofileHardLimit(await readFile("/proc/self/limits", "utf8"));
  if (own !== undefined && nofile.hard > own) {
    throw new InvalidArgError(
      `--ulimit nofile hard limit ${nofile.hard} is above the daemon's own hard limit ${own}, ` +
        `which berth cannot raise`,
    );
  }
}
