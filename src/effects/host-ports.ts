/**
 * Host ports published by containers. portmap only writes DNAT rules, so the
 * kernel would let two containers take one port; berth keeps the table of
 * ports it gave out, claims each in the host-wide folder other daemons read
 * (port-claims.ts), and also checks that no host process listens there.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import { PortInUseError } from "../errors.js";
import type { PortMapping } from "../machines/index.js";
import { PortClaims } from "./port-claims.js";

const keyOf = (p: PortMapping) => `${p.hostIp ?? "0.0.0.0"}:${p.hostPort}/${p.protocol}`;
/** A port on all addresses clashes with the same port on any one address. */
const clashKeys = (p: PortMapping) =>
  p.hostIp && p.hostIp !== "0.0.0.0" ? [keyOf(p), keyOf({ ...p, hostIp: "0.0.0.0" })] : [keyOf(p)];

/** Binds (and closes) the port, to learn whether the host has it free; `0` asks the kernel for one. */
function probe(p: PortMapping): Promise<number> {
  const host = p.hostIp ?? "0.0.0.0";
  return new Promise((resolve, reject) => {
    if (p.protocol === "udp") {
      const s = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
      s.once("error", reject);
      s.bind(p.hostPort, host, () => {
        const port = s.address().port;
        s.close(() => resolve(port));
      });
      return;
    }
    const s = net.createServer();
    s.once("error", reject);
    s.listen(p.hostPort, host, () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class HostPorts {
  private readonly held = new Map<string, string>();
  /** What each container published, for releasing its host-wide claims. */
  private readonly published = new Map<string, PortMapping[]>();
  private readonly claims: PortClaims | undefined;

  /** `claimDir`: the host-wide claim folder; without it only this daemon's table is checked. */
  constructor(claimDir?: string) {
    this.claims = claimDir !== undefined ? new PortClaims(claimDir) : undefined;
  }

  /** Marks `ports` (already bound and claimed) as `id`'s, as after a daemon restart. */
  adopt(id: string, ports: readonly PortMapping[]): void {
    for (const p of ports) this.held.set(keyOf(p), id);
    this.published.set(id, [...ports]);
  }

  /** Whether `id` is a container this daemon holds ports for. */
  private holds(id: string): boolean {
    return this.published.has(id);
  }

  async release(id: string): Promise<void> {
    for (const [k, owner] of this.held) if (owner === id) this.held.delete(k);
    const ports = this.published.get(id) ?? [];
    this.published.delete(id);
    for (const p of ports) await this.claims?.release(id, p);
  }

  /** Drops the host-wide claims of containers `drop` names (this daemon's, left by a crash). */
  async sweep(drop: (id: string) => boolean): Promise<string[]> {
    return (await this.claims?.sweep((id) => !this.holds(id) && drop(id))) ?? [];
  }

  /**
   * Reserves `ports` for `id`, choosing free ports where hostPort is 0.
   * PortInUseError (and nothing reserved) when one is taken.
   */
  async reserve(id: string, ports: readonly PortMapping[]): Promise<PortMapping[]> {
    const out: PortMapping[] = [];
    try {
      for (const p of ports) {
        const got = await this.reserveOne(id, p);
        out.push(got);
        this.published.set(id, [...(this.published.get(id) ?? []), got]);
      }
      return out;
    } catch (err) {
      await this.release(id);
      throw err;
    }
  }

  private async reserveOne(id: string, p: PortMapping): Promise<PortMapping> {
    const taken = (q: PortMapping) =>
      clashKeys(q).some((k) => this.held.has(k)) ||
      (q.hostIp === undefined || q.hostIp === "0.0.0.0"
        ? [...this.held.keys()].some((k) => k.endsWith(`:${q.hostPort}/${q.protocol}`))
        : false);
    for (let attempt = 0; attempt < 32; attempt++) {
      if (p.hostPort !== 0 && taken(p)) {
        throw new PortInUseError(`host port ${keyOf(p)} is already published by another container`);
      }
      let port: number;
      try {
        port = await probe(p);
      } catch (err) {
        throw new PortInUseError(`host port ${keyOf(p)} is in use on the host`, { cause: err });
      }
      const got = { ...p, hostPort: port };
      // Taken by another container while we probed, or (for a random port) one we gave out.
      if (taken(got)) continue;
      this.held.set(keyOf(got), id);
      if (this.claims && !(await this.claims.claim(id, got, (o) => this.holds(o)))) {
        this.held.delete(keyOf(got));
        if (p.hostPort === 0) continue;
        throw new PortInUseError(
          `host port ${keyOf(p)} is already published by a container of another berth daemon`,
        );
      }
      return got;
    }
    throw new PortInUseError(`no free host port for ${keyOf(p)}`);
  }
}
