/**
 * The default container sandbox on the real runtime (issue 10, defect 5):
 * Podman's seccomp profile (plus berth's tightening), a pids limit, a NOFILE
 * limit and Podman's masked paths, and the per-container flags that relax
 * them. The forbidden system calls are made by a tiny static C program
 * (test/support/syscall-probe.c, built with gcc -static here) added to the
 * busybox image, because busybox has no applet that makes most of them.
 */
import { copyFile, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinuxRuntime } from "../../src/effects/index.js";
import { SeccompProfileError } from "../../src/errors.js";
import { DEFAULT_SANDBOX, type ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, repoRoot, startBerth, tempDir, type Berth } from "../../src/harness/index.js";
import { daemonApi } from "../support/daemon-api.js";

let berth: Berth;
let work: string;

beforeAll(async () => {
  work = await tempDir("berth-sandbox-");
  const probe = join(work, "probe");
  await execa("gcc", [
    "-static",
    "-O2",
    "-o",
    probe,
    join(repoRoot(), "test", "support", "syscall-probe.c"),
  ]);
  const image = join(work, "probe-image.tar");
  await copyFile(busyboxTar(), image);
  await execa("tar", ["--append", "-f", image, "-C", work, "./probe"]);
  berth = await startBerth();
  await berth.ok("image", "import", image, "probe");
}, 120_000);

afterAll(async () => {
  await berth?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const { api, inspect, history } = daemonApi(() => berth.socket);

/**
 * Creates a container from the probe image with `flags` and runs it to the
 * end; its record and its output (`logs` prints the container's stderr on its own).
 */
async function runToEnd(flags: string[], command: string[]) {
  const id = (await berth.ok("create", ...flags, "probe", ...command)).trim();
  await berth.ok("start", id);
  await berth.ok("wait", id);
  const logs = await berth.cli("logs", id);
  expect(logs.code).toBe(0);
  const output = logs.stdout + logs.stderr;
  const record = await inspect(id);
  await berth.ok("rm", id);
  return { id, record, output };
}

/** The probe's verdict per system call: "OK" or the errno name. */
function verdicts(output: string): Record<string, string> {
  const got: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const m = /^(\w+)=(\w+)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) got[m[1]] = m[2];
  }
  return got;
}

const PROBED = [
  "keyctl",
  "add_key",
  "perf_event_open",
  "userfaultfd",
  "io_uring_setup",
  "unshare_newuser",
];

/** A running container from the probe image; stopped and removed by the caller with `rm -f`. */
async function running(flags: string[] = []): Promise<ContainerRecord> {
  const id = (await berth.ok("create", ...flags, "probe", "sleep", "1000")).trim();
  await berth.ok("start", id);
  return inspect(id);
}

/** A host process's `Seccomp:` mode from /proc/<pid>/status (0 off, 2 filter). */
async function seccompMode(pid: number): Promise<string | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return /^Seccomp:\s+(\d+)$/m.exec(status)?.[1];
}

/** pids.max of the cgroup v1 pids controller that holds `pid`, read on the host. */
async function pidsMax(pid: number): Promise<string> {
  const cgroups = await readFile(`/proc/${pid}/cgroup`, "utf8");
  const path = /^\d+:pids:(.*)$/m.exec(cgroups)?.[1];
  if (path === undefined) throw new Error(`no pids cgroup for ${pid}: ${cgroups}`);
  return (await readFile(join("/sys/fs/cgroup/pids", path, "pids.max"), "utf8")).trim();
}

/** The soft and hard "Max open files" in a `/proc/self/limits` dump. */
function nofile(limits: string): [string, string] | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  return m ? [m[1] as string, m[2] as string] : undefined;
}

