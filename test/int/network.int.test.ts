/**
 * Networks on the real runtime: busybox httpd on the bridge behind a published
 * port, reachable from the host until its container is removed; `none` and
 * `host`; the generated etc files; bad flags; a host port two containers want;
 * and a crash's leftovers released by the next daemon.
 */
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import * as http from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { networkDirs, NETWORK_NAME, runCniPlugin } from "../../src/effects/index.js";
import { bridgeChain } from "../../src/effects/network-config.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";
import { claimsOf, leasesOf } from "../support/leases.js";

let berth: Berth;
const { api, inspect, history, action, post } = daemonApi(() => berth.socket);

beforeAll(async () => {
  berth = await startBerth({ network: "bridge" });
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 120_000);

afterAll(async () => {
  await berth?.stop();
});

/** Every id this file's daemon created: the lease folder is the host's, shared with other daemons. */
const made = new Set<string>();
const create = async (...args: string[]) => {
  const id = (await berth.ok("create", ...args)).trim();
  made.add(id);
  return id;
};

/** GET http://host:port/ once; the body, or the error's code. */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: "/", timeout: 2_000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve(`${res.statusCode} ${body}`));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
  });
}

/** The container's log so far. */
const logs = async (id: string) => (await berth.cli("logs", id)).stdout;

async function runToEnd(...args: string[]): Promise<string> {
  const id = await create(...args);
  await berth.ok("start", id);
  await berth.ok("wait", id);
  const out = await logs(id);
  await berth.ok("rm", id);
  return out;
}

const iptablesWith = async (text: string) =>
  (await execa("iptables-save")).stdout.split("\n").filter((l) => l.includes(text));

/** This daemon's leases: those naming a container it made. */
const leases = () => leasesOf(made);
const netnsFiles = async (root: string) => readdir(join(root, "netns")).catch(() => []);

describe("the bridge network", () => {
  it("serves busybox httpd on a published host port until the container is removed", async () => {
    const hostPort = 18080 + Math.floor(Math.random() * 1000);
    const id = await create(
      "-p",
      `${hostPort}:8080`,
      "busybox",
      "sh",
      "-c",
      "mkdir -p /www && echo hello-from-berth > /www/index.html && exec httpd -f -p 8080 -h /www",
    );
    await berth.ok("start", id);
    const record = await inspect(id);
    const att = record.networkAttachment;
    expect(att?.mode).toBe("bridge");
    expect(att?.ip).toMatch(/^10\.89\.0\.\d+$/);
    expect(att?.gateway).toBe("10.89.0.1");
    expect(att?.ports).toEqual([{ hostPort, containerPort: 8080, protocol: "tcp" }]);
    expect(await berth.ok("ps")).toContain(`0.0.0.0:${hostPort}->8080/tcp`);
    const listed = JSON.parse(await berth.ok("ps", "--format", "json")) as { id: string }[];
    expect(listed.find((c) => c.id === id)).toMatchObject({
      ports: [{ hostPort, containerPort: 8080, protocol: "tcp" }],
    });
    // The attachment is a fact of the journal: the init event carries it.
    const init = (await history(id)).find((e) => action(e) === "init");
    expect((init?.data as { network?: { ip?: string } }).network?.ip).toBe(att?.ip);
    let answer = "";
    await until(async () => (answer = await get("127.0.0.1", hostPort)).startsWith("200"), 10_000);
    expect(answer).toContain("hello-from-berth");
    expect(await get(att?.ip ?? "", 8080)).toContain("hello-from-berth");
    expect(await iptablesWith(id)).not.toHaveLength(0);
    await berth.ok("rm", "-f", "-t", "0", id);
    expect(await get("127.0.0.1", hostPort)).toMatch(/^error/);
    expect(await iptablesWith(id)).toEqual([]);
    expect(await leases()).toEqual([]);
    expect(await claimsOf([id])).toEqual([]);
    expect(await netnsFiles(berth.root)).toEqual([]);
  }, 60_000);

  it("keeps serving on the same host port after a restart, and a stop releases the address", async () => {
    const hostPort = 17080 + Math.floor(Math.random() * 1000);
    const id = await create("-p", `${hostPort}:8080`, "busybox", "httpd", "-f", "-p", "8080");
    await berth.ok("start", id);
    await until(async () => (await get("127.0.0.1", hostPort)).startsWith("404"), 10_000);
    await berth.ok("restart", "-t", "0", id);
    await until(async () => (await get("127.0.0.1", hostPort)).startsWith("404"), 10_000);
    expect(await leases()).toHaveLength(1);
    await berth.ok("stop", "-t", "0", id);
    expect((await inspect(id)).networkAttachment).toBeUndefined();
    expect(await leases()).toEqual([]);
    expect(await netnsFiles(berth.root)).toEqual([]);
    expect(await iptablesWith(id)).toEqual([]);
    await berth.ok("rm", id);
  }, 60_000);

  it("gives a free host port when -p names only the container's, and reports it", async () => {
    const id = await create("-p", "8080", "busybox", "sleep", "100");
    await berth.ok("start", id);
    const port = (await inspect(id)).networkAttachment?.ports[0]?.hostPort ?? 0;
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 30_000);

  it("writes /etc/hosts with the container's address and name, /etc/hostname and --dns", async () => {
    const out = await runToEnd(
      "--name",
      "webby",
      "--dns",
      "192.0.2.53",
      "busybox",
      "sh",
      "-c",
      "cat /etc/hosts /etc/hostname /etc/resolv.conf; ip -4 addr show eth0",
    );
    expect(out).toMatch(/10\.89\.0\.\d+\t[0-9a-f]{12} webby/);
    expect(out).toContain("nameserver 192.0.2.53");
    expect(out).toMatch(/inet 10\.89\.0\.\d+\/24/);
  }, 30_000);

  it("refuses a host port another container publishes, and leaves nothing of the attempt", async () => {
    const hostPort = 19080 + Math.floor(Math.random() * 1000);
    const first = await create("-p", `${hostPort}:80`, "busybox", "sleep", "100");
    const second = await create("-p", `${hostPort}:80`, "busybox", "sleep", "100");
    await berth.ok("start", first);
    const r = await berth.cli("start", second);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`host port 0.0.0.0:${hostPort}/tcp is already published`);
    expect((await inspect(second)).state).toBe("configured");
    expect((await inspect(second)).networkAttachment).toBeUndefined();
    expect(await iptablesWith(second)).toEqual([]);
    expect(await netnsFiles(berth.root)).toEqual([first]);
    expect(await leases()).toHaveLength(1);
    await berth.ok("rm", "-f", "-t", "0", first);
    // Once the first is gone the port is free again.
    await berth.ok("start", second);
    await berth.ok("rm", "-f", "-t", "0", second);
  }, 60_000);
});

