/**
 * Linux capabilities by name, and the set a container gets from Podman's
 * --cap-add, --cap-drop and --privileged.
 */
import { readFileSync } from "node:fs";
import { InvalidArgError } from "../errors.js";
import type { ContainerConfig } from "../machines/index.js";
import { DEFAULT_CAPABILITIES } from "./bundle.js";

/** Every capability Linux defines (capability.h, 0 to 40), in number order. */
export const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

const KNOWN = new Set(ALL_CAPABILITIES);

/**
 * A capability as CAP_NAME, from a name with or without CAP_ in any case, as
 * Podman takes them; "ALL" stays ALL. Throws InvalidArgError for a name Linux
 * does not define.
 */
export function capabilityName(name: string, flag = "--cap-add"): string {
  const upper = name.trim().toUpperCase();
  if (upper === "ALL") return "ALL";
  const full = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  if (!KNOWN.has(full)) {
    throw new InvalidArgError(`invalid ${flag} ${JSON.stringify(name)}: unknown capability`);
  }
  return full;
}

/** The capabilities a `CapBnd:` mask (hex, from /proc/<pid>/status) holds, in number order. */
export function capabilitiesInMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

let bounding: readonly string[] | undefined;

/**
 * The daemon's bounding set: runc, which it runs, cannot give a container a
 * capability outside it. Read once; it cannot grow while the daemon runs.
 */
export function boundingCapabilities(): readonly string[] {
  if (!bounding) {
    const status = readFileSync("/proc/self/status", "utf8");
    const hex = /^CapBnd:\s+([0-9a-f]+)$/m.exec(status)?.[1];
    bounding = hex === undefined ? ALL_CAPABILITIES : capabilitiesInMask(hex);
  }
  return bounding;
}

/** What create asked for, names already checked by `capabilityName`. */
export interface CapabilityRequest {
  privileged: boolean;
  capAdd: readonly string[];
  capDrop: readonly string[];
  /** The capabilities the host can give (its bounding set); ALL and --privileged mean these. */
  available?: readonly string[];
}

/**
 * The capability set, in number order. It starts from all of them when
 * privileged or when ALL is added, from none when ALL is dropped (and not
 * added), otherwise from berth's default; then the named drops are taken out
 * and the named adds put in, as Podman does. A name both added and dropped is
 * refused, because which one wins would be a guess, and so is a named add the
 * host cannot give, because runc would fail to start the container.
 */
export function resolveCapabilities(req: CapabilityRequest): string[] {
  const both = req.capAdd.filter((c) => c !== "ALL" && req.capDrop.includes(c));
  if (both.length > 0) {
    throw new InvalidArgError(`capability ${both.join(", ")} is both added and dropped`);
  }
  const available = new Set(req.available ?? ALL_CAPABILITIES);
  const missing = req.capAdd.filter((c) => c !== "ALL" && !available.has(c));
  if (missing.length > 0) {
    throw new InvalidArgError(
      `--cap-add ${missing.join(", ")}: not in the daemon's bounding set, so no container can have it`,
    );
  }
  const addAll = req.privileged || req.capAdd.includes("ALL");
  const set = new Set<string>(
    addAll ? available : req.capDrop.includes("ALL") ? [] : DEFAULT_CAPABILITIES,
  );
  for (const c of req.capDrop) if (c !== "ALL") set.delete(c);
  for (const c of req.capAdd) if (c !== "ALL") set.add(c);
  return ALL_CAPABILITIES.filter((c) => set.has(c));
}

/** The capability set a record stands for: a container created before --cap-add has berth's default. */
export const capabilitiesOf = (c: ContainerConfig): readonly string[] =>
  c.security?.capabilities ?? DEFAULT_CAPABILITIES;
