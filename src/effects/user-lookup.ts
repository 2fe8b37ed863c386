/**
 * Turning a user spec (an image's `User`, a container's `--user`) into the
 * numeric ids of the OCI spec's `process.user`, given the container's parsed
 * passwd and group files. Pure; {@link resolveUser} reads the files.
 *
 * The rules are runc's (libcontainer/user, now moby/sys/user), which Podman
 * and Docker share, so an image runs as the same ids under berth:
 *
 * - `""` is root: the passwd entry with uid 0 if there is one, else 0:0.
 * - a number is always a uid, even if some user is named like it; it needs no
 *   passwd entry (then its gid is 0), but when it has one, that entry's gid
 *   and groups apply. A name must have an entry.
 * - `user:group` sets the gid: a number needs no group entry, a name must
 *   have one. Without a group, the gid is the passwd entry's.
 * - additional gids are the groups listing the user's name as a member, but
 *   only when no group was given: `--user app:100` runs with gid 100 alone,
 *   as under runc and Docker.
 */
import { InvalidArgError, UserNotFoundError } from "../errors.js";
import { MAX_ID, type GroupEntry, type PasswdEntry } from "./passwd.js";

/** The ids a container's process runs as: OCI `process.user`. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups, in /etc/group order, without repeats. */
  additionalGids: number[];
}

/** One side of `user:group`: a numeric id or a name to look up. */
export type IdOrName = { kind: "id"; id: number } | { kind: "name"; name: string };

/** A parsed user spec; a missing side was not given. */
export interface UserSpec {
  user?: IdOrName;
  group?: IdOrName;
}

/** Control characters can never match a passwd line and only garble messages. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function idOrName(spec: string, part: string): IdOrName | undefined {
  if (part === "") return undefined;
  // Signed like Go's Atoi, so "-1" is refused as out of range rather than looked up as a name.
  if (!/^[+-]?[0-9]+$/.test(part)) return { kind: "name", name: part };
  const id = Number(part);
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) {
    throw new InvalidArgError(
      `user ${JSON.stringify(spec)}: uids and gids must be in range 0-${MAX_ID}`,
    );
  }
  return { kind: "id", id };
}

/**
 * Parses `user`, `uid`, `user:group`, `uid:gid` and the mixed forms. An empty
 * side counts as not given (`":100"` is root with gid 100), as in runc.
 *
 * @throws InvalidArgError for control characters, more than one `:`, or an id out of range.
 */
export function parseUserSpec(spec: string): UserSpec {
  if (CONTROL.test(spec)) {
    throw new InvalidArgError(`user ${JSON.stringify(spec)} holds a control character`);
  }
  const parts = spec.split(":");
  if (parts.length > 2) {
    throw new InvalidArgError(`user ${JSON.stringify(spec)} must be user, user:group or empty`);
  }
  const user = idOrName(spec, parts[0] ?? "");
  const group = idOrName(spec, parts[1] ?? "");
  return { ...(user && { user }), ...(group && { group }) };
}

function findUser(user: IdOrName | undefined, passwd: readonly PasswdEntry[]) {
  // First match wins, as in runc, when a file lists a name or uid twice.
  if (user === undefined) return passwd.find((entry) => entry.uid === 0);
  if (user.kind === "id") return passwd.find((entry) => entry.uid === user.id);
  return passwd.find((entry) => entry.name === user.name);
}

/**
 * Resolves a parsed spec against the container's passwd and group entries
 * (undefined when the file does not exist, which only names need).
 *
 * @throws UserNotFoundError when a user or group name has no entry.
 */
export function lookupUser(
  spec: UserSpec,
  passwd: readonly PasswdEntry[] | undefined,
  groups: readonly GroupEntry[] | undefined,
): ResolvedUser {
  const entry = findUser(spec.user, passwd ?? []);
  if (entry === undefined && spec.user?.kind === "name") {
    throw new UserNotFoundError(
      `unable to find user ${spec.user.name}: no matching entries in passwd file`,
    );
  }
  const uid = entry?.uid ?? (spec.user?.kind === "id" ? spec.user.id : 0);

  if (spec.group?.kind === "id") return { uid, gid: spec.group.id, additionalGids: [] };
  if (spec.group?.kind === "name") {
    const name = spec.group.name;
    const group = groups?.find((g) => g.name === name);
    if (group === undefined) {
      throw new UserNotFoundError(
        `unable to find group ${name}: no matching entries in group file`,
      );
    }
    return { uid, gid: group.gid, additionalGids: [] };
  }

  if (entry === undefined) return { uid, gid: 0, additionalGids: [] };
  const member = (groups ?? []).filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  return { uid, gid: entry.gid, additionalGids: [...new Set(member)] };
}
