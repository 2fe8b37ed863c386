/**
 * Parsers for the /etc/passwd and /etc/group files of an image (`man 5
 * passwd`, `man 5 group`). The files come from untrusted images, so a line
 * that does not parse is skipped rather than guessed at: runc reads a bad id
 * field as 0, which would make a garbled line a root entry.
 */

/** The largest uid or gid berth accepts, as runc does: ids must fit a signed 32-bit int. */
export const MAX_ID = 2 ** 31 - 1;

/** One line of /etc/passwd, reduced to what berth uses. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  /** The home folder ("" when the line has none). */
  home: string;
}

/** One line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
  /** The user names listed as members (the primary-group members are not listed here). */
  members: string[];
}

/** A decimal id within 0..{@link MAX_ID}, or undefined. */
export function parseId(text: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

/** The `:`-separated fields of each line worth reading: blank lines and `#` comments are dropped. */
function records(text: string): string[][] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"));
}

/**
 * Parses /etc/passwd text (`name:password:uid:gid:gecos:home:shell`).
 * Lines without a name or with a uid or gid that is not a decimal id within
 * range are skipped, as are NIS `+`/`-` lines.
 */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const [name, , uidText, gidText, , home] of records(text)) {
    if (name === undefined || name === "" || name.startsWith("+") || name.startsWith("-")) continue;
    const uid = parseId(uidText ?? "");
    const gid = parseId(gidText ?? "");
    if (uid === undefined || gid === undefined) continue;
    entries.push({ name, uid, gid, home: home ?? "" });
  }
  return entries;
}

/**
 * Parses /etc/group text (`name:password:gid:member,member`).
 * Lines without a name or a valid gid are skipped; empty member names are dropped.
 */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const [name, , gidText, list] of records(text)) {
    if (name === undefined || name === "" || name.startsWith("+") || name.startsWith("-")) continue;
    const gid = parseId(gidText ?? "");
    if (gid === undefined) continue;
    const members = (list ?? "").split(",").filter((member) => member !== "");
    entries.push({ name, gid, members });
  }
  return entries;
}
