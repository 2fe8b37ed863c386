/**
 * berth's tightening of Podman's seccomp profile. Podman's profile (Debian's
 * containers-common 0.50) lets a container use the kernel keyring (keyctl),
 * create user namespaces (unshare, clone and clone3 with CLONE_NEWUSER), and
 * answers ENOSYS, not EPERM, to add_key and io_uring_setup. Docker's current
 * profile refuses all of these, because the keyring is not namespaced and user
 * namespaces and io_uring have been a steady source of kernel exploits. berth
 * refuses them with EPERM, so the result is at least as strict as Podman's.
 */
import type { OciSeccomp, OciSyscall, SeccompArg } from "./seccomp-profile.js";

const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWUSER = 0x10000000;

/** Refused whatever their arguments. */
const DENIED = [
  "keyctl",
  "add_key",
  "request_key",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
];

/** Allowed, but not with CLONE_NEWUSER in their flags. */
const NO_NEW_USER_NS = ["clone", "unshare"];

/** The index of the flags argument: clone's comes second on s390 (stack first). */
function flagsIndex(name: string, arch: string): number {
  return name === "clone" && (arch === "s390x" || arch === "s390") ? 1 : 0;
}

function newUserNs(index: number, set: boolean): SeccompArg[] {
  const valueTwo = set ? CLONE_NEWUSER : 0;
  return [{ index, value: CLONE_NEWUSER, valueTwo, op: "SCMP_CMP_MASKED_EQ" }];
}

/** A profile's rules without `names`; rules left with no name are dropped. */
function without(rules: OciSyscall[], names: Set<string>, only?: (r: OciSyscall) => boolean) {
  return rules
    .map((r) => (only && !only(r) ? r : { ...r, names: r.names.filter((n) => !names.has(n)) }))
    .filter((r) => r.names.length > 0);
}

/**
 * `profile` with berth's tightening for `arch` (libseccomp's name). The calls
 * it refuses are taken out of every other rule first, since runc refuses a
 * filter that gives one call two actions without conditions. clone and unshare
 * are narrowed only where the profile allowed them unconditionally; clone3
 * then answers ENOSYS, because its flags sit in memory that seccomp cannot
 * read, and libc falls back to clone on ENOSYS.
 */
export function tightenSeccomp(profile: OciSeccomp, arch: string): OciSeccomp {
  const unconditionalAllow = (r: OciSyscall) => r.action === "SCMP_ACT_ALLOW" && !r.args?.length;
  const narrowed = NO_NEW_USER_NS.filter((n) =>
    profile.syscalls.some((r) => unconditionalAllow(r) && r.names.includes(n)),
  );
  let syscalls = without(profile.syscalls, new Set(DENIED));
  syscalls = without(syscalls, new Set(narrowed), unconditionalAllow);
  const extra: OciSyscall[] = [{ names: [...DENIED], action: "SCMP_ACT_ERRNO", errnoRet: EPERM }];
  for (const name of narrowed) {
    const index = flagsIndex(name, arch);
    extra.push(
      { names: [name], action: "SCMP_ACT_ALLOW", args: newUserNs(index, false) },
      { names: [name], action: "SCMP_ACT_ERRNO", errnoRet: EPERM, args: newUserNs(index, true) },
    );
  }
  if (narrowed.includes("clone")) {
    syscalls = without(syscalls, new Set(["clone3"]));
    extra.push({ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS });
  }
  return { ...profile, syscalls: [...syscalls, ...extra] };
}
