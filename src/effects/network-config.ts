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

/** Folders below the berth root that network setup writes. */
export interface NetworkDirs {
  /** One bind-mounted network namespace file per container. */
  netns: string;
  /** host-local's data dir: `<dataDir>/<network>/<ip>` is a lease naming its container. */
  ipamData: string;
}

export function networkDirs(root: string): NetworkDirs {
  return { netns: path.join(root, "netns"), ipamData: path.join(root, "cni", "networks") };
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
