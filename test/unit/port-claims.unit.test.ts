import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PortInUseError } from "../../src/errors.js";
import { HostPorts } from "../../src/effects/host-ports.js";
import { PortClaims } from "../../src/effects/port-claims.js";
import type { PortMapping } from "../../src/machines/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-claims-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tcp = (hostPort: number, hostIp?: string): PortMapping => ({
  hostPort,
  containerPort: 80,
  protocol: "tcp",
  ...(hostIp ? { hostIp } : {}),
});
const nobody = () => false;
const files = async () =>
  (await readdir(dir, { recursive: true })).filter((f) => f.includes("@")).sort();

describe("PortClaims", () => {
  it("refuses a port another daemon's container claims, and leaves no claim of the attempt", async () => {
    const claims = new PortClaims(dir);
    expect(await claims.claim("b1", tcp(8080), nobody)).toBe(true);
    expect(await claims.claim("a1", tcp(8080), nobody)).toBe(false);
    expect(await files()).toEqual(["8080-tcp/b1@0.0.0.0"]);
  });

  it("lets a claim stand beside one of a container the caller calls its own", async () => {
    const claims = new PortClaims(dir);
    await claims.claim("a1", tcp(8080, "127.0.0.1"), nobody);
    expect(await claims.claim("a2", tcp(8080, "127.0.0.1"), (id) => id === "a1")).toBe(true);
  });

  it("lets two specific addresses share a port, while every address clashes with each", async () => {
    const claims = new PortClaims(dir);
    expect(await claims.claim("a1", tcp(8080, "127.0.0.1"), nobody)).toBe(true);
    expect(await claims.claim("b1", tcp(8080, "127.0.0.2"), nobody)).toBe(true);
    expect(await claims.claim("c1", tcp(8080), nobody)).toBe(false);
    expect(await claims.claim("c1", { ...tcp(8080), protocol: "udp" }, nobody)).toBe(true);
  });

  it("never lets two racing daemons both win one port", async () => {
    for (let port = 9000; port < 9050; port++) {
      const won = await Promise.all([
        new PortClaims(dir).claim("a1", tcp(port), nobody),
        new PortClaims(dir).claim("b1", tcp(port), nobody),
      ]);
      expect(won.filter(Boolean).length).toBeLessThanOrEqual(1);
    }
  });

  it("sweeps only the claims of the containers it is told to drop", async () => {
    const claims = new PortClaims(dir);
    await claims.claim("a1", tcp(8080), nobody);
    await claims.claim("b1", tcp(8081), nobody);
    expect(await claims.sweep((id) => id.startsWith("a"))).toEqual(["a1"]);
    expect(await files()).toEqual(["8081-tcp/b1@0.0.0.0"]);
  });
});

describe("HostPorts of two daemons sharing one claim folder", () => {
  it("answers PORT_IN_USE for a port the other daemon published, and frees it on release", async () => {
    const a = new HostPorts(dir);
    const b = new HostPorts(dir);
    const [got] = await b.reserve("b1", [tcp(0, "127.0.0.1")]);
    const port = got?.hostPort ?? 0;
    const err = await a.reserve("a1", [tcp(port, "127.0.0.1")]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as Error).message).toContain("another berth daemon");
    await b.release("b1");
    expect(await a.reserve("a1", [tcp(port, "127.0.0.1")])).toEqual([tcp(port, "127.0.0.1")]);
    expect(await files()).toEqual([`${port}-tcp/a1@127.0.0.1`]);
  });

  it("drops on a sweep the claims it is told to, except those of containers it adopted", async () => {
    const a = new HostPorts(dir);
    const ports = await a.reserve("a1", [tcp(0, "127.0.0.1")]);
    await a.reserve("a2", [tcp(0, "127.0.0.1")]);
    const restarted = new HostPorts(dir);
    restarted.adopt("a1", ports);
    expect(await restarted.sweep(() => true)).toEqual(["a2"]);
    expect(await files()).toEqual([`${ports[0]?.hostPort ?? 0}-tcp/a1@127.0.0.1`]);
  });
});
