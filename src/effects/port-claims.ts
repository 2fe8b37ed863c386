/**
 * Host-wide claims on published ports, shared by every daemon on the host.
 * portmap only writes DNAT rules, so no socket shows another daemon's port as
 * taken; each daemon records what it publishes in one shared folder instead:
 * `<dir>/<port>-<protocol>/<container id>@<host ip>`.
 *
 * A claim is written first and checked after, so two daemons racing for one
 * port both see each other and both back off: never both win.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { PortMapping } from "../machines/index.js";
import { errnoCode, readdirOrEmpty } from "./fsutil.js";

const ANY = new Set(["0.0.0.0", "::", ""]);

/** Whether two host addresses overlap: equal, or either one is every address. */
const overlaps = (a: string, b: string) => a === b || ANY.has(a) || ANY.has(b);

/** One claim file's parts. */
interface Claim {
  file: string;
  id: string;
  hostIp: string;
}

function claimPath(dir: string, id: string, p: PortMapping): string {
  return path.join(dir, `${p.hostPort}-${p.protocol}`, `${id}@${p.hostIp ?? "0.0.0.0"}`);
}

/** Writes an empty claim file, making its port's folder; again if another daemon just removed it. */
async function writeClaim(file: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      await fs.writeFile(file, "", { mode: 0o600 });
      return;
    } catch (err) {
      if (errnoCode(err) !== "ENOENT" || attempt >= 8) throw err;
    }
  }
}

/** A port's folder goes with its last claim, so ports used once leave nothing; another's claim keeps it. */
async function removeIfEmpty(folder: string): Promise<void> {
  await fs.rmdir(folder).catch(() => undefined);
}

function parse(folder: string, name: string): Claim | undefined {
  const at = name.indexOf("@");
  if (at <= 0) return undefined;
  return { file: path.join(folder, name), id: name.slice(0, at), hostIp: name.slice(at + 1) };
}

export class PortClaims {
  constructor(private readonly dir: string) {}

  /**
   * Claims `p` for container `id`; false (and nothing left) when a container
   * that `ours` does not accept holds an overlapping claim.
   */
  async claim(id: string, p: PortMapping, ours: (id: string) => boolean): Promise<boolean> {
    const file = claimPath(this.dir, id, p);
    await writeClaim(file);
    const hostIp = p.hostIp ?? "0.0.0.0";
    const folder = path.dirname(file);
    for (const name of await readdirOrEmpty(folder)) {
      const other = parse(folder, name);
      if (!other || other.id === id || ours(other.id)) continue;
      if (overlaps(other.hostIp, hostIp)) {
        await fs.rm(file, { force: true });
        return false;
      }
    }
    return true;
  }

  /** Drops container `id`'s claim on `p`; idempotent. */
  async release(id: string, p: PortMapping): Promise<void> {
    const file = claimPath(this.dir, id, p);
    await fs.rm(file, { force: true });
    await removeIfEmpty(path.dirname(file));
  }

  /** Drops every claim whose container `drop` names; another daemon's stay. Returns the ids dropped. */
  async sweep(drop: (id: string) => boolean): Promise<string[]> {
    const dropped = new Set<string>();
    for (const port of await readdirOrEmpty(this.dir)) {
      const folder = path.join(this.dir, port);
      for (const name of await readdirOrEmpty(folder)) {
        const claim = parse(folder, name);
        if (!claim || !drop(claim.id)) continue;
        await fs.rm(claim.file, { force: true });
        dropped.add(claim.id);
      }
      await removeIfEmpty(folder);
    }
    return [...dropped];
  }
}
