/**
 * Parsing of create's --network, -p/--publish and --dns into the record's
 * NetworkOptions. Bad input is InvalidArgError before anything is journaled.
 */
import { isIP } from "node:net";
import { InvalidArgError } from "../errors.js";
import {
  NETWORK_MODES,
  type NetworkMode,
  type NetworkOptions,
  type PortMapping,
} from "../machines/index.js";

/** The create fields this parses. */
export interface NetworkFlags {
  /** none, host or bridge (the default, as Podman's for a rootful container). */
  network?: string;
  /** `[IP:]HOST:CTR[/tcp|udp]`, or `CTR` / `IP::CTR` for a free host port. */
  publish?: string[];
  /** Nameserver addresses. */
  dns?: string[];
}

/** Most ports one container may publish: each one is iptables rules on the host. */
export const MAX_PUBLISHED = 64;
/** Most --dns servers: resolv.conf only reads three, more is a mistake. */
export const MAX_DNS = 3;

const PUBLISH = /^(?:(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d*):)?(\d+)(?:\/(tcp|udp))?$/;

function port(text: string, what: string, spec: string, allowZero: boolean): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > 65535 || (n === 0 && !allowZero))
    throw new InvalidArgError(`-p ${JSON.stringify(spec)}: ${what} must be a port from 1 to 65535`);
  return n;
}

/** One `-p` value. */
export function parsePublish(spec: string): PortMapping {
  const m = PUBLISH.exec(spec);
  if (!m)
    throw new InvalidArgError(`-p ${JSON.stringify(spec)}: expected [IP:]HOST:CONTAINER[/tcp|udp]`);
  const [, rawIp, host, ctr, proto] = m;
  const hostIp = rawIp?.replace(/^\[|\]$/g, "");
  if (hostIp !== undefined && isIP(hostIp) === 0)
    throw new InvalidArgError(`-p ${JSON.stringify(spec)}: ${hostIp} is not an IP address`);
  if (hostIp !== undefined && isIP(hostIp) === 6)
    throw new InvalidArgError(`-p ${JSON.stringify(spec)}: the bridge network is IPv4 only`);
  return {
    ...(hostIp !== undefined ? { hostIp } : {}),
    hostPort: host ? port(host, "the host port", spec, false) : 0,
    containerPort: port(ctr ?? "", "the container port", spec, false),
    protocol: proto === "udp" ? "udp" : "tcp",
  };
}

/** The network options of a create request. */
export function networkFor(
  flags: NetworkFlags,
  defaultMode: NetworkMode = "bridge",
): NetworkOptions {
  const mode = (flags.network ?? defaultMode) as NetworkMode;
  if (!NETWORK_MODES.includes(mode))
    throw new InvalidArgError(
      `--network ${JSON.stringify(flags.network)}: use one of ${NETWORK_MODES.join(", ")}`,
    );
  const publishSpecs = flags.publish ?? [];
  if (publishSpecs.length > MAX_PUBLISHED)
    throw new InvalidArgError(`at most ${MAX_PUBLISHED} published ports`);
  const publish = publishSpecs.map(parsePublish);
  if (publish.length > 0 && mode !== "bridge")
    throw new InvalidArgError(`-p needs the bridge network, not --network ${mode}`);
  const seen = new Set<string>();
  for (const p of publish) {
    const key = `${p.hostIp ?? ""}:${p.hostPort}/${p.protocol}`;
    if (p.hostPort !== 0 && seen.has(key))
      throw new InvalidArgError(`-p publishes host port ${key} twice`);
    seen.add(key);
  }
  const dns = flags.dns ?? [];
  if (dns.length > MAX_DNS) throw new InvalidArgError(`at most ${MAX_DNS} --dns servers`);
  for (const d of dns)
    if (isIP(d) === 0) throw new InvalidArgError(`--dns ${JSON.stringify(d)} is not an IP address`);
  return { mode, publish, dns: [...dns] };
}
