/**
 * The OCI mounts of a container's binds and volumes, from its record. Pure,
 * so the spec runc sees can be unit-tested.
 */
import type { ContainerMount } from "../machines/index.js";

/**
 * Each mount as a bind of its recorded source with its recorded options,
 * parents before children (`/data` before `/data/cache`), so a nested mount
 * is not hidden by the one over its parent.
 */
export function ociMountsOf(
  mounts: readonly ContainerMount[] | undefined,
): { destination: string; type: string; source: string; options: string[] }[] {
  return [...(mounts ?? [])]
    .sort((a, b) => depth(a.destination) - depth(b.destination))
    .map((m) => ({
      destination: m.destination,
      type: "bind",
      source: m.source,
      options: [...m.options],
    }));
}

const depth = (p: string) => p.split("/").filter(Boolean).length;
