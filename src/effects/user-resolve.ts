/**
 * The user a container runs as, resolved against its own root filesystem
 * before it starts, for the OCI spec's `process.user`.
 */
import { parseGroup, parsePasswd } from "./passwd.js";
import { readFileInRoot } from "./read-in-root.js";
import { lookupUser, parseUserSpec, type ResolvedUser } from "./user-lookup.js";

/**
 * Resolves `user` (`""`, `"1000"`, `"1000:1000"`, `"nobody"`,
 * `"nobody:nogroup"`, `"app:100"`) to numeric ids using the /etc/passwd and
 * /etc/group inside `rootfs` (the container's mounted root filesystem). The
 * rules are runc's; see {@link lookupUser}.
 *
 * Both files are read through {@link readFileInRoot}, so symlinks in the
 * image never lead to host files. A missing file is fine for numeric ids; a
 * file that is there but unsafe (a FIFO, a folder, too large) is refused even
 * then, since an image that ships one is broken or hostile.
 *
 * @throws InvalidArgError for a malformed spec or an id out of 0..2^31-1.
 * @throws UserNotFoundError for a user or group name the files do not list.
 * @throws RootfsFileUnsafeError for a passwd or group file berth will not read.
 */
export async function resolveUser(rootfs: string, user: string): Promise<ResolvedUser> {
  // Parsed first: a malformed spec fails without touching the rootfs.
  const spec = parseUserSpec(user);
  const [passwd, group] = await Promise.all([
    readFileInRoot(rootfs, "/etc/passwd"),
    readFileInRoot(rootfs, "/etc/group"),
  ]);
  return lookupUser(
    spec,
    passwd && parsePasswd(passwd.toString("utf8")),
    group && parseGroup(group.toString("utf8")),
  );
}
