/**
 * The parts of the OCI spec that come from a container's configuration
 * (issue 12): hostname, read-only root, tmpfs mounts, cgroup limits,
 * capabilities and privilege. Pure, like `ociSpec`, which applies it last.
 */
import type { ContainerConfig, Resources } from "../machines/index.js";

/** A mount as the OCI spec writes it. */
interface Mount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/** The parts of the OCI spec this file changes; bundle.ts's OciSpec has them. */
interface SpecParts {
  process: { capabilities: Record<"bounding" | "effective" | "permitted", string[]> };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: Mount[];
  linux: {
    resources: { devices: { allow: boolean; access: string }[] } & OciResourceLimits;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/** The OCI linux.resources entries for cgroup limits (runc writes v1 or v2 files from them). */
export interface OciResourceLimits {
  memory?: { limit: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
}

function resourceLimits(r: Resources | undefined): OciResourceLimits {
  if (!r) return {};
  const cpu = {
    ...(r.cpuShares !== undefined ? { shares: r.cpuShares } : {}),
    ...(r.cpuQuota !== undefined ? { quota: r.cpuQuota } : {}),
    ...(r.cpuPeriod !== undefined ? { period: r.cpuPeriod } : {}),
  };
  return {
    ...(r.memory !== undefined
      ? {
          memory: {
            limit: r.memory,
            ...(r.memorySwap !== undefined ? { swap: r.memorySwap } : {}),
          },
        }
      : {}),
    ...(Object.keys(cpu).length > 0 ? { cpu } : {}),
  };
}

const tmpfsMount = (destination: string, options: readonly string[]): Mount => ({
  destination,
  type: "tmpfs",
  source: "tmpfs",
  options: [...options],
});

/** `spec` with `config` applied; `id` gives the default hostname. */
export function applyConfig<S extends SpecParts>(
  spec: S,
  config: ContainerConfig & { id: string },
): S {
  // A container created before --cap-add keeps the default set `spec` already has.
  const caps = config.security?.capabilities ?? spec.process.capabilities.bounding;
  const privileged = config.security?.privileged === true;
  const mounts = spec.mounts.map((m) =>
    // Podman gives a privileged container a writable /sys.
    privileged && m.destination === "/sys"
      ? { ...m, options: (m.options ?? []).filter((o) => o !== "ro") }
      : m,
  );
  for (const t of config.tmpfs ?? []) mounts.push(tmpfsMount(t.destination, t.options));
  return {
    ...spec,
    process: {
      ...spec.process,
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
    },
    root: { ...spec.root, readonly: config.readOnly === true },
    hostname: config.hostname ?? config.id.slice(0, 12),
    mounts,
    linux: {
      ...spec.linux,
      resources: {
        ...spec.linux.resources,
        ...(privileged ? { devices: [{ allow: true, access: "rwm" }] } : {}),
        ...resourceLimits(config.resources),
      },
      ...(privileged ? { maskedPaths: [], readonlyPaths: [] } : {}),
    },
  };
}
