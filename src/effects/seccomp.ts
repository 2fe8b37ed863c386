/**
 * The default seccomp filter as runc gets it: Podman's profile read from the
 * host (Debian package golang-github-containers-common), converted for this
 * host and the container's capabilities, then tightened by berth.
 */
import { readFile } from "node:fs/promises";
import { arch, release } from "node:os";
import { SeccompProfileError } from "../errors.js";
import { convertProfile, MobyProfile, seccompArch, type OciSeccomp } from "./seccomp-profile.js";
import { tightenSeccomp } from "./seccomp-tightening.js";

/** Where Debian's containers-common puts the profile Podman uses. */
export const DEFAULT_SECCOMP_PROFILE = "/usr/share/containers/seccomp.json";

const INSTALL_HINT = "install the Debian package golang-github-containers-common";

/**
 * The last filter made from each profile for each set of capabilities, with
 * the text it was made from. Every create and start reads the profile again,
 * so a changed file is seen at once; only an unchanged one skips the parse
 * and conversion, which cost each create about 2 ms of the daemon's CPU.
 * Frozen: every container shares it.
 */
const converted = new Map<string, { text: string; filter: OciSeccomp }>();

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The OCI seccomp filter for a container holding `capabilities`, from the
 * moby-format profile at `profilePath`. Throws SeccompProfileError when the
 * file is missing, unreadable or not a profile berth can convert.
 */
export async function defaultSeccomp(
  capabilities: readonly string[],
  profilePath = DEFAULT_SECCOMP_PROFILE,
): Promise<OciSeccomp> {
  let text: string;
  try {
    text = await readFile(profilePath, "utf8");
  } catch (err) {
    throw new SeccompProfileError(
      `the default seccomp profile ${profilePath} cannot be read (${INSTALL_HINT}), ` +
        `or create the container with --security-opt seccomp=unconfined`,
      { cause: err },
    );
  }
  const host = seccompArch(arch());
  if (host === undefined) {
    throw new SeccompProfileError(`no seccomp architecture known for this host (${arch()})`);
  }
  const key = `${profilePath}\0${capabilities.join(",")}`;
  const known = converted.get(key);
  if (known?.text === text) return known.filter;
  try {
    const profile = MobyProfile.parse(JSON.parse(text));
    const filter = deepFreeze(
      tightenSeccomp(
        convertProfile(profile, { arch: host, kernel: release(), capabilities }),
        host,
      ),
    );
    converted.set(key, { text, filter });
    return filter;
  } catch (err) {
    throw new SeccompProfileError(
      `the default seccomp profile ${profilePath} is not a usable seccomp profile: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err },
    );
  }
}
