/**
 * The root holds the journal, the containers' merged root filesystems (with
 * their setuid binaries), runc's state and conmon's sockets: nobody but the
 * daemon's user may enter it. Like containers-storage, which keeps its
 * storage 0700, berth tightens a pre-made root at start rather than refusing
 * it: an operator's `mkdir /var/lib/berth` gives 0755, and refusing that
 * would fail every fresh setup for no gain. A root another user owns is
 * refused, as that user could open it again at any time.
 */
import type { Stats } from "node:fs";
import { chmod, lstat, mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { layout } from "../effects/index.js";
import { RootPermissionError } from "../errors.js";

/** Bits that let the group or others in. */
const OPEN_TO_OTHERS = 0o077;

const lstatOrUndefined = (path: string): Promise<Stats | undefined> =>
  lstat(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  });

/** The root's own folders and each container's folder: everything secret sits below one of them. */
async function secretFolders(root: string): Promise<string[]> {
  const l = layout(root);
  const fixed = [
    l.images,
    l.containers,
    l.exits,
    l.runc,
    l.sockets,
    l.staging,
    l.checkpoints,
    join(root, "journal"),
    join(root, "audit"),
  ];
  const containers = await readdir(l.containers).catch(() => [] as string[]);
  return [...fixed, ...containers.map((id) => join(l.containers, id))];
}

/**
 * Creates the root, or checks a pre-made one, and makes it and its secret
 * folders 0700. Resolves with the folders it had to tighten. Throws
 * RootPermissionError for a root that is not a folder or not the daemon's user's.
 */
export async function makeRootPrivate(root: string): Promise<string[]> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  // stat, not lstat: a root that is a symlink to the real folder is an operator's choice.
  const found = await stat(root);
  if (!found.isDirectory()) throw new RootPermissionError(`--root ${root} is not a folder`);
  const uid = process.geteuid?.() ?? found.uid;
  if (found.uid !== uid) {
    throw new RootPermissionError(
      `--root ${root} belongs to uid ${found.uid}, not to the daemon's uid ${uid}: its owner could open it to others; chown it or choose another --root`,
    );
  }
  const tightened: string[] = [];
  if ((found.mode & OPEN_TO_OTHERS) !== 0) {
    await chmod(root, 0o700);
    tightened.push(root);
  }
  for (const dir of await secretFolders(root)) {
    const s = await lstatOrUndefined(dir);
    // A symlink is skipped: chmod would follow it to whatever it names.
    if (!s?.isDirectory() || (s.mode & OPEN_TO_OTHERS) === 0) continue;
    await chmod(dir, 0o700);
    tightened.push(dir);
  }
  return tightened;
}
