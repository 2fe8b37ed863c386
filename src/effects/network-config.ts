/**
 * berth's default bridge network, as a CNI plugin chain: bridge `berth0` with
 * host-local addresses (10.89.0.0/24, beside Podman's 10.88), portmap for
 * published ports, firewall to let the traffic through the FORWARD chain.
 */
import * as path from "node:path";
import type { PortMapping } from "../machines/index.js";
import type { CniPluginConf } from "./cni.js";

export const NETWORK_NAME = "berth";
export const BRIDGE_NAME = "berth0";
export const SUBNET = "10.89.0.0/24";
export const GATEWAY = "10.89.0.1";
export const PREFIX_LENGTH = 24;

/**
 * Where host-wide network state lives by default. Every daemon on the host
 * shares berth0 and its subnet, so they must share the record of who holds
 * what; /run is a tmpfs, so the record goes with the namespaces at a reboot.
 */
export const DEFAULT_NETWORK_STATE = "/run/berth";

/** Folders that network setup writes. */
export interface NetworkDirs {
  /** Below the daemon's root: one bind-mounted network namespace file per container. */
  netns: string;
  /**
   * Host-wide: host-local's data dir, `<dataDir>/<network>/<ip>` a lease whose
   * first line is its container's id. host-local locks it, so daemons share it.
   */
  ipamData: string;
  /** Host-wide: one claim file per published host port (see host-ports.ts). */
  ports: string;
}

export function networkDirs(root: string, state: string = DEFAULT_NETWORK_STATE): NetworkDirs {
  return {
    netns: path.join(root, "netns"),
    ipamData: path.join(state, "cni", "networks"),
    ports: path.join(state, "ports"),
  };
}

/** The bridge network's chain, in ADD order (DEL runs it backwards). */
export function bridgeChain(dirs: NetworkDirs): CniPluginConf[] {
  return [
    {
      type: "bridge",
      bridge: BRIDGE_NAME,
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: {
        type: "host-local",
        ranges: [[{ subnet: SUBNET, gateway: GATEWAY }]],
        routes: [{ dst: "0.0.0.0/0" }],
        dataDir: dirs.ipamData,
      },
    },
    { type: "portmap", capabilities: { portMappings: true }, snat: true },
    { type: "firewall", backend: "iptables" },
  ];
}

/** The loopback plugin: brings `lo` up in the container's namespace. */
export const LOOPBACK: CniPluginConf = { type: "loopback" };

/** portmap's runtimeConfig for `ports`. */
export function portMappingsConfig(ports: readonly PortMapping[]): Record<string, unknown> {
  return {
    portMappings: ports.map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol,
      ...(p.hostIp ? { hostIP: p.hostIp } : {}),
    })),
  };
}
