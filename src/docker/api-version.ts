/**
 * The Docker Engine API versions berth answers to, and the version prefix on
 * request paths. The docker CLI pings unversioned, then prefixes every path
 * with `/v{min(its own, ours)}`; dockerode sends unversioned paths.
 */
import { InvalidArgError } from "../errors.js";

/** What berth claims: the newest API whose lifecycle it serves (1.45 to 1.47 changed none of it). */
export const DOCKER_API_VERSION = "1.47";
/** The oldest the docker CLI of Docker 28 still speaks; Traefik pinned it for years. */
export const DOCKER_MIN_API_VERSION = "1.24";

const VERSIONED = /^\/v(\d+)\.(\d+)(\/.*)$/;

const asNumber = (v: string) => {
  const [major = "0", minor = "0"] = v.split(".");
  return Number(major) * 1000 + Number(minor);
};

/**
 * The path without its version prefix, and the version asked for (ours when
 * none). Outside 1.24 to 1.47 it is refused in dockerd's words, a 400.
 */
export function unversionedPath(path: string): { path: string; version: string } {
  const m = VERSIONED.exec(path);
  if (!m) return { path, version: DOCKER_API_VERSION };
  const version = `${Number(m[1])}.${Number(m[2])}`;
  if (asNumber(version) > asNumber(DOCKER_API_VERSION))
    throw new InvalidArgError(
      `client version ${version} is too new. Maximum supported API version is ${DOCKER_API_VERSION}`,
    );
  if (asNumber(version) < asNumber(DOCKER_MIN_API_VERSION))
    throw new InvalidArgError(
      `client version ${version} is too old. Minimum supported API version is ${DOCKER_MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  return { path: m[3]!, version };
}
