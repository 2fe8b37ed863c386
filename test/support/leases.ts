/**
 * The host-wide bridge leases and port claims, read as the tests need them:
 * every daemon on the host shares the folders, so a test counts only those of
 * the container ids it made.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { networkDirs, NETWORK_NAME } from "../../src/effects/index.js";

const { ipamData, ports } = networkDirs("/unused");

/** Address to container id, for every lease on the host. */
export async function allLeases(): Promise<Map<string, string>> {
  const dir = join(ipamData, NETWORK_NAME);
  const out = new Map<string, string>();
  for (const name of await readdir(dir).catch(() => [])) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(name)) continue;
    const text = await readFile(join(dir, name), "utf8").catch(() => "");
    out.set(name, text.split(/\r?\n/)[0] ?? "");
  }
  return out;
}

/** The addresses leased to any of `ids`, sorted. */
export async function leasesOf(ids: Iterable<string>): Promise<string[]> {
  const wanted = new Set(ids);
  return [...(await allLeases())]
    .filter(([, id]) => wanted.has(id))
    .map(([ip]) => ip)
    .sort();
}

/** The port claims (`<port>-<protocol>/<id>@<host ip>`) of any of `ids`. */
export async function claimsOf(ids: Iterable<string>): Promise<string[]> {
  const wanted = new Set(ids);
  const out: string[] = [];
  for (const port of await readdir(ports).catch(() => [])) {
    for (const name of await readdir(join(ports, port)).catch(() => [])) {
      if (wanted.has(name.split("@")[0] ?? "")) out.push(`${port}/${name}`);
    }
  }
  return out.sort();
}
