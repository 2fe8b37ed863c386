/**
 * Podman's `-v/--volume SRC:CTR[:OPTIONS]`, parsed without touching the host:
 * what the caller asked for, checked for shape only. Whether a bind source
 * exists, and where it really is, is the service's question (bind-source.ts).
 *
 * SRC that starts with `/` is a host path (a bind mount); SRC that contains a
 * `/` or starts with `.` is a relative path, refused (the daemon would resolve
 * it against its own working folder, which nobody named); any other SRC is a
 * volume name, created on first use as Podman does.
 */
import { InvalidArgError } from "../errors.js";
import { assertVolumeName } from "./volume-name.js";

/** Mount options `-v` accepts. `z`/`Z` (SELinux relabel) are accepted and ignored: this host has no SELinux. */
const KNOWN_OPTIONS = ["ro", "rw", "z", "Z", "bind", "rbind", "nosuid", "nodev", "noexec"] as const;

type KnownOption = (typeof KNOWN_OPTIONS)[number];

/** The longest `-v` value accepted (a host path of PATH_MAX plus the rest). */
export const MAX_VOLUME_SPEC_LENGTH = 8192;

/** One `-v` request, checked for shape. */
export type MountRequest =
  | {
      type: "bind";
      /** The host path as given: absolute, normalized, no `..`. */
      source: string;
      destination: string;
      readOnly: boolean;
      /** `rbind` (default) or `bind`. */
      recursive: boolean;
      /** Extra flags asked for: nosuid, nodev, noexec. */
      flags: string[];
      /** Options accepted but ignored (z, Z). */
      ignored: string[];
    }
  | {
      type: "volume";
      name: string;
      destination: string;
      readOnly: boolean;
      recursive: boolean;
      flags: string[];
      ignored: string[];
    };

const hasDotDot = (p: string) => p.split("/").includes("..");

/** `p` without repeated or trailing slashes and without `.` segments. */
function normalize(p: string): string {
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  return `/${parts.join("/")}`;
}

/** Container paths a mount must not cover: the kernel's own interfaces, which the spec mounts. */
const FORBIDDEN_DESTINATIONS = ["/proc", "/sys"];

/** Checks and normalizes a container path. */
export function containerPath(raw: string, spec: string): string {
  if (!raw.startsWith("/"))
    throw new InvalidArgError(
      `invalid volume ${JSON.stringify(spec)}: the container path ${JSON.stringify(raw)} must be absolute`,
    );
  if (hasDotDot(raw))
    throw new InvalidArgError(
      `invalid volume ${JSON.stringify(spec)}: the container path must not contain '..'`,
    );
  const dest = normalize(raw);
  if (dest === "/")
    throw new InvalidArgError(
      `invalid volume ${JSON.stringify(spec)}: a volume cannot be mounted over the container's /`,
    );
  const under = FORBIDDEN_DESTINATIONS.find((f) => dest === f || dest.startsWith(`${f}/`));
  if (under !== undefined)
    throw new InvalidArgError(
      `invalid volume ${JSON.stringify(spec)}: ${under} is the kernel's interface; nothing may be mounted on or under it`,
    );
  return dest;
}

function hostPath(raw: string, spec: string): string {
  if (hasDotDot(raw))
    throw new InvalidArgError(
      `invalid volume ${JSON.stringify(spec)}: the host path must not contain '..' (name the folder itself)`,
    );
  return normalize(raw);
}

function parseOptions(raw: string | undefined, spec: string) {
  const given = raw === undefined ? [] : raw.split(",");
  const seen = new Set<KnownOption>();
  for (const o of given) {
    if (!(KNOWN_OPTIONS as readonly string[]).includes(o))
      throw new InvalidArgError(
        `invalid volume ${JSON.stringify(spec)}: unknown option ${JSON.stringify(o)} (use ${KNOWN_OPTIONS.join(", ")})`,
      );
    if (seen.has(o as KnownOption))
      throw new InvalidArgError(`invalid volume ${JSON.stringify(spec)}: option ${o} given twice`);
    seen.add(o as KnownOption);
  }
  if (seen.has("ro") && seen.has("rw"))
    throw new InvalidArgError(`invalid volume ${JSON.stringify(spec)}: ro and rw contradict`);
  if (seen.has("bind") && seen.has("rbind"))
    throw new InvalidArgError(`invalid volume ${JSON.stringify(spec)}: bind and rbind contradict`);
  return {
    readOnly: seen.has("ro"),
    recursive: !seen.has("bind"),
    flags: (["nosuid", "nodev", "noexec"] as const).filter((f) => seen.has(f)),
    ignored: (["z", "Z"] as const).filter((f) => seen.has(f)),
  };
}

/** Parses one `-v SRC:CTR[:OPTIONS]`. Throws InvalidArgError on anything malformed. */
export function parseMountRequest(spec: string): MountRequest {
  if (spec.length > MAX_VOLUME_SPEC_LENGTH)
    throw new InvalidArgError(`invalid volume: longer than ${MAX_VOLUME_SPEC_LENGTH} characters`);
  if (spec.includes("\0"))
    throw new InvalidArgError(`invalid volume ${JSON.stringify(spec)}: contains a NUL byte`);
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3) {
    throw new InvalidArgError(
      `invalid volume ${JSON.stringify(spec)}: use SRC:CTR[:OPTIONS] (anonymous volumes are not supported; name one)`,
    );
  }
  const [src = "", ctr = "", opts] = parts;
  if (src === "")
    throw new InvalidArgError(`invalid volume ${JSON.stringify(spec)}: the source is empty`);
  const destination = containerPath(ctr, spec);
  const options = parseOptions(opts, spec);
  if (src.startsWith("/"))
    return { type: "bind", source: hostPath(src, spec), destination, ...options };
  if (src.startsWith(".") || src.includes("/"))
    throw new InvalidArgError(
      `invalid volume ${JSON.stringify(spec)}: the host path ${JSON.stringify(src)} must be absolute`,
    );
  return { type: "volume", name: assertVolumeName(src), destination, ...options };
}

/** Parses every `-v` of a create; two mounts on one container path are refused. */
export function parseMountRequests(specs: readonly string[]): MountRequest[] {
  const requests = specs.map(parseMountRequest);
  const seen = new Set<string>();
  for (const r of requests) {
    if (seen.has(r.destination))
      throw new InvalidArgError(`invalid volumes: two mounts on ${r.destination}`);
    seen.add(r.destination);
  }
  return requests;
}
