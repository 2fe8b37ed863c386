/**
 * top and stats through the real daemon and CLI: the processes runc lists in
 * a running busybox container, its cgroup's memory limit and pids, the
 * NDJSON stream, and the refusal of a container that is not running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerStats, TopResult } from "../../src/effects/index.js";
import type { BerthError } from "../../src/errors.js";
import { execa } from "execa";
import { busyboxTar, CLI, startBerth, type Berth } from "../../src/harness/index.js";
import { daemonApi } from "../support/daemon-api.js";

let berth: Berth;
const { api } = daemonApi(() => berth.socket);

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 120_000);

afterAll(async () => {
  await berth?.stop();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (err: unknown) => err as BerthError,
  );

/** Polls until `check` holds: a shell's children appear a moment after it starts. */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("top", () => {
  it("lists the shell and both sleeps of a running container with Podman's columns", async () => {
    // `& wait`: busybox sh execs a -c script's last command, so `sleep 100 & sleep 100` is two processes.
    const id = (
      await berth.ok("create", "busybox", "sh", "-c", "sleep 100 & sleep 100 & wait")
    ).trim();
    await berth.ok("start", id);
    const top = await eventually(
      () => api().call<TopResult>("GET", `/containers/${id}/top`),
      (t) => t.processes.length >= 3,
    );
    expect(top.headers).toEqual([
      "USER",
      "PID",
      "PPID",
      "%CPU",
      "ELAPSED",
      "TTY",
      "TIME",
      "COMMAND",
      "GROUP",
    ]);
    const commands = top.processes.map((p) => p[7]);
    expect(commands).toHaveLength(3);
    expect(commands.filter((c) => c === "sleep 100")).toHaveLength(2);
    const shell = top.processes.find((p) => p[7]?.startsWith("sh -c"));
    expect(shell?.[0]).toBe("root");
    expect(shell?.[8]).toBe("root");
    // Both sleeps are the shell's children.
    for (const p of top.processes.filter((row) => row[7] === "sleep 100")) {
      expect(p[2]).toBe(shell?.[1]);
    }
    const table = await berth.ok("top", id, "pid,args");
    expect(table.split("\n")[0]).toMatch(/^PID\s+COMMAND$/);
    expect(table).toContain("sleep 100");
    const bad = await berth.cli("top", id, "nonsense");
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain("unknown top descriptor");
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 60_000);

  it("names users and groups from the container's passwd and group files, not the host's", async () => {
    const row = async (id: string) =>
      (await berth.ok("top", id, "user,group,args"))
        .split("\n")
        .find((l) => l.includes("sleep 100"))
        ?.split(/\s+/);
    const nobody = (await berth.ok("create", "-u", "nobody", "busybox", "sleep", "100")).trim();
    await berth.ok("start", nobody);
    expect(await row(nobody)).toEqual(["nobody", "nogroup", "sleep", "100"]);
    // The host names uid and gid 1 "daemon"; the busybox image names neither.
    const one = (await berth.ok("create", "-u", "1:1", "busybox", "sleep", "100")).trim();
    await berth.ok("start", one);
    expect(await row(one)).toEqual(["1", "1", "sleep", "100"]);
    // A passwd entry added inside the running container names the id from then on.
    await berth.ok(
      "exec",
      "-u",
      "0",
      one,
      "sh",
      "-c",
      "echo app:x:1:1::/:/bin/sh >> /etc/passwd; echo staff:x:1: >> /etc/group",
    );
    expect(await row(one)).toEqual(["app", "staff", "sleep", "100"]);
    const headers = (await berth.ok("top", one)).split("\n")[0];
    expect(headers).toMatch(/^USER\s+PID\s+PPID\s+%CPU\s+ELAPSED\s+TTY\s+TIME\s+COMMAND$/);
    await berth.ok("rm", "-f", "-t", "0", nobody, one);
  }, 60_000);

  it("refuses a container that is not running with Podman's words", async () => {
    const id = (await berth.ok("create", "busybox", "true")).trim();
    const err = await failure(api().call("GET", `/containers/${id}/top`));
    expect(err.code).toBe("CTR_STATE_INVALID");
    expect(err.message).toContain("can only top running containers");
  });
});

describe("stats", () => {
  it("shows the --memory limit, the memory in use and at least one pid", async () => {
    const id = (await berth.ok("create", "--memory", "64m", "busybox", "sleep", "100")).trim();
    await berth.ok("start", id);
    const s = await api().call<ContainerStats>("GET", `/containers/${id}/stats`);
    expect(s.id).toBe(id);
    expect(s.memLimit).toBe(64 * 1024 * 1024);
    expect(s.memUsage).toBeGreaterThan(0);
    expect(s.memPercent).toBeCloseTo((s.memUsage / s.memLimit) * 100, 5);
    expect(s.pids).toBeGreaterThanOrEqual(1);
    expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
    const table = await berth.ok("stats", "--no-stream", id);
    const [header, row] = table.split("\n");
    expect(header).toMatch(
      /^ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET IO\s+BLOCK IO\s+PIDS$/,
    );
    expect(row).toContain(id.slice(0, 12));
    expect(row).toContain("/ 67.1MB");
    const listed = JSON.parse(
      await berth.ok("stats", "--no-stream", "--format", "json"),
    ) as ContainerStats[];
    expect(listed.map((l) => l.id)).toContain(id);
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 60_000);

  it("measures a busy container's CPU", async () => {
    const id = (await berth.ok("create", "busybox", "sh", "-c", "while :; do :; done")).trim();
    await berth.ok("start", id);
    const s = await api().call<ContainerStats>("GET", `/containers/${id}/stats`);
    expect(s.cpuPercent).toBeGreaterThan(30);
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 60_000);

  it("streams a sample a second as NDJSON with ?stream=1", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "100")).trim();
    await berth.ok("start", id);
    const lines: ContainerStats[] = [];
    for await (const raw of api().lines(`/containers/${id}/stats?stream=1`)) {
      lines.push(JSON.parse(raw) as ContainerStats);
      if (lines.length === 2) break;
    }
    expect(lines.map((l) => l.id)).toEqual([id, id]);
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 60_000);

  it("ends a stream with a typed error line when the container stops mid-stream", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "100")).trim();
    await berth.ok("start", id);
    const lines: unknown[] = [];
    for await (const raw of api().lines(`/containers/${id}/stats?stream=1`)) {
      lines.push(JSON.parse(raw));
      if (lines.length === 1) await berth.ok("kill", id);
    }
    const last = lines[lines.length - 1] as { error?: { code: string } };
    expect(last.error?.code).toBe("CTR_STATE_INVALID");
    expect((lines[0] as { id: string }).id).toBe(id);
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 60_000);

  it("serves thirty streams at once and keeps answering after their clients hang up", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "100")).trim();
    await berth.ok("start", id);
    const one = async () => {
      for await (const raw of api().lines(`/containers/${id}/stats?stream=1`)) {
        return JSON.parse(raw) as ContainerStats;
      }
      throw new Error("the stream ended without a sample");
    };
    const samples = await Promise.all(Array.from({ length: 30 }, one));
    expect(samples.every((s) => s.id === id)).toBe(true);
    // The daemon still answers after 30 clients hung up mid-stream.
    expect((await api().call<ContainerStats>("GET", `/containers/${id}/stats`)).pids).toBe(1);
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 60_000);

  it("refreshes the CLI's table every second until interrupted", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "100")).trim();
    await berth.ok("start", id);
    const child = execa("node", [CLI, "stats", id], {
      env: { BERTH_SOCKET: berth.socket },
      reject: false,
    });
    await new Promise((r) => setTimeout(r, 3_000));
    child.kill("SIGINT");
    const { stdout } = await child;
    const tables = stdout.split("\n").filter((l) => l.startsWith("ID "));
    expect(tables.length).toBeGreaterThanOrEqual(2);
    expect(tables.length).toBeLessThanOrEqual(4);
    await berth.ok("rm", "-f", "-t", "0", id);
  }, 60_000);

  it("refuses an exited container", async () => {
    const id = (await berth.ok("create", "busybox", "true")).trim();
    await berth.ok("start", id);
    await berth.ok("wait", id);
    const err = await failure(api().call("GET", `/containers/${id}/stats`));
    expect(err.code).toBe("CTR_STATE_INVALID");
    expect(err.message).toContain("can only get stats of running containers");
    const cli = await berth.cli("stats", "--no-stream", id);
    expect(cli.code).toBe(125);
    expect(cli.stderr).toContain("can only get stats of running containers");
  }, 60_000);

  it("refuses an unknown container", async () => {
    const err = await failure(api().call("GET", "/containers/nosuch/stats"));
    expect(err.code).toBe("NO_SUCH_CTR");
  });
});
