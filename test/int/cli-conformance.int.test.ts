/**
 * The CLI next to Podman 4.3's, through the real CLI and daemon: where it
 * forgives and where it fails, its exit codes, `events` without `--since`,
 * and `run -t` / `start -a` on a terminal with no size.
 */
import { spawn } from "node:child_process";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, CLI, startBerth, until, type Berth } from "../../src/harness/index.js";

let berth: Berth;

const stateOf = async (ref: string) =>
  // inspect prints an array, one record per container named, as Podman does.
  (JSON.parse(await berth.ok("inspect", ref)) as ContainerRecord[])[0]?.state;
const history = async (ref: string) =>
  JSON.parse(await berth.ok("history", ref, "--format", "json")) as CloudEvent[];
const requests = async (ref: string) =>
  (await history(ref))
    .filter((e) => e.type.endsWith(".request"))
    .map((e) => e.data as { command: string; outcome: string; unchanged?: string });

/** The CLI on a pseudo-terminal that reports no size, as under `script` with stdin not a terminal. */
const onSizelessTerminal = (...args: string[]) =>
  execa("script", ["-eqc", ["node", CLI, ...args].join(" "), "/dev/null"], {
    env: { BERTH_SOCKET: berth.socket },
    stdin: "ignore",
    reject: false,
  });

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

describe("where the CLI forgives, as Podman's does", () => {
  it("stops a container that never started with exit 0, journaled as an unchanged request", async () => {
    await berth.ok("create", "--name", "never", "busybox", "sleep", "100");
    const r = await berth.cli("stop", "never");
    expect(r).toMatchObject({ code: 0, stdout: "never" });
    expect(await stateOf("never")).toBe("configured");
    expect(await requests("never")).toEqual([
      expect.objectContaining({ command: "STOP", outcome: "success", unchanged: "configured" }),
    ]);
  });

  it("stops a stopped container with exit 0 and journals no failure", async () => {
    await berth.ok("create", "--name", "twice", "busybox", "sleep", "100");
    await berth.ok("start", "twice");
    await berth.ok("stop", "-t", "1", "twice");
    const r = await berth.cli("stop", "twice");
    expect(r.code).toBe(0);
    const stops = (await requests("twice")).filter((d) => d.command === "STOP");
    expect(stops).toEqual([
      expect.objectContaining({ outcome: "success" }),
      expect.objectContaining({ outcome: "success", unchanged: "exited" }),
    ]);
    expect(stops[0]).not.toHaveProperty("unchanged");
    expect((await berth.ok("history", "twice")).trim().split("\n").at(-1)).toContain(
      "success: already exited",
    );
  });

  it("starts a running container with exit 0 and changes nothing", async () => {
    await berth.ok("create", "--name", "up", "busybox", "sleep", "100");
    await berth.ok("start", "up");
    const before = (await history("up")).length;
    expect((await berth.cli("start", "up")).code).toBe(0);
    const after = await history("up");
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)?.data).toMatchObject({ command: "START", unchanged: "running" });
    await berth.ok("rm", "-f", "-t", "0", "up");
  });

  it("fails to start a paused container with exit 125 and leaves it paused", async () => {
    await berth.ok("create", "--name", "held", "busybox", "sleep", "100");
    await berth.ok("start", "held");
    await berth.ok("pause", "held");
    const r = await berth.cli("start", "held");
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("must be in Created or Stopped state to be started");
    expect(await stateOf("held")).toBe("paused");
    await berth.ok("rm", "-f", "-t", "0", "held");
  });
});

