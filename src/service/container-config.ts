/**
 * The container configuration a create request asks for (hostname, read-only
 * root, tmpfs mounts, cgroup limits, capabilities), in Podman's spelling,
 * checked and resolved to what the record keeps before anything is journaled.
 */
import { availableParallelism } from "node:os";
import { posix } from "node:path";
import { boundingCapabilities, capabilityName, resolveCapabilities } from "../effects/index.js";
import { InvalidArgError } from "../errors.js";
import type { ContainerConfig, Resources, TmpfsMount } from "../machines/index.js";

/** The configuration fields of a create request; each one left out keeps Podman's default. */
export interface ConfigOptions {
  /** The UTS hostname (create --hostname). */
  hostname?: string;
  /** Mount the root file system read-only (create --read-only). */
  readOnly?: boolean;
  /** With readOnly: tmpfs on /tmp, /var/tmp and /run (create --read-only-tmpfs, default true). */
  readOnlyTmpfs?: boolean;
  /** `PATH[:OPTIONS]` entries, as create --tmpfs takes them. */
  tmpfs?: string[];
  /** Bytes, or a size with b, k, m or g (create --memory 16m). */
  memory?: number | string;
  /** Memory plus swap: bytes, a size, or -1 for unlimited swap (create --memory-swap). */
  memorySwap?: number | string;
  /** CPUs the container may use, a fraction allowed (create --cpus 0.5). */
  cpus?: number;
  /** Relative CPU weight (create --cpu-shares). */
  cpuShares?: number;
  capAdd?: string[];
  capDrop?: string[];
  /** All capabilities, no seccomp filter, every device, no masked paths (create --privileged). */
  privileged?: boolean;
}

/** The kernel's HOST_NAME_MAX; a name is letters, digits, dots and dashes, as RFC 1123 has it. */
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62})$/;

/** The least memory limit Podman and Docker take: below it the runtime itself cannot start. */
export const MIN_MEMORY = 6 * 1024 * 1024;

/** The CFS period berth writes, as Podman does for --cpus. */
export const CPU_PERIOD = 100_000;

/** The kernel's bounds on cpu.shares. */
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262_144;

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const SIZE = /^(\d+(?:\.\d+)?)([bkmg]?)$/i;

/**
 * Bytes from a size as Podman's --memory takes it: a whole or decimal number
 * with an optional b, k, m or g (powers of 1024). Throws InvalidArgError for
 * anything else: a sign, another unit, no number.
 */
export function parseBytes(input: number | string, flag = "--memory"): number {
  let bytes: number;
  if (typeof input === "number") {
    bytes = input;
  } else {
    const m = SIZE.exec(input.trim());
    const unit = UNITS[(m?.[2] ?? "").toLowerCase()];
    if (!m || unit === undefined) {
      throw new InvalidArgError(
        `invalid ${flag} ${JSON.stringify(input)}: use a number of bytes with b, k, m or g`,
      );
    }
    bytes = Math.floor(Number(m[1]) * unit);
  }
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new InvalidArgError(`invalid ${flag} ${String(input)}: use a whole number of bytes`);
  }
  return bytes;
}

/** The cgroup limits for `o`, with Podman's rules between them. */
export function resourcesFor(o: ConfigOptions, hostCpus = availableParallelism()): Resources {
  const r: Resources = {};
  if (o.memory !== undefined) {
    const memory = parseBytes(o.memory);
    if (memory < MIN_MEMORY) {
      throw new InvalidArgError(
        `invalid --memory ${String(o.memory)}: the least memory limit is 6m (${MIN_MEMORY} bytes)`,
      );
    }
    r.memory = memory;
  }
  if (o.memorySwap !== undefined) {
    if (r.memory === undefined) {
      throw new InvalidArgError("--memory-swap needs --memory: it is memory plus swap");
    }
    const unlimited = o.memorySwap === -1 || o.memorySwap === "-1";
    const swap = unlimited ? -1 : parseBytes(o.memorySwap, "--memory-swap");
    if (swap !== -1 && swap < r.memory) {
      throw new InvalidArgError(
        `invalid --memory-swap ${String(o.memorySwap)}: it is memory plus swap, so it must be at least --memory (${r.memory} bytes)`,
      );
    }
    r.memorySwap = swap;
  } else if (r.memory !== undefined) {
    // Docker's documented default: as much swap as memory. Written out so the record says it.
    r.memorySwap = 2 * r.memory;
  }
  if (o.cpus !== undefined) {
    const quota = Math.round(o.cpus * CPU_PERIOD);
    // The kernel's least quota is 1 ms.
    if (!Number.isFinite(o.cpus) || quota < 1_000 || o.cpus > hostCpus) {
      throw new InvalidArgError(
        `invalid --cpus ${o.cpus}: use a number from 0.01 to ${hostCpus}, the CPUs this host has`,
      );
    }
    r.cpuQuota = quota;
    r.cpuPeriod = CPU_PERIOD;
  }
  if (o.cpuShares !== undefined) {
    const s = o.cpuShares;
    if (!Number.isSafeInteger(s) || s < MIN_CPU_SHARES || s > MAX_CPU_SHARES) {
      throw new InvalidArgError(
        `invalid --cpu-shares ${s}: use a whole number from ${MIN_CPU_SHARES} to ${MAX_CPU_SHARES}`,
      );
    }
    r.cpuShares = s;
  }
  return r;
}

