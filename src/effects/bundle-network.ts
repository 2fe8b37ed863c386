/**
 * The network part of the OCI spec: which network namespace the container
 * gets, and the generated etc files mounted over the image's.
 */
import * as path from "node:path";
import { ETC_FILES } from "./etc-files.js";
import type { ContainerSpec } from "./types.js";

/** The parts of an OCI spec the network changes (bundle.ts's OciSpec has them). */
interface NetworkedSpec {
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  linux: { namespaces: { type: string; path?: string }[] };
}

/**
 * `config` with `spec`'s network: bridge joins the prepared namespace (runc
 * then neither creates one nor touches its interfaces), host shares the
 * host's (no network namespace at all), none keeps runc's fresh one with lo.
 * Without an attachment (a container from before networks, or a bundle
 * written outside a run) the spec is left as it was.
 */
export function withNetwork<T extends NetworkedSpec>(config: T, spec: ContainerSpec): T {
  const att = spec.networkAttachment;
  if (!att) return config;
  const others = config.linux.namespaces.filter((ns) => ns.type !== "network");
  const namespaces =
    att.mode === "host"
      ? others
      : att.mode === "bridge" && att.netns
        ? [...others, { type: "network", path: att.netns }]
        : config.linux.namespaces;
  const mounts: NetworkedSpec["mounts"] = ETC_FILES.map((name) => ({
    destination: `/etc/${name}`,
    type: "bind",
    source: path.join(att.etcDir, name),
    options: ["rbind", "rw", "nosuid", "nodev", "noexec"],
  }));
  return {
    ...config,
    mounts: [...config.mounts, ...mounts],
    linux: { ...config.linux, namespaces },
  };
}