describe("other modes", () => {
  it("--network none has only lo", async () => {
    const out = await runToEnd("--network", "none", "busybox", "ls", "/sys/class/net");
    expect(out.trim().split(/\s+/)).toEqual(["lo"]);
  }, 30_000);

  it("--network host sees the host's interfaces", async () => {
    const out = await runToEnd("--network", "host", "busybox", "ls", "/sys/class/net");
    const host = await readdir("/sys/class/net");
    expect(out.trim().split(/\s+/).sort()).toEqual(host.sort());
  }, 30_000);
});

describe("bad input", () => {
  it.each([
    [{ publish: ["99999:80"] }],
    [{ publish: ["abc"] }],
    [{ publish: ["80:0"] }],
    [{ publish: ["1.2.3:80:80"] }],
    [{ publish: ["8080:80", "8080:80"] }],
    [{ network: "nope" }],
    [{ network: "host", publish: ["80:80"] }],
    [{ dns: ["x"] }],
    [{ dns: ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"] }],
  ])("%j answers INVALID_ARG and journals nothing", async (flags) => {
    const before = (await api().call<unknown[]>("GET", "/containers?all=true")).length;
    const err = await failure(
      api().call("POST", "/containers", { image: "busybox", command: ["true"], ...flags }),
    );
    expect(err.code).toBe("INVALID_ARG");
    expect(await api().call<unknown[]>("GET", "/containers?all=true")).toHaveLength(before);
  });
});

describe("leaks", () => {
  it("50 create/start/rm cycles leave no leases, iptables rules or namespaces", async () => {
    const ids: string[] = [];
    // Through the API, not the CLI: a node process per verb would be most of each cycle's time.
    const body = { image: "busybox", command: ["sleep", "100"], publish: ["8080"] };
    for (let i = 0; i < 50; i++) {
      const { id } = await api().call<{ id: string }>("POST", "/containers", body);
      made.add(id);
      ids.push(id);
      await post(id, "start");
      await api().call("DELETE", `/containers/${id}?force=true&timeout=0`);
    }
    expect(await leases()).toEqual([]);
    expect(await claimsOf(ids)).toEqual([]);
    expect(await netnsFiles(berth.root)).toEqual([]);
    const rules = (await execa("iptables-save")).stdout;
    expect(ids.filter((id) => rules.includes(id))).toEqual([]);
  }, 300_000);

  it("a daemon killed with a running container, and a lease of a run never journaled: the next daemon releases both", async () => {
    const id = await create("-p", "8080", "busybox", "sleep", "1000");
    await berth.ok("start", id);
    await berth.kill("SIGKILL");
    // Gone behind berth's back: the process, and a lease and namespace of a run berth never journaled.
    await execa("runc", ["--root", join(berth.root, "runc"), "kill", id, "KILL"], {
      reject: false,
    });
    const orphan = "orphan0000000000000000000000000000000000000000000000000000000001";
    made.add(orphan);
    const netns = join(berth.root, "netns", orphan);
    await writeFile(netns, "");
    await execa("unshare", [`--net=${netns}`, "true"]);
    let prevResult: unknown;
    for (const plugin of bridgeChain(networkDirs(berth.root))) {
      const base = { containerId: orphan, netns, ifname: "eth0", network: NETWORK_NAME, plugin };
      const runtimeConfig = { portMappings: [{ hostPort: 1, containerPort: 80, protocol: "tcp" }] };
      prevResult = await runCniPlugin({ ...base, command: "ADD", prevResult, runtimeConfig });
    }
    // As after a reboot: the file stays, no namespace is mounted on it any more.
    await execa("umount", [netns]);
    expect((await iptablesWith(orphan)).join("\n")).toMatch(/MASQUERADE[\s\S]*dnat/);
    await berth.start();
    await until(async () => (await inspect(id)).state === "exited", 20_000);
    expect(await netnsFiles(berth.root)).not.toContain(id);
    expect(await netnsFiles(berth.root)).not.toContain(orphan);
    expect(await leases()).toEqual([]);
    expect(await claimsOf([id])).toEqual([]);
    expect(await iptablesWith(id)).toEqual([]);
    expect(await iptablesWith(orphan)).toEqual([]);
    await berth.ok("rm", id);
    expect(existsSync(join(berth.root, "netns", id))).toBe(false);
  }, 60_000);
});
