/**
 * Issue 10, defects 4 and 6: the daemon serves only a unix socket that only
 * its user can open, and keeps its root private, so no other host user
 * reaches the API, the journal or a container's files.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import {
  busyboxTar,
  canConnect,
  cleanRoot,
  CLI,
  freePort,
  tempDir,
  until,
} from "../../src/harness/index.js";

interface Daemon {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const started: Daemon[] = [];
const dirs: string[] = [];
const roots: string[] = [];

/** `berth serve` with exactly these flags, not waited for. */
function serve(...args: string[]): Daemon {
  const proc = spawn("node", [CLI, "serve", "--host", "testhost", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
  const daemon = { proc, output: () => output, exited };
  started.push(daemon);
  return daemon;
}

/** A folder every user may enter, as /var/lib or /run are: only the daemon's own modes keep others out. */
async function openFolder(): Promise<string> {
  const dir = await tempDir("berth-private-");
  dirs.push(dir);
  await chmod(dir, 0o755);
  return dir;
}

/** Runs a command as the host's `nobody` user, with no supplementary groups. */
const asNobody = (...cmd: string[]) =>
  execa("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", ...cmd], {
    reject: false,
  });

afterEach(async () => {
  for (const d of started.splice(0)) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) {
      d.proc.kill("SIGTERM");
      await d.exited;
    }
  }
  for (const root of roots.splice(0)) await cleanRoot(root);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("the socket is a path", () => {
  for (const value of ["PORT", "127.0.0.1:PORT", "tcp://127.0.0.1:PORT"]) {
    it(`refuses --socket ${value} with a typed error, and nothing listens on that TCP port`, async () => {
      const port = await freePort();
      const dir = await openFolder();
      const daemon = serve(
        "--root",
        join(dir, "root"),
        "--socket",
        value.replace("PORT", String(port)),
      );
      // The refusal ends the daemon; before the fix it listened on the port and kept running.
      const code = await Promise.race([
        daemon.exited,
        until(() => canConnect({ port }), 15_000, "a TCP listener").then(
          () => "listening" as const,
          () => "silent" as const,
        ),
      ]);
      expect(code).toBe(125);
      expect(daemon.output()).toContain("is not a path");
      expect(daemon.output()).toContain("no TCP");
      expect(await canConnect({ port })).toBe(false);
      expect(existsSync(join(dir, "root"))).toBe(false);
    });
  }
});

describe("the root is private", () => {
  it("tightens a pre-made 0755 root to 0700, so no other user reads the journal, a running container's files or reaches the socket", async () => {
    const dir = await openFolder();
    const root = join(dir, "root");
    const socket = join(dir, "berth.sock");
    await mkdir(root, { mode: 0o755 });
    await chmod(root, 0o755);
    roots.push(root);
    const daemon = serve("--root", root, "--socket", socket);
    await until(
      () => canConnect({ path: socket }),
      15_000,
      () => `daemon (${daemon.output()})`,
    );
    const cli = async (...args: string[]) => {
      const r = await execa("node", [CLI, "--socket", socket, ...args], { reject: false });
      if (r.exitCode !== 0) throw new Error(`berth ${args.join(" ")}: ${r.stderr}`);
      return r.stdout.trim();
    };
    await cli("image", "import", busyboxTar(), "busybox");
    const id = await cli("create", "busybox", "sleep", "1000");
    await cli("start", id);

    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
    const merged = join(root, "containers", id, "merged");
    // As root the files are there; as nobody none of them can be read or listed.
    expect(existsSync(join(merged, "bin", "busybox"))).toBe(true);
    expect(existsSync(join(root, "journal", "CURRENT"))).toBe(true);
    for (const cmd of [
      ["cat", join(root, "journal", "CURRENT")],
      ["ls", join(merged, "bin")],
      ["ls", root],
      ["stat", join(merged, "bin", "busybox")],
    ]) {
      const r = await asNobody(...cmd);
      expect(r.exitCode, `nobody ran ${cmd.join(" ")}: ${r.stdout}`).not.toBe(0);
      expect(r.stderr).toContain("Permission denied");
    }
    const probe = await asNobody(
      "node",
      "-e",
      `require("net").connect(${JSON.stringify(socket)}).on("connect", () => process.exit(0)).on("error", (e) => { console.log(e.code); process.exit(3); })`,
    );
    expect(probe.exitCode).toBe(3);
    expect(probe.stdout).toContain("EACCES");
    await cli("rm", "-f", "-t", "0", id);
  });

  it("refuses to start on a root another user owns, and touches nothing there", async () => {
    const dir = await openFolder();
    const root = join(dir, "root");
    await mkdir(root, { mode: 0o755 });
    await chown(root, 65534, 65534);
    const daemon = serve("--root", root, "--socket", join(dir, "berth.sock"));
    expect(await daemon.exited).toBe(125);
    expect(daemon.output()).toContain("belongs to uid 65534");
    expect(existsSync(join(root, "journal"))).toBe(false);
    expect(existsSync(join(dir, "berth.sock"))).toBe(false);
  });
});
