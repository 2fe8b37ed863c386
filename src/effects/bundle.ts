/**
 * The OCI bundle's config.json. `ociSpec` is pure so the exact spec runc sees
 * can be unit-tested; `writeBundle` puts it on disk.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { InvalidArgError } from "../errors.js";
import { sandboxOf, ULIMIT_NAMES, ULIMITS, type Sandbox } from "../machines/index.js";
import { applyConfig, type OciResourceLimits } from "./bundle-config.js";
import { ociMountsOf } from "./bundle-mounts.js";
import { withNetwork } from "./bundle-network.js";
import { writeFileAtomic } from "./fsutil.js";
import type { OciSeccomp } from "./seccomp-profile.js";
import type { ContainerSpec } from "./types.js";

/** The subset of the OCI runtime spec (1.0.2) that berth writes. */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<"bounding" | "effective" | "permitted", string[]>;
    rlimits?: OciRlimit[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    cgroupsPath: string;
    namespaces: { type: string; path?: string }[];
    resources: {
      devices: { allow: boolean; access: string }[];
      pids?: { limit: number };
    } & OciResourceLimits;
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: OciSeccomp;
  };
}

/** A process rlimit as the OCI spec writes it. */
export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/** Podman's default capability set: enough for ordinary images, no admin powers. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_NET_BIND_SERVICE",
  "CAP_SETFCAP",
  "CAP_SETGID",
  "CAP_SETPCAP",
  "CAP_SETUID",
  "CAP_SYS_CHROOT",
];

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const MOUNTS: readonly OciMount[] = [
  { destination: "/proc", type: "proc", source: "proc" },
  {
    destination: "/dev",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
  },
  {
    destination: "/dev/pts",
    type: "devpts",
    source: "devpts",
    options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
  },
  {
    destination: "/dev/shm",
    type: "tmpfs",
    source: "shm",
    options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
  },
  {
    destination: "/dev/mqueue",
    type: "mqueue",
    source: "mqueue",
    options: ["nosuid", "noexec", "nodev"],
  },
  {
    destination: "/sys",
    type: "sysfs",
    source: "sysfs",
    options: ["nosuid", "noexec", "nodev", "ro"],
  },
];

/**
 * Kernel interfaces a container must not read (info leaks) ... These are
 * Podman 4.3's masked paths, plus /proc/asound, which Podman only makes
 * read-only and berth hides (masking is the stricter of the two).
 */
const MASKED_PATHS: readonly string[] = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/fs/selinux",
  "/sys/dev/block",
];

/** ... or must not write (host-wide knobs): Podman 4.3's read-only paths but the masked /proc/asound. */
const READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

/** The numeric identity the process runs as, resolved from the rootfs's passwd and group files. */
export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

const ROOT: ProcessUser = { uid: 0, gid: 0 };

const hasKey = (env: readonly string[], key: string) => env.some((e) => e.startsWith(`${key}=`));

/**
 * The process environment: the container's own entries, plus a PATH and TERM
 * when it names none, as Docker and Podman add them (an image without ENV
 * PATH must still find `sh`).
 */
function processEnv(env: readonly string[]): string[] {
  return [
    ...(hasKey(env, "PATH") ? [] : [DEFAULT_PATH]),
    ...env,
    ...(hasKey(env, "TERM") ? [] : ["TERM=xterm"]),
  ];
}

/** The OCI rlimits for a sandbox: only those it names; the others are inherited from the daemon. */
function rlimits(sandbox: Readonly<Sandbox>): OciRlimit[] {
  return ULIMIT_NAMES.flatMap((name) => {
    const pair = sandbox.rlimits[name];
    return pair ? [{ type: ULIMITS[name].type, soft: pair.soft, hard: pair.hard }] : [];
  });
}

/**
 * The OCI spec for `spec`, rooted at `rootfsPath` (the overlay mount), with
 * the `seccomp` filter its sandbox asks for. A default sandbox without a filter
 * is refused, so a container never runs unconfined by mistake.
 */
export function ociSpec(
  spec: ContainerSpec,
  rootfsPath: string,
  seccomp?: OciSeccomp,
  user: ProcessUser = ROOT,
): OciSpec {
  if (spec.command.length === 0 || spec.command[0] === "") {
    throw new InvalidArgError(`container ${spec.id}: command must not be empty`);
  }
  if (!path.isAbsolute(rootfsPath)) {
    throw new InvalidArgError(`rootfs path ${JSON.stringify(rootfsPath)} must be absolute`);
  }
  const sandbox = sandboxOf(spec);
  if (sandbox.seccomp === "default" && !seccomp) {
    throw new InvalidArgError(`container ${spec.id}: its sandbox needs a seccomp filter`);
  }
  const caps = [...DEFAULT_CAPABILITIES];
  const limits = rlimits(sandbox);
  const oci: OciSpec = {
    ociVersion: "1.0.2",
    process: {
      terminal: spec.terminal,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.additionalGids?.length ? { additionalGids: [...user.additionalGids] } : {}),
      },
      args: [...spec.command],
      env: processEnv(spec.env ?? []),
      cwd: spec.workingDir || "/",
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      ...(limits.length > 0 ? { rlimits: limits } : {}),
      noNewPrivileges: true,
    },
    root: { path: rootfsPath, readonly: false },
    hostname: spec.id.slice(0, 12),
    mounts: [
      ...MOUNTS.map((m) => ({ ...m, ...(m.options ? { options: [...m.options] } : {}) })),
      ...ociMountsOf(spec.mounts),
    ],
    linux: {
      // Relative: runc nests it under the cgroup it runs in (berth's), so host limits still apply.
      cgroupsPath: `berth/${spec.id}`,
      namespaces: ["pid", "ipc", "uts", "mount", "network"].map((type) => ({ type })),
      // Deny every device; runc still adds the standard ones (null, zero, tty, ...).
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        // 0 is "no limit": runc then leaves the new cgroup's pids.max at "max".
        ...(sandbox.pidsLimit > 0 ? { pids: { limit: sandbox.pidsLimit } } : {}),
      },
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
      ...(sandbox.seccomp === "default" && seccomp ? { seccomp } : {}),
    },
  };
  // The container's own configuration (hostname, caps, limits, tmpfs, privilege) goes over the defaults.
  return applyConfig(oci, spec);
}

/** Writes `<bundleDir>/config.json` for `spec` atomically. */
export async function writeBundle(
  bundleDir: string,
  spec: ContainerSpec,
  rootfsPath: string,
  seccomp?: OciSeccomp,
  user: ProcessUser = ROOT,
): Promise<void> {
  const config = withNetwork(ociSpec(spec, rootfsPath, seccomp, user), spec);
  await fs.mkdir(bundleDir, { recursive: true });
  await writeFileAtomic(
    path.join(bundleDir, "config.json"),
    `${JSON.stringify(config, null, 2)}\n`,
  );
}
