/**
 * Overlay rootfs mounts: the image rootfs is the read-only lower layer, each
 * container writes to its own upper dir. Both operations are idempotent, by
 * checking /proc/self/mountinfo first, so retries and recovery can call them freely.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { InvalidArgError, OciRuntimeError } from "../errors.js";
import { throwIfAborted } from "./abort.js";
import { defaultRunner } from "./default-runner.js";

/** The layers of one overlay mount. */
export interface OverlayDirs {
  /** Read-only lower folders, topmost first (overlayfs's order). */
  lower: readonly string[];
  upper: string;
  work: string;
  merged: string;
}

/** mountinfo escapes space, tab, newline and backslash as 3-digit octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points listed in a mountinfo text (field 5 of each line). */
export function parseMountPoints(mountinfo: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field !== undefined) points.push(unescapeMountPath(field));
  }
  return points;
}

/** Current mount points of this process's mount namespace. */
export async function mountPoints(): Promise<string[]> {
  return parseMountPoints(await fs.readFile("/proc/self/mountinfo", "utf8"));
}

/** True when `dir` is a mount point. */
export async function isMounted(dir: string): Promise<boolean> {
  const target = path.resolve(dir);
  return (await mountPoints()).includes(target);
}

/** Mount points at or below `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const base = path.resolve(dir);
  return (await mountPoints()).filter((p) => p === base || p.startsWith(`${base}/`));
}

async function run(
  args: string[],
  what: string,
  signal?: AbortSignal,
  cwd?: string,
): Promise<void> {
  const result = await defaultRunner().run(args[0] ?? "", args.slice(1), {
    ...(signal !== undefined ? { signal } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
  });
  throwIfAborted(signal);
  if (result.failed) {
    throw new OciRuntimeError(`${what}: ${result.stderr.trim() || result.message}`);
  }
}

/** The kernel reads mount options from one page. */
const MAX_OPTIONS = 4095;

/**
 * The lowerdir option. Lower folders that share a parent (image layers all
 * live in one folder) are named relative to it, and the mount runs there:
 * overlayfs resolves them against the mounting process's working directory,
 * so about twice as many layers fit in the one page of mount options.
 */
function lowerOption(lower: readonly string[]): { lowerdir: string; cwd?: string } {
  if (lower.length === 0) throw new InvalidArgError("an overlay mount needs a lower folder");
  const parents = new Set(lower.map((l) => path.dirname(l)));
  const [parent] = parents;
  if (parents.size === 1 && parent !== undefined && lower.length > 1)
    return { lowerdir: lower.map((l) => path.basename(l)).join(":"), cwd: parent };
  return { lowerdir: lower.join(":") };
}

/** Mounts the overlay at `dirs.merged` unless it is already mounted. */
export async function mountOverlay(dirs: OverlayDirs, signal?: AbortSignal): Promise<void> {
  if (await isMounted(dirs.merged)) return;
  await Promise.all(
    [dirs.upper, dirs.work, dirs.merged].map((d) => fs.mkdir(d, { recursive: true })),
  );
  const { lowerdir, cwd } = lowerOption(dirs.lower);
  const options = `lowerdir=${lowerdir},upperdir=${dirs.upper},workdir=${dirs.work}`;
  if (options.length > MAX_OPTIONS)
    throw new InvalidArgError(
      `${dirs.lower.length} layers do not fit in one overlay mount (${options.length} bytes of options, at most ${MAX_OPTIONS})`,
    );
  await run(
    ["mount", "-t", "overlay", "overlay", "-o", options, dirs.merged],
    `mount overlay on ${dirs.merged}`,
    signal,
    cwd,
  );
}

/** Most mounts stacked on one dir that unmount peels off before giving up. */
const MAX_STACKED = 8;

/** Unmounts `merged` until it is no longer a mount point (mounts can be stacked). */
export async function unmountOverlay(merged: string, signal?: AbortSignal): Promise<void> {
  for (let i = 0; i < MAX_STACKED; i++) {
    if (!(await isMounted(merged))) return;
    await run(["umount", merged], `unmount ${merged}`, signal);
  }
  if (await isMounted(merged)) {
    throw new OciRuntimeError(`unmount ${merged}: still mounted after ${MAX_STACKED} unmounts`);
  }
}
