/**
 * The names top shows for a process's uid and gid, taken from the
 * container's own /etc/passwd and /etc/group: the host's files name other
 * users, or none, for the same ids.
 */
import { RootfsFileUnsafeError } from "../errors.js";
import { parseGroup, parsePasswd, type GroupEntry, type PasswdEntry } from "./passwd.js";
import { readFileInRoot } from "./read-in-root.js";

/** Names for ids; an id without one shows as its number, an unknown id as `?`. */
export interface IdNames {
  user(uid: number | undefined): string;
  group(gid: number | undefined): string;
}

function namer(pairs: [number, string][]) {
  const names = new Map<number, string>();
  // The first line for an id names it, as getpwuid reads the file.
  for (const [id, name] of pairs) if (!names.has(id)) names.set(id, name);
  return (id: number | undefined) => (id === undefined ? "?" : (names.get(id) ?? String(id)));
}

/** Names from parsed passwd and group entries; without entries every id shows as its number. */
export function idNames(
  passwd: readonly PasswdEntry[] = [],
  groups: readonly GroupEntry[] = [],
): IdNames {
  return {
    user: namer(passwd.map((e) => [e.uid, e.name])),
    group: namer(groups.map((e) => [e.gid, e.name])),
  };
}

/**
 * The names in the passwd and group files of `rootfs` (the container's
 * mounted root), read through {@link readFileInRoot}. A file that is missing
 * or that berth will not read (a FIFO, a symlink out of the root) gives no
 * names: top still answers, with numbers, since it only looks.
 */
export async function readIdNames(rootfs: string): Promise<IdNames> {
  const [passwd, group] = await Promise.all([
    readOrNothing(rootfs, "/etc/passwd"),
    readOrNothing(rootfs, "/etc/group"),
  ]);
  return idNames(
    passwd === undefined ? [] : parsePasswd(passwd),
    group === undefined ? [] : parseGroup(group),
  );
}

async function readOrNothing(rootfs: string, file: string): Promise<string | undefined> {
  try {
    return (await readFileInRoot(rootfs, file))?.toString("utf8");
  } catch (err) {
    if (err instanceof RootfsFileUnsafeError) return undefined;
    throw err;
  }
}