describe("exit codes", () => {
  it.each([
    ["an unknown verb", ["frobnicate"]],
    ["an unknown flag", ["ps", "--no-such-flag"]],
    ["a missing argument", ["history"]],
    ["an argument too many", ["history", "a", "b"]],
  ])("exits 125 for %s", async (_what, args) => {
    const r = await berth.cli(...args);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^error: /);
  });

  it("exits 0 for --help and --version", async () => {
    expect((await berth.cli("--help")).code).toBe(0);
    expect((await berth.cli("stop", "--help")).code).toBe(0);
    expect((await berth.cli("--version")).code).toBe(0);
  });

  it("run exits with the container's code", async () => {
    expect((await berth.cli("run", "busybox", "sh", "-c", "exit 3")).code).toBe(3);
  });

  it("run exits 127 for a command the container does not have, and 126 for one it cannot run", async () => {
    const missing = await berth.cli("run", "busybox", "no-such-command");
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain("executable file not found");
    expect((await berth.cli("run", "busybox", "/no/such/path")).code).toBe(127);
    const notExecutable = await berth.cli("run", "busybox", "/etc/passwd");
    expect(notExecutable.code).toBe(126);
    expect(notExecutable.stderr).toContain("permission denied");
  });

  it("start -a exits with the container's code, or 127 when its command is missing", async () => {
    await berth.ok("create", "--name", "seven", "busybox", "sh", "-c", "echo out; exit 7");
    const r = await berth.cli("start", "-a", "seven");
    expect(r).toMatchObject({ code: 7, stdout: "out" });
    await berth.ok("create", "--name", "nocmd", "busybox", "no-such-command");
    expect((await berth.cli("start", "-a", "nocmd")).code).toBe(127);
    // Plain start is not run or start -a: a failure there is the CLI's 125, as Podman's.
    expect((await berth.cli("start", "nocmd")).code).toBe(125);
  });

  it("exec exits 127 for a command the container does not have", async () => {
    await berth.ok("create", "--name", "host", "busybox", "sleep", "100");
    await berth.ok("start", "host");
    expect((await berth.cli("exec", "host", "no-such-command")).code).toBe(127);
    expect((await berth.cli("exec", "host", "sh", "-c", "exit 9")).code).toBe(9);
    await berth.ok("rm", "-f", "-t", "0", "host");
  });
});

describe("berth events", () => {
  it("without --since shows only what happens after it started", async () => {
    const before = (await berth.ok("create", "busybox", "true")).trim();
    const cli = spawn("node", [CLI, "events", "--format", "json"], {
      env: { ...process.env, BERTH_SOCKET: berth.socket },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    cli.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => cli.once("exit", resolve));
    // The CLI subscribes at some point after it spawned: create until one of them shows.
    const made: string[] = [];
    try {
      await until(
        async () => {
          made.push((await berth.ok("create", "busybox", "true")).trim());
          return out.includes('"subject"');
        },
        20_000,
        "a live event",
      );
    } finally {
      cli.kill("SIGTERM");
      await exited;
    }
    const subjects = out
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as CloudEvent).subject);
    expect(subjects).not.toContain(before);
    expect(subjects.length).toBeGreaterThan(0);
    expect(subjects.every((s) => made.includes(s))).toBe(true);
  });

  it("with --since replays the journal's history", async () => {
    const id = (await berth.ok("create", "busybox", "true")).trim();
    const out = await berth.ok("events", "--since", "10m", "--until", "0s", "--format", "json");
    expect(out).toContain(`"subject":"${id}"`);
  });
});

describe("a terminal with no size (0x0)", () => {
  it("run -t attaches and exits with the container's code", async () => {
    const r = await onSizelessTerminal("run", "-t", "busybox", "sh", "-c", "'echo hi; exit 4'");
    expect(r.stdout).not.toContain("must be 1 to 65535");
    expect(r.stdout.trim()).toBe("hi");
    expect(r.exitCode).toBe(4);
  });

  it("start -a of a container with a terminal attaches and exits with its code", async () => {
    await berth.ok("create", "-t", "--name", "tty5", "busybox", "sh", "-c", "echo there; exit 5");
    const r = await onSizelessTerminal("start", "-a", "tty5");
    expect(r.stdout.trim()).toBe("there");
    expect(r.exitCode).toBe(5);
  });
});
