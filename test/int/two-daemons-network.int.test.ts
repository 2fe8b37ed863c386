/**
 * Two daemons on one host, each in its own root, share berth0 and its subnet:
 * containers they start at once all get distinct addresses; a port one
 * publishes is refused to the other; and one daemon's crash sweep releases its
 * own leases only, never the other's.
 */
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";
import { claimsOf, leasesOf } from "../support/leases.js";

const PER_DAEMON = 4;

let a: Berth;
let b: Berth;
const apiA = daemonApi(() => a.socket);
const apiB = daemonApi(() => b.socket);

beforeAll(async () => {
  [a, b] = await Promise.all([
    startBerth({ host: "two-a", network: "bridge" }),
    startBerth({ host: "two-b", network: "bridge" }),
  ]);
  await Promise.all([a, b].map((d) => d.ok("image", "import", busyboxTar(), "busybox")));
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

const create = async (d: Berth, ...args: string[]) => (await d.ok("create", ...args)).trim();

/** Creates and starts `n` sleepers with one published port each, all at once. */
async function sleepers(d: Berth, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const id = await create(d, "-p", "8080", "busybox", "sleep", "1000");
      await d.ok("start", id);
      return id;
    }),
  );
}

const iptablesWith = async (text: string) =>
  (await execa("iptables-save")).stdout.split("\n").filter((l) => l.includes(text));

describe("two daemons on one host", () => {
  let idsA: string[] = [];
  let idsB: string[] = [];

  it("give the containers they start at the same time distinct addresses, each leased once", async () => {
    [idsA, idsB] = await Promise.all([sleepers(a, PER_DAEMON), sleepers(b, PER_DAEMON)]);
    const ipsA = await Promise.all(
      idsA.map(async (id) => (await apiA.inspect(id)).networkAttachment?.ip ?? ""),
    );
    const ipsB = await Promise.all(
      idsB.map(async (id) => (await apiB.inspect(id)).networkAttachment?.ip ?? ""),
    );
    const all = [...ipsA, ...ipsB];
    for (const ip of all) expect(ip).toMatch(/^10\.89\.0\.\d+$/);
    expect(new Set(all).size).toBe(2 * PER_DAEMON);
    expect(await leasesOf(idsA)).toEqual([...ipsA].sort());
    expect(await leasesOf(idsB)).toEqual([...ipsB].sort());
  }, 120_000);

  it("refuse a host port the other daemon's container publishes, as PORT_IN_USE", async () => {
    const port = (await apiB.inspect(idsB[0] ?? "")).networkAttachment?.ports[0]?.hostPort ?? 0;
    expect(port).toBeGreaterThan(0);
    const id = await create(a, "-p", `${port}:80`, "busybox", "sleep", "1000");
    const err = await failure(apiA.post(id, "start"));
    expect(err.code).toBe("PORT_IN_USE");
    expect(err.message).toContain("another berth daemon");
    expect((await apiA.inspect(id)).networkAttachment).toBeUndefined();
    expect(await leasesOf([id])).toEqual([]);
    expect(await claimsOf([id])).toEqual([]);
    await a.ok("rm", id);
  }, 60_000);

  it("release on a crashed daemon's restart its own leases and claims, and none of the other's", async () => {
    const leasedB = await leasesOf(idsB);
    const claimedB = await claimsOf(idsB);
    expect(claimedB).toHaveLength(PER_DAEMON);
    await a.kill("SIGKILL");
    // Gone behind the dead daemon's back: what its restart must clean up.
    for (const id of idsA) {
      await execa("runc", ["--root", join(a.root, "runc"), "kill", id, "KILL"], { reject: false });
    }
    await a.start();
    await until(async () => {
      const states = await Promise.all(idsA.map(async (id) => (await apiA.inspect(id)).state));
      return states.every((s) => s === "exited");
    }, 30_000);
    expect(await leasesOf(idsA)).toEqual([]);
    expect(await claimsOf(idsA)).toEqual([]);
    expect(await leasesOf(idsB)).toEqual(leasedB);
    expect(await claimsOf(idsB)).toEqual(claimedB);
    for (const id of idsB) {
      expect((await apiB.inspect(id)).state).toBe("running");
      expect(await iptablesWith(id)).not.toHaveLength(0);
    }
    await Promise.all(idsB.map((id) => b.ok("rm", "-f", "-t", "0", id)));
    await Promise.all(idsA.map((id) => a.ok("rm", id)));
    expect(await leasesOf([...idsA, ...idsB])).toEqual([]);
    expect(await claimsOf([...idsA, ...idsB])).toEqual([]);
  }, 120_000);
});
