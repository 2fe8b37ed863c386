/**
 * A container's configuration on the real runtime (issue 12): memory, CPU and
 * pids limits in its cgroup (v1 here), an OOM kill journaled as `oom` before
 * `died`, capabilities seen in /proc/1/status, a read-only root with its
 * tmpfs scratch, a sized --tmpfs, --hostname, --env-file, and bad values
 * refused with INVALID_ARG before anything is journaled.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BerthError } from "../../src/errors.js";
import { ALL_CAPABILITIES, boundingCapabilities } from "../../src/effects/index.js";
import { busyboxTar, startBerth, tempDir, until, type Berth } from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { daemonApi } from "../support/daemon-api.js";

let berth: Berth;
let work: string;
const { api, inspect, history, action } = daemonApi(() => berth.socket);

beforeAll(async () => {
  work = await tempDir("berth-config-");
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 60_000);

afterAll(async () => {
  await berth?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Creates a busybox container with `flags`, runs it to its end, and gives its record and output. */
async function runToEnd(flags: string[], command: string[]) {
  const id = (await berth.ok("create", ...flags, "busybox", ...command)).trim();
  await berth.ok("start", id);
  await berth.ok("wait", id);
  const logs = await berth.cli("logs", id);
  const record = await inspect(id);
  const events = (await history(id)).map(action);
  await berth.ok("rm", id);
  return { record, stdout: logs.stdout, stderr: logs.stderr, events };
}

/** A running busybox container; removed by the caller. */
async function running(flags: string[], command = ["sleep", "1000"]): Promise<ContainerRecord> {
  const id = (await berth.ok("create", ...flags, "busybox", ...command)).trim();
  await berth.ok("start", id);
  return inspect(id);
}

/** A cgroup v1 controller's file for the cgroup that holds `pid`, read on the host. */
async function cgroupFile(pid: number, controller: string, file: string): Promise<string> {
  const cgroups = await readFile(`/proc/${pid}/cgroup`, "utf8");
  const line = cgroups
    .split("\n")
    .map((l) => l.split(":"))
    .find((parts) => parts[1]?.split(",").includes(controller));
  if (line?.[1] === undefined || line[2] === undefined) {
    throw new Error(`no ${controller} cgroup for ${pid}: ${cgroups}`);
  }
  return (await readFile(join("/sys/fs/cgroup", line[1], line[2], file), "utf8")).trim();
}

/** The CapEff mask for a set of capability names, as /proc/<pid>/status prints it. */
function capMask(names: readonly string[]): string {
  let mask = 0n;
  for (const n of names) mask |= 1n << BigInt(ALL_CAPABILITIES.indexOf(n));
  return mask.toString(16).padStart(16, "0");
}

const capEff = (out: string) => /^CapEff:\s+([0-9a-f]+)$/m.exec(out)?.[1];

/** Every journaled event, counted from the global feed. */
async function eventCount(): Promise<number> {
  const r = await berth.cli("events", "--stream=false", "--format", "json");
  expect(r.code).toBe(0);
  return r.stdout.split("\n").filter((l) => l.trim() !== "").length;
}

