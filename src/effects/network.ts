/**
 * Network setup and teardown of one container with the CNI reference plugins,
 * and the sweep that releases what a crash left behind. Implements the
 * service's NetworkPort.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { NetworkError } from "../errors.js";
import type { NetworkAttachment, PortMapping } from "../machines/index.js";
import { DEFAULT_CNI_PATH, runCniPlugin, type CniResult } from "./cni.js";
import { writeEtcFiles } from "./etc-files.js";
import { readdirOrEmpty } from "./fsutil.js";
import { HostPorts } from "./host-ports.js";
import { createNetns, deleteNetns } from "./netns.js";
import { purgeMasquerade } from "./masquerade-purge.js";
import { isMounted } from "./overlay.js";
import {
  bridgeChain,
  GATEWAY,
  LOOPBACK,
  NETWORK_NAME,
  networkDirs,
  portMappingsConfig,
  PREFIX_LENGTH,
  type NetworkDirs,
} from "./network-config.js";
import { containerPaths, layout, safeJoin, type Layout } from "./paths.js";
import type { ContainerSpec } from "./types.js";

const IFNAME = "eth0";

/** A stand-in mapping for a DEL whose real mappings were never journaled. */
const ANY_PORT: PortMapping[] = [{ hostPort: 1, containerPort: 1, protocol: "tcp" }];

export interface LinuxNetworkOptions {
  root: string;
  /** Default /usr/lib/cni. */
  cniPath?: string;
  /** The host's resolv.conf, read for containers given no --dns. Default /etc/resolv.conf. */
  resolvConf?: string;
  /** The host-wide folder of address leases and port claims, shared by every daemon. Default /run/berth. */
  networkState?: string;
}

/** One container the daemon's journal knows, removed ones too, with what it holds, for the sweep. */
export interface LiveNetwork {
  id: string;
  attachment?: NetworkAttachment;
}

/** The CNI result's address, gateway and interface, as the attachment journals them. */
function addressOf(result: CniResult) {
  const ip = result.ips?.[0];
  const [address, prefix] = (ip?.address ?? "").split("/");
  const iface = ip?.interface !== undefined ? result.interfaces?.[ip.interface] : undefined;
  if (!address) throw new NetworkError("the bridge network gave the container no address");
  return {
    ip: address,
    prefixLength: Number(prefix ?? PREFIX_LENGTH),
    gateway: ip?.gateway ?? GATEWAY,
    interface: iface?.name ?? IFNAME,
    ...(iface?.mac ? { mac: iface.mac } : {}),
  };
}

/** A result to DEL with when the ADD's own was never journaled: the lease's address. */
function resultFromLease(ip: string, netns: string): CniResult {
  return {
    cniVersion: "1.0.0",
    interfaces: [{ name: IFNAME, sandbox: netns }],
    ips: [{ address: `${ip}/${PREFIX_LENGTH}`, gateway: GATEWAY, interface: 0 }],
  };
}

export class LinuxNetwork {
  private readonly layout: Layout;
  private readonly dirs: NetworkDirs;
  private readonly cniPath: string;
  private readonly hostResolv: string;
  readonly ports: HostPorts;

  constructor(options: LinuxNetworkOptions) {
    this.layout = layout(options.root);
    this.dirs = networkDirs(this.layout.root, options.networkState);
    this.ports = new HostPorts(this.dirs.ports);
    this.cniPath = options.cniPath ?? DEFAULT_CNI_PATH;
    this.hostResolv = options.resolvConf ?? "/etc/resolv.conf";
  }

  /** The namespace file of container `id`. */
  netnsPath(id: string): string {
    return safeJoin(this.dirs.netns, id);
  }

  /**
   * Gives the container its network for one run: for bridge, a namespace with
   * lo and eth0 on berth0 and its published ports; for every mode, the etc
   * files. On failure nothing is left: ports, address and namespace are undone.
   * A container from before networks (no `network`) gets nothing.
   */
  async setup(spec: ContainerSpec, signal?: AbortSignal): Promise<NetworkAttachment | undefined> {
    const options = spec.network;
    if (!options) return undefined;
    const etcDir = containerPaths(this.layout, spec.id).dir;
    let attachment: NetworkAttachment = { mode: options.mode, etcDir, ports: [] };
    if (options.mode === "bridge") attachment = await this.setupBridge(spec, etcDir, signal);
    try {
      await writeEtcFiles(etcDir, {
        mode: options.mode,
        hostname: spec.id.slice(0, 12),
        name: spec.name,
        ...(attachment.ip ? { ip: attachment.ip } : {}),
        dns: options.dns,
        hostResolv: await fs.readFile(this.hostResolv, "utf8").catch(() => ""),
      });
    } catch (err) {
      await this.teardown(spec.id, attachment).catch(() => undefined);
      throw err;
    }
    return attachment;
  }