/** tmpfs options Podman and the kernel take, and the shape of each one's value. */
const TMPFS_FLAGS = new Set([
  "ro",
  "rw",
  "exec",
  "noexec",
  "suid",
  "nosuid",
  "dev",
  "nodev",
  "atime",
  "noatime",
  "diratime",
  "nodiratime",
  "relatime",
  "norelatime",
  "strictatime",
  "nostrictatime",
  "sync",
  "async",
  "dirsync",
]);
const TMPFS_VALUES: Record<string, RegExp> = {
  size: /^\d+[kmg%]?$/i,
  nr_blocks: /^\d+[kmg]?$/i,
  nr_inodes: /^\d+[kmg]?$/i,
  mode: /^[0-7]{3,4}$/,
  uid: /^\d{1,10}$/,
  gid: /^\d{1,10}$/,
};

/** Podman's options for every --tmpfs, before the ones given. */
const TMPFS_DEFAULTS = ["rw", "noexec", "nosuid", "nodev"];

/** Where a tmpfs would hide or replace what the runtime itself mounts and guards. */
const RESERVED = ["/proc", "/sys", "/dev/pts"];

function tmpfsDestination(dest: string, entry: string): string {
  if (!posix.isAbsolute(dest) || dest.split("/").includes("..")) {
    throw new InvalidArgError(
      `invalid --tmpfs ${JSON.stringify(entry)}: the path must be absolute and have no ..`,
    );
  }
  const clean = posix.normalize(dest).replace(/(.)\/$/, "$1");
  // /dev itself holds the devices runc makes; a tmpfs over it would hide /dev/null and the rest.
  const reserved = clean === "/" || clean === "/dev";
  if (reserved || RESERVED.some((r) => clean === r || clean.startsWith(`${r}/`))) {
    throw new InvalidArgError(
      `invalid --tmpfs ${JSON.stringify(entry)}: ${clean} is the container's root or the runtime's own`,
    );
  }
  return clean;
}

/** One `--tmpfs PATH[:OPTIONS]` entry, checked, with Podman's default options first. */
export function parseTmpfs(entry: string): TmpfsMount {
  if (entry.includes("\0")) throw new InvalidArgError("invalid --tmpfs: NUL in the entry");
  const colon = entry.indexOf(":");
  const destination = tmpfsDestination(colon < 0 ? entry : entry.slice(0, colon), entry);
  const given = colon < 0 ? [] : entry.slice(colon + 1).split(",");
  for (const option of given) {
    const eq = option.indexOf("=");
    const key = eq < 0 ? option : option.slice(0, eq);
    const shape = TMPFS_VALUES[key];
    const known =
      eq < 0 ? TMPFS_FLAGS.has(option) : shape !== undefined && shape.test(option.slice(eq + 1));
    if (!known) {
      throw new InvalidArgError(
        `invalid --tmpfs ${JSON.stringify(entry)}: unknown or malformed option ${JSON.stringify(option)}`,
      );
    }
  }
  return { destination, options: [...TMPFS_DEFAULTS, ...given] };
}

/** The tmpfs mounts Podman's --read-only-tmpfs adds: writable scratch where programs expect it. */
const READ_ONLY_TMPFS = ["/tmp", "/var/tmp", "/run"];

function tmpfsFor(o: ConfigOptions): TmpfsMount[] {
  const mounts = (o.tmpfs ?? []).map(parseTmpfs);
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) {
      throw new InvalidArgError(`--tmpfs ${m.destination} is given twice`);
    }
    seen.add(m.destination);
  }
  if (o.readOnly && o.readOnlyTmpfs !== false) {
    for (const destination of READ_ONLY_TMPFS) {
      // A --tmpfs of the same path says how it is mounted.
      if (!seen.has(destination)) mounts.push({ destination, options: ["rw", "nosuid", "nodev"] });
    }
  }
  return mounts;
}

/** What the host offers, read from the daemon's own process unless a test gives it. */
export interface HostOffer {
  cpus: number;
  /** The daemon's capability bounding set. */
  capabilities: readonly string[];
}

const thisHost = (): HostOffer => ({
  cpus: availableParallelism(),
  capabilities: boundingCapabilities(),
});

/** The record's configuration fields for a create request `o`; throws InvalidArgError on bad input. */
export function configFor(o: ConfigOptions, host: HostOffer = thisHost()): ContainerConfig {
  if (o.hostname !== undefined && !HOSTNAME.test(o.hostname)) {
    throw new InvalidArgError(
      `invalid --hostname ${JSON.stringify(o.hostname)}: use at most 64 letters, digits, dots and dashes`,
    );
  }
  const capAdd = (o.capAdd ?? []).map((c) => capabilityName(c, "--cap-add"));
  const capDrop = (o.capDrop ?? []).map((c) => capabilityName(c, "--cap-drop"));
  const privileged = o.privileged ?? false;
  const tmpfs = tmpfsFor(o);
  const resources = resourcesFor(o, host.cpus);
  return {
    ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
    readOnly: o.readOnly ?? false,
    ...(tmpfs.length > 0 ? { tmpfs } : {}),
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    security: {
      privileged,
      capAdd,
      capDrop,
      capabilities: resolveCapabilities({
        privileged,
        capAdd,
        capDrop,
        available: host.capabilities,
      }),
    },
  };
}