describe("the default sandbox", () => {
  it("refuses keyctl, add_key, perf_event_open, userfaultfd, io_uring_setup and unshare(CLONE_NEWUSER) with EPERM", async () => {
    const { output } = await runToEnd([], ["/probe"]);
    const got = verdicts(output);
    expect(Object.keys(got).sort()).toEqual([...PROBED].sort());
    for (const call of PROBED)
      expect({ call, verdict: got[call] }).toEqual({ call, verdict: "EPERM" });
  });

  it("runs the container's process under a seccomp filter (Seccomp: 2)", async () => {
    const record = await running();
    try {
      expect(record.pid).toBeGreaterThan(0);
      expect(await seccompMode(record.pid as number)).toBe("2");
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
  });

  it("limits the container to 2048 pids and 1024 open files, as its record and create event say", async () => {
    const record = await running();
    try {
      const expected = {
        seccomp: "default",
        pidsLimit: 2048,
        rlimits: { nofile: { soft: 1024, hard: 1024 } },
      };
      expect(record.sandbox).toEqual(expected);
      const created = (await history(record.id)).find((e) => e.type.endsWith(".create"));
      expect((created?.data as { sandbox?: unknown }).sandbox).toEqual(expected);
      expect(await pidsMax(record.pid as number)).toBe(String(record.sandbox?.pidsLimit));
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
    const { record: ended, output } = await runToEnd([], ["cat", "/proc/self/limits"]);
    const { soft, hard } = ended.sandbox?.rlimits.nofile ?? {};
    expect(nofile(output)).toEqual([String(soft), String(hard)]);
  });

  it("masks /sys/dev/block, which the host has entries in, as Podman does", async () => {
    const { stdout } = await execa("ls", ["-A", "/sys/dev/block"]);
    expect(stdout.trim()).not.toBe("");
    const { output } = await runToEnd([], ["sh", "-c", "ls -A /sys/dev/block; echo end"]);
    expect(output.trim()).toBe("end");
  });
});

describe("relaxing the sandbox per container", () => {
  it("with --security-opt seccomp=unconfined runs without a filter, and seccomp blocks none of the probes", async () => {
    const record = await running(["--security-opt", "seccomp=unconfined"]);
    try {
      expect(record.sandbox?.seccomp).toBe("unconfined");
      expect(await seccompMode(record.pid as number)).toBe("0");
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
    const { output } = await runToEnd(["--security-opt", "seccomp=unconfined"], ["/probe"]);
    const got = verdicts(output);
    expect(Object.keys(got).sort()).toEqual([...PROBED].sort());
    for (const call of PROBED)
      expect({ call, verdict: got[call] }).not.toEqual({ call, verdict: "EPERM" });
  });

  it("--pids-limit and --ulimit nofile set the limits the record shows, and they hold inside", async () => {
    const flags = ["--pids-limit", "16", "--ulimit", "nofile=256:512"];
    const record = await running(flags);
    try {
      expect(record.sandbox).toEqual({
        seccomp: "default",
        pidsLimit: 16,
        rlimits: { nofile: { soft: 256, hard: 512 } },
      });
      expect(await pidsMax(record.pid as number)).toBe("16");
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
    const limits = await runToEnd(flags, ["cat", "/proc/self/limits"]);
    expect(nofile(limits.output)).toEqual(["256", "512"]);
    // 40 background sleeps cannot all start under a limit of 16 tasks.
    const forks = await runToEnd(flags, [
      "sh",
      "-c",
      "for i in $(seq 40); do sleep 30 & done; echo spawned",
    ]);
    expect(forks.output).toMatch(/can't fork/);
  });

  it("--pids-limit -1 means no limit, recorded as 0", async () => {
    const record = await running(["--pids-limit", "-1"]);
    try {
      expect(record.sandbox?.pidsLimit).toBe(0);
      expect(await pidsMax(record.pid as number)).toBe("max");
    } finally {
      await berth.ok("rm", "-f", "-t", "0", record.id);
    }
  });

  it("refuses bad sandbox flags with a clear error and journals no container", async () => {
    const before = (await api().call<ContainerRecord[]>("GET", "/containers?all=1")).length;
    const bad: [string[], RegExp][] = [
      [["--ulimit", "nofile=512:256"], /soft.*hard/i],
      [["--ulimit", "nofile=30000000:30000000"], /nofile/],
      [["--ulimit", "bogus=1:1"], /"bogus=1:1": use NAME=SOFT/],
      [["--pids-limit", "99999999999"], /pids/i],
      [["--pids-limit", "2.5"], /pids/i],
      [["--security-opt", "seccomp=/etc/profile.json"], /unconfined/],
      [["--security-opt", "apparmor=unconfined"], /seccomp/],
    ];
    for (const [flags, message] of bad) {
      const r = await berth.cli("create", ...flags, "probe", "true");
      expect({ flags, code: r.code }).toEqual({ flags, code: 125 });
      expect(r.stderr).toMatch(message);
    }
    expect((await api().call<ContainerRecord[]>("GET", "/containers?all=1")).length).toBe(before);
  });

  it("refuses at create a NOFILE hard limit above the daemon's own, which runc could not set", async () => {
    const daemonLimits = await readFile(`/proc/self/limits`, "utf8");
    const hard = Number(nofile(daemonLimits)?.[1]);
    const r = await berth.cli("create", "--ulimit", `nofile=1024:${hard + 1}`, "probe", "true");
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/hard limit/);
  });

  it("keeps what each container got across a daemon restart", async () => {
    const id = (
      await berth.ok(
        "create",
        "--security-opt",
        "seccomp=unconfined",
        "--pids-limit",
        "64",
        "probe",
        "true",
      )
    ).trim();
    const before = (await inspect(id)).sandbox;
    await berth.kill("SIGTERM");
    await berth.start();
    expect((await inspect(id)).sandbox).toEqual(before);
    expect(before).toEqual({
      seccomp: "unconfined",
      pidsLimit: 64,
      rlimits: { nofile: { soft: 1024, hard: 1024 } },
    });
    await berth.ok("replay", "--verify");
    await berth.ok("rm", id);
  });
});

describe("without the seccomp profile", () => {
  it("refuses a default sandbox with SECCOMP_PROFILE instead of running unconfined", async () => {
    const missing = new LinuxRuntime({
      root: join(work, "rt-root"),
      seccompProfile: join(work, "no-such-profile.json"),
    });
    const refused = missing.checkSandbox({ ...DEFAULT_SANDBOX });
    await expect(refused).rejects.toBeInstanceOf(SeccompProfileError);
    await expect(refused).rejects.toMatchObject({ code: "SECCOMP_PROFILE", status: 500 });
    await expect(refused).rejects.toThrow(/golang-github-containers-common/);
    await expect(
      missing.checkSandbox({ ...DEFAULT_SANDBOX, seccomp: "unconfined" }),
    ).resolves.toBeUndefined();
  });

  it("refuses a profile file that is not a seccomp profile", async () => {
    const junk = join(work, "junk-profile.json");
    await writeFile(junk, JSON.stringify({ defaultAction: "SCMP_ACT_NOTIFY", syscalls: [] }));
    const broken = new LinuxRuntime({ root: join(work, "rt-root"), seccompProfile: junk });
    await expect(broken.checkSandbox({ ...DEFAULT_SANDBOX })).rejects.toBeInstanceOf(
      SeccompProfileError,
    );
  });
});
