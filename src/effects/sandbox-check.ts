/**
 * What the host can give a container's sandbox, checked at create so a
 * container that could never start is refused before it is journaled.
 */
import { readFile } from "node:fs/promises";
import { InvalidArgError } from "../errors.js";
import { ULIMIT_NAMES, ULIMITS, type Sandbox } from "../machines/index.js";
import { DEFAULT_CAPABILITIES } from "./bundle.js";
import { defaultSeccomp } from "./seccomp.js";

/** The hard limit on `row` in a `/proc/<pid>/limits` text; Infinity for "unlimited". */
export function hardLimit(limits: string, row: string): number | undefined {
  const line = limits.split("\n").find((l) => l.startsWith(`${row} `));
  // Columns: the row's name, the soft limit, the hard limit, the unit (absent for counts).
  const m = line && /^\s+(\S+)\s+(\S+)/.exec(line.slice(row.length));
  if (!m) return undefined;
  return m[2] === "unlimited" ? Infinity : Number(m[2]);
}

/** The hard limit on open files in a `/proc/<pid>/limits` text; Infinity for "unlimited". */
export const nofileHardLimit = (limits: string) => hardLimit(limits, ULIMITS.nofile.row);

/**
 * Throws SeccompProfileError when a default filter cannot be built from
 * `profilePath`, and InvalidArgError for an rlimit's hard limit above the
 * daemon's: runc inherits the daemon's limits and, without CAP_SYS_RESOURCE,
 * cannot raise them.
 */
export async function checkSandbox(sandbox: Sandbox, profilePath?: string): Promise<void> {
  if (sandbox.seccomp === "default") await defaultSeccomp(DEFAULT_CAPABILITIES, profilePath);
  const names = ULIMIT_NAMES.filter((name) => sandbox.rlimits[name]);
  if (names.length === 0) return;
  const limits = await readFile("/proc/self/limits", "utf8");
  for (const name of names) {
    const hard = sandbox.rlimits[name]?.hard ?? 0;
    const own = hardLimit(limits, ULIMITS[name].row);
    if (own !== undefined && hard > own) {
      throw new InvalidArgError(
        `--ulimit ${name} hard limit ${hard} is above the daemon's own hard limit ${own}, ` +
          `which berth cannot raise`,
      );
    }
  }
}