  private async setupBridge(
    spec: ContainerSpec,
    etcDir: string,
    signal?: AbortSignal,
  ): Promise<NetworkAttachment> {
    const id = spec.id;
    const ports = await this.ports.reserve(id, spec.network?.publish ?? []);
    const netns = this.netnsPath(id);
    const runtimeConfig = portMappingsConfig(ports);
    const done: { type: string; prev: unknown }[] = [];
    let prevResult: CniResult | undefined;
    try {
      await createNetns(netns);
      const base = { containerId: id, netns, network: NETWORK_NAME };
      await runCniPlugin(
        { ...base, command: "ADD", ifname: "lo", plugin: LOOPBACK },
        this.cniPath,
        signal,
      );
      for (const plugin of bridgeChain(this.dirs)) {
        done.push({ type: plugin.type, prev: prevResult });
        prevResult = await runCniPlugin(
          {
            ...base,
            command: "ADD",
            ifname: IFNAME,
            plugin,
            ...(prevResult ? { prevResult } : {}),
            runtimeConfig,
          },
          this.cniPath,
          signal,
        );
      }
      if (!prevResult) throw new NetworkError("the bridge network answered no result");
      return {
        mode: "bridge",
        etcDir,
        netns,
        ...addressOf(prevResult),
        ports,
        cniResult: prevResult,
      };
    } catch (err) {
      // Not under `signal`: what was half made must go even when the caller gave up.
      await this.delChain(id, netns, ports, prevResult).catch(() => undefined);
      await deleteNetns(netns).catch(() => undefined);
      await this.ports.release(id).catch(() => undefined);
      throw err;
    }
  }

  /** DEL through the chain, last plugin first; every plugin is asked even if one fails. */
  private async delChain(
    id: string,
    netns: string,
    ports: readonly PortMapping[],
    prevResult: unknown,
  ): Promise<void> {
    // After a reboot the file is still there but no namespace is mounted on it: the plugins must not enter it.
    const mounted = await isMounted(netns);
    const ns = mounted ? netns : "";
    const errors: unknown[] = [];
    for (const plugin of bridgeChain(this.dirs).reverse()) {
      await runCniPlugin(
        {
          command: "DEL",
          containerId: id,
          netns: ns,
          ifname: IFNAME,
          network: NETWORK_NAME,
          plugin,
          ...(prevResult !== undefined ? { prevResult } : {}),
          // portmap skips a DEL that names no mapping; it removes its chains by container id, whatever the ports.
          runtimeConfig: portMappingsConfig(ports.length > 0 ? ports : ANY_PORT),
        },
        this.cniPath,
      ).catch((err: unknown) => errors.push(err));
    }
    if (!mounted) await purgeMasquerade(id);
    if (errors.length > 0) throw errors[0];
  }

  /** Undoes `setup`: DEL through the plugins, the namespace deleted, the ports released. Idempotent. */
  async teardown(id: string, attachment: NetworkAttachment | undefined): Promise<void> {
    if (attachment?.mode === "bridge") {
      const netns = attachment.netns ?? this.netnsPath(id);
      try {
        await this.delChain(id, netns, attachment.ports, attachment.cniResult);
      } finally {
        await deleteNetns(netns);
      }
    }
    await this.ports.release(id);
  }

  /**
   * After a restart: takes back the ports of live attachments, and releases
   * every address lease, port claim and namespace of this daemon whose
   * container holds no attachment (it was removed, or the daemon died between
   * setup and its journaling). `known` is every container of the journal; a
   * namespace file in this root also marks its id as this daemon's. Leases and
   * claims of other daemons, which share the folders, are never touched.
   * Returns the ids released.
   */
  async sweep(known: readonly LiveNetwork[]): Promise<string[]> {
    const attached = new Set<string>();
    const ours = new Set<string>();
    for (const k of known) {
      ours.add(k.id);
      if (k.attachment?.mode !== "bridge") continue;
      attached.add(k.id);
      this.ports.adopt(k.id, k.attachment.ports);
    }
    const orphans = new Map<string, string | undefined>();
    for (const name of await readdirOrEmpty(this.dirs.netns)) {
      ours.add(name);
      if (!attached.has(name)) orphans.set(name, undefined);
    }
    const leaseDir = path.join(this.dirs.ipamData, NETWORK_NAME);
    for (const [ip, owner] of await leaseOwners(leaseDir)) {
      if (ours.has(owner) && !attached.has(owner)) orphans.set(owner, ip);
    }
    for (const [id, ip] of orphans) {
      const netns = safeJoin(this.dirs.netns, id);
      const prev = ip ? resultFromLease(ip, netns) : undefined;
      await this.delChain(id, netns, [], prev).catch(() => undefined);
      await deleteNetns(netns);
      // A DEL that could not finish must not keep the address taken forever.
      if (ip) await removeLeaseOf(leaseDir, ip, id);
    }
    const unclaimed = await this.ports.sweep((id) => ours.has(id) && !attached.has(id));
    return [...new Set([...orphans.keys(), ...unclaimed])];
  }
}

/** Every lease in `leaseDir`: address to the container id on its first line. */
async function leaseOwners(leaseDir: string): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const name of await readdirOrEmpty(leaseDir)) {
    // Lease files are named by address; the others are host-local's lock and cursor.
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(name)) continue;
    const text = await fs.readFile(path.join(leaseDir, name), "utf8").catch(() => "");
    const owner = text.split(/\r?\n/)[0] ?? "";
    if (owner) owners.set(name, owner);
  }
  return owners;
}

/** Removes the lease of `ip` only while it still names `id`: another daemon may have taken the address since. */
async function removeLeaseOf(leaseDir: string, ip: string, id: string): Promise<void> {
  const file = path.join(leaseDir, ip);
  const text = await fs.readFile(file, "utf8").catch(() => "");
  if ((text.split(/\r?\n/)[0] ?? "") === id) await fs.rm(file, { force: true });
}
