/**
 * The container's /etc/hosts, /etc/resolv.conf and /etc/hostname, generated
 * into its folder and bind-mounted over the image's (read-write, as Podman
 * does, so a program may still edit them for its own run).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { NetworkMode } from "../machines/index.js";
import { writeFileAtomic } from "./fsutil.js";

export const ETC_FILES = ["hosts", "resolv.conf", "hostname"] as const;

/**
 * Used when the host names only loopback resolvers (systemd-resolved's
 * 127.0.0.53, a local dnsmasq), which a container on the bridge cannot reach:
 * the public resolvers Docker and Podman fall back to.
 */
export const FALLBACK_DNS = ["8.8.8.8", "8.8.4.4"];

/** What the files say. */
export interface EtcContent {
  mode: NetworkMode;
  hostname: string;
  name: string;
  /** The container's address on the bridge; loopback otherwise. */
  ip?: string;
  /** --dns; empty: from the host's resolv.conf. */
  dns: readonly string[];
  /** The host's /etc/resolv.conf text. */
  hostResolv: string;
}

export function hostsFile(c: EtcContent): string {
  const names = c.name === c.hostname ? c.hostname : `${c.hostname} ${c.name}`;
  return [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    `${c.ip ?? "127.0.0.1"}\t${names}`,
    "",
  ].join("\n");
}

/**
 * With --dns: those servers, plus the host's search and options lines. Without:
 * the host's file; for a container with its own network, loopback nameservers
 * are dropped (they would be the container's own loopback) and, if none is
 * left, FALLBACK_DNS stand in.
 */
export function resolvConf(c: EtcContent): string {
  const lines = c.hostResolv.split("\n").map((l) => l.trim());
  const other = lines.filter((l) => /^(search|domain|options)\s/.test(l));
  let servers = lines
    .filter((l) => l.startsWith("nameserver"))
    .map((l) => l.split(/\s+/)[1] ?? "")
    .filter((s) => s !== "");
  if (c.dns.length > 0) servers = [...c.dns];
  else if (c.mode !== "host") {
    servers = servers.filter((s) => !s.startsWith("127.") && s !== "::1");
    if (servers.length === 0) servers = [...FALLBACK_DNS];
  }
  return [...other, ...servers.map((s) => `nameserver ${s}`), ""].join("\n");
}

/** Writes the three files into `dir`. */
export async function writeEtcFiles(dir: string, c: EtcContent): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, "hosts"), hostsFile(c));
  await writeFileAtomic(path.join(dir, "resolv.conf"), resolvConf(c));
  await writeFileAtomic(path.join(dir, "hostname"), `${c.hostname}\n`);
}