describe("memory and OOM", () => {
  it("ends a memory hog under --memory 16m with oomKilled and an oom event before died", async () => {
    const { record, events } = await runToEnd(["--memory", "16m"], ["tail", "/dev/zero"]);
    expect(record.resources).toEqual({ memory: 16 * 1024 * 1024, memorySwap: 32 * 1024 * 1024 });
    expect(record.oomKilled).toBe(true);
    expect(record.exitCode).toBe(137);
    const oom = events.indexOf("oom");
    expect(oom).toBeGreaterThan(0);
    expect(events[oom + 1]).toBe("died");
    const filtered = await berth.ok(
      "events",
      "--stream=false",
      "--format",
      "json",
      "--filter",
      "event=oom",
      "--filter",
      `container=${record.id}`,
    );
    const lines = filtered.split("\n").filter((l) => l.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("io.berth.container.oom");
  });

  it("journals no oom for a process that ends on its own under a memory limit", async () => {
    const { record, events } = await runToEnd(["--memory", "64m"], ["sh", "-c", "exit 3"]);
    expect(record.oomKilled).toBe(false);
    expect(record.exitCode).toBe(3);
    expect(events).not.toContain("oom");
    expect(events).toContain("died");
  });

  it("writes --memory and --memory-swap into the container's memory cgroup", async () => {
    const record = await running(["--memory", "32m", "--memory-swap", "48m"]);
    try {
      const pid = record.pid as number;
      expect(await cgroupFile(pid, "memory", "memory.limit_in_bytes")).toBe(String(32 * 2 ** 20));
      expect(await cgroupFile(pid, "memory", "memory.memsw.limit_in_bytes")).toBe(
        String(48 * 2 ** 20),
      );
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
  });
});

describe("cpu and pids", () => {
  it("reflects --cpus 0.5 and --cpu-shares in the container's cpu cgroup", async () => {
    const record = await running(["--cpus", "0.5", "--cpu-shares", "512"]);
    try {
      const pid = record.pid as number;
      expect(record.resources).toEqual({ cpuQuota: 50_000, cpuPeriod: 100_000, cpuShares: 512 });
      expect(await cgroupFile(pid, "cpu", "cpu.cfs_quota_us")).toBe("50000");
      expect(await cgroupFile(pid, "cpu", "cpu.cfs_period_us")).toBe("100000");
      expect(await cgroupFile(pid, "cpu", "cpu.shares")).toBe("512");
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
  });

  it("stops a fork loop at --pids-limit 20 while the container lives on", async () => {
    // The loop runs in a subshell: a failed fork ends that shell, and the container's own goes on.
    const script = "(for i in $(seq 1 60); do sleep 1000 & done); echo alive; exec sleep 1000";
    const record = await running(["--pids-limit", "20"], ["sh", "-c", script]);
    try {
      const pid = record.pid as number;
      await until(
        async () => (await berth.cli("logs", record.id)).stdout.includes("alive"),
        20_000,
        () => "the container's shell going on after the fork loop",
      );
      const logs = await berth.cli("logs", record.id);
      expect(logs.stderr).toMatch(/can't fork/);
      expect(Number(await cgroupFile(pid, "pids", "pids.current"))).toBeLessThanOrEqual(20);
      expect(await cgroupFile(pid, "pids", "pids.max")).toBe("20");
      expect((await inspect(record.id)).state).toBe("running");
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
  });
});

describe("ulimits by Podman's names", () => {
  it("sets nproc, core and stack beside the default nofile, as /proc/self/limits shows", async () => {
    const { record, stdout } = await runToEnd(
      ["--ulimit", "nproc=50:60", "--ulimit", "core=0", "--ulimit", "stack=4194304"],
      ["cat", "/proc/self/limits"],
    );
    const row = (name: string) =>
      new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, "m").exec(stdout)?.slice(1);
    expect(row("Max processes")).toEqual(["50", "60"]);
    expect(row("Max core file size")).toEqual(["0", "0"]);
    expect(row("Max stack size")).toEqual(["4194304", "4194304"]);
    expect(row("Max open files")).toEqual(["1024", "1024"]);
    expect(record.sandbox?.rlimits).toEqual({
      nofile: { soft: 1024, hard: 1024 },
      nproc: { soft: 50, hard: 60 },
      core: { soft: 0, hard: 0 },
      stack: { soft: 4194304, hard: 4194304 },
    });
  });
});

describe("capabilities", () => {
  const status = ["grep", "CapEff", "/proc/1/status"];

  it("gives berth's default set when create says nothing, as the record says", async () => {
    const { record, stdout } = await runToEnd([], status);
    expect(record.security?.privileged).toBe(false);
    expect(capEff(stdout)).toBe(capMask(record.security?.capabilities ?? ["none"]));
    expect(record.security?.capabilities).toContain("CAP_CHOWN");
    expect(record.security?.capabilities).not.toContain("CAP_NET_RAW");
  });

  it("drops every capability with --cap-drop ALL", async () => {
    const { record, stdout } = await runToEnd(["--cap-drop", "ALL"], status);
    expect(capEff(stdout)).toBe("0000000000000000");
    expect(record.security).toEqual({
      privileged: false,
      capAdd: [],
      capDrop: ["ALL"],
      capabilities: [],
    });
  });

  it("adds only NET_RAW with --cap-drop ALL --cap-add net_raw, and the create event says so", async () => {
    const id = (
      await berth.ok("create", "--cap-drop", "ALL", "--cap-add", "net_raw", "busybox", ...status)
    ).trim();
    await berth.ok("start", id);
    await berth.ok("wait", id);
    const { stdout } = await berth.cli("logs", id);
    expect(capEff(stdout)).toBe(capMask(["CAP_NET_RAW"]));
    const created = (await history(id)).find((e) => action(e) === "create");
    expect((created?.data as { security?: unknown }).security).toEqual({
      privileged: false,
      capAdd: ["CAP_NET_RAW"],
      capDrop: ["ALL"],
      capabilities: ["CAP_NET_RAW"],
    });
    await berth.ok("rm", id);
  });

  it("runs a --privileged container with every capability, no seccomp filter and no masked paths", async () => {
    const { record, stdout } = await runToEnd(
      ["--privileged"],
      ["sh", "-c", "grep -E 'CapEff|Seccomp:' /proc/1/status; ls /sys/dev/block | head -1"],
    );
    // Every capability the daemon's bounding set holds: runc can give no other.
    expect(capEff(stdout)).toBe(capMask(boundingCapabilities()));
    expect(record.security?.capabilities).toEqual(boundingCapabilities());
    expect(stdout).toMatch(/^Seccomp:\s+0$/m);
    expect(record.sandbox?.seccomp).toBe("unconfined");
    expect(record.security?.privileged).toBe(true);
    // Masked for every other container (see sandbox.int.test.ts).
    expect(stdout.trim().split("\n").length).toBeGreaterThan(2);
  });
});

describe("file system and hostname", () => {
  it("makes the root read-only with --read-only while /tmp, /var/tmp and /run stay writable", async () => {
    const script =
      "touch /x; echo root=$?; for d in /tmp /var/tmp /run; do touch $d/y && echo $d=ok; done";
    const { record, stdout, stderr } = await runToEnd(["--read-only"], ["sh", "-c", script]);
    expect(stdout).toMatch(/^root=1$/m);
    expect(stderr).toMatch(/Read-only file system/);
    for (const d of ["/tmp", "/var/tmp", "/run"]) expect(stdout).toContain(`${d}=ok`);
    expect(record.readOnly).toBe(true);
    expect(record.tmpfs?.map((t) => t.destination)).toEqual(["/tmp", "/var/tmp", "/run"]);
  });

  it("leaves /tmp read-only too under --read-only --read-only-tmpfs=false", async () => {
    const { stdout } = await runToEnd(
      ["--read-only", "--read-only-tmpfs", "false"],
      ["sh", "-c", "touch /tmp/y; echo tmp=$?"],
    );
    expect(stdout).toMatch(/^tmp=1$/m);
  });

  it("fills a --tmpfs /scratch:size=1m at 1 MiB", async () => {
    const script =
      "dd if=/dev/zero of=/scratch/f bs=1024 count=4096; echo dd=$?; wc -c < /scratch/f";
    const { record, stdout, stderr } = await runToEnd(
      ["--tmpfs", "/scratch:size=1m"],
      ["sh", "-c", script],
    );
    expect(stderr).toMatch(/No space left on device/);
    expect(stdout).toMatch(/^dd=1$/m);
    expect(stdout.trim().split("\n").at(-1)).toBe(String(1024 * 1024));
    expect(record.tmpfs).toEqual([
      { destination: "/scratch", options: ["rw", "noexec", "nosuid", "nodev", "size=1m"] },
    ]);
  });

  it("names the container's host with --hostname, and by its id's first 12 characters without", async () => {
    const named = await runToEnd(["--hostname", "web"], ["hostname"]);
    expect(named.stdout.trim()).toBe("web");
    expect(named.record.hostname).toBe("web");
    const plain = await runToEnd([], ["hostname"]);
    expect(plain.stdout.trim()).toBe(plain.record.id.slice(0, 12));
    expect(plain.record).not.toHaveProperty("hostname");
  });

  it("adds an --env-file's entries, a bare KEY taking the CLI's own value", async () => {
    const file = join(work, "app.env");
    await writeFile(file, "# a comment\n\nGREETING=hello world\nFROM_CLI\nUNSET_HERE\n");
    process.env.FROM_CLI = "cli-value";
    delete process.env.UNSET_HERE;
    const { record, stdout } = await runToEnd(
      ["--env-file", file],
      ["sh", "-c", 'echo "$GREETING|$FROM_CLI|${UNSET_HERE-unset}"'],
    );
    expect(stdout.trim()).toBe("hello world|cli-value|unset");
    expect(record.env).toEqual(["GREETING=hello world", "FROM_CLI=cli-value"]);
  });
});

describe("bad values", () => {
  const bad: [string, Record<string, unknown>][] = [
    ["--memory -5", { memory: "-5" }],
    ["--memory 1x", { memory: "1x" }],
    ["--memory 1k (below the least limit)", { memory: "1k" }],
    ["--memory-swap below --memory", { memory: "64m", memorySwap: "32m" }],
    ["--cpus 0", { cpus: 0 }],
    ["--cpus above the host's CPUs", { cpus: 4096 }],
    ["--cap-add NOPE", { capAdd: ["NOPE"] }],
    ["--cap-add and --cap-drop of one name", { capAdd: ["NET_RAW"], capDrop: ["CAP_NET_RAW"] }],
    ["--tmpfs relative", { tmpfs: ["relative"] }],
    ["--tmpfs with ..", { tmpfs: ["/a/../proc"] }],
    ["--tmpfs over /proc", { tmpfs: ["/proc/sys"] }],
    ["--tmpfs with an unknown option", { tmpfs: ["/s:size=1m,exec=yes"] }],
    ["--hostname with a slash", { hostname: "a/b" }],
    ["--ulimit of an unknown name", { ulimits: { nope: { soft: 1, hard: 1 } } }],
    ["--memory beyond a safe integer", { memory: "99999999999999g" }],
    ["65 --tmpfs mounts", { tmpfs: Array.from({ length: 65 }, (_, i) => `/t${i}`) }],
    ["a 64 KiB --cap-add", { capAdd: ["A".repeat(65_536)] }],
  ];

  it.each(bad)("answers %s with INVALID_ARG and journals nothing", async (_what, fields) => {
    const before = await eventCount();
    const err = await api()
      .call("POST", "/containers", { image: "busybox", command: ["true"], ...fields })
      .then(
        () => undefined,
        (e: unknown) => e as BerthError,
      );
    expect(err?.code).toBe("INVALID_ARG");
    expect(await eventCount()).toBe(before);
  });

  const outside = ALL_CAPABILITIES.find((c) => !boundingCapabilities().includes(c));
  it.skipIf(outside === undefined)(
    "answers a --cap-add outside the daemon's bounding set with INVALID_ARG, not a failed start",
    async () => {
      const before = await eventCount();
      const r = await berth.cli("create", "--cap-add", outside ?? "", "busybox", "true");
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(/bounding set/);
      expect(await eventCount()).toBe(before);
    },
  );

  it("answers the CLI's bad flags with an error and exit code 125, creating nothing", async () => {
    const before = await eventCount();
    for (const flags of [
      ["--memory", "-5"],
      ["--memory", "1x"],
      ["--cpus", "0"],
      ["--cpus", "half"],
      ["--cap-add", "NOPE"],
      ["--tmpfs", "relative"],
    ]) {
      const r = await berth.cli("create", ...flags, "busybox", "true");
      expect({ flags, code: r.code }).toEqual({ flags, code: 125 });
      expect(r.stderr).toMatch(/^Error: /);
    }
    // Node 20 itself reads a script's --env-file and exits 9 when it is missing.
    const missing = await berth.cli("create", "--env-file", join(work, "missing.env"), "busybox");
    expect(missing.code).not.toBe(0);
    expect(await eventCount()).toBe(before);
  });
});
