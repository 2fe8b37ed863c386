/**
 * A container's network: what create asked for (mode, published ports, DNS
 * servers) and what setup gave it (namespace, address, ports as bound). Pure
 * data; the CNI plugins that make it real live in src/effects/network.ts.
 */

/** Podman's `--network` modes that berth offers. */
export const NETWORK_MODES = ["none", "host", "bridge"] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** One `-p [IP:]HOST:CTR[/proto]`. `hostPort` 0 asks for a free port, chosen at setup. */
export interface PortMapping {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

/** What create asked for. */
export interface NetworkOptions {
  mode: NetworkMode;
  publish: PortMapping[];
  /** Nameservers for /etc/resolv.conf; empty: the host's (see resolvConf). */
  dns: string[];
}

/**
 * What network setup made for one run of the container; journaled as data of
 * its `init` fact and dropped by `cleanup`. The CNI result is kept because
 * the plugins need it (as prevResult) to undo what they did.
 */
export interface NetworkAttachment {
  mode: NetworkMode;
  /** The folder holding the generated hosts, resolv.conf and hostname files. */
  etcDir: string;
  /** The named network namespace (bridge only). */
  netns?: string;
  interface?: string;
  ip?: string;
  /** Prefix length of `ip`. */
  prefixLength?: number;
  gateway?: string;
  mac?: string;
  /** The published ports with the host port each one got. */
  ports: PortMapping[];
  /** The CNI result of the bridge network's ADD. */
  cniResult?: unknown;
}

/**
 * The container's published ports as a reader should see them: as bound while
 * the container has a network attachment (a `-p 80` has its chosen host port
 * then), otherwise as create asked for them.
 */
export function publishedPorts(record: {
  network?: NetworkOptions;
  networkAttachment?: NetworkAttachment;
}): PortMapping[] {
  return record.networkAttachment?.ports ?? record.network?.publish ?? [];
}
