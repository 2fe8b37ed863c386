/**
 * Podman for the benches that compare against it: `podman system service`
 * on a socket in a temporary folder, with root, run and tmp folders of its
 * own (nothing is left in /var/lib/containers or /run/libpod), runc (the
 * runtime berth uses) and busybox imported from the same tarball berth gets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { Agent } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { busyboxTar, canConnect, tempDir, until } from "../src/harness/index.js";
import { unixCall } from "./unix-http.js";

/** A running Podman service; `stop` ends it and removes its storage. */
export interface Podman {
  version: string;
  runtime: string;
  socket: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The container ulimits are set low in a containers.conf of the bench's:
 * Podman's defaults for root ask for more than an unprivileged container
 * host may grant, and runc fails.
 */
async function startPodman(): Promise<Podman> {
  const dir = await tempDir("berth-bench-podman-");
  const conf = join(dir, "containers.conf");
  await writeFile(
    conf,
    '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' +
      '[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n' +
      `tmp_dir = "${join(dir, "tmp")}"\n`,
  );
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const global = ["--root", join(dir, "root"), "--runroot", join(dir, "run")];
  const version = (await execa("podman", ["--version"], { env })).stdout.trim();
  await execa("podman", [...global, "import", busyboxTar(), "busybox"], { env });
  const socket = join(dir, "podman.sock");
  let log = "";
  const proc: ChildProcess = spawn(
    "podman",
    [...global, "system", "service", "--time=0", `unix://${socket}`],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    // Podman's overlay driver leaves its storage mounted; unmount before removing.
    const mounts = await execa(
      "sh",
      ["-c", `grep -F ' ${dir}/' /proc/self/mountinfo | cut -d' ' -f5`],
      { reject: false },
    );
    for (const m of mounts.stdout.split("\n").filter(Boolean).reverse())
      await execa("umount", ["-l", m], { reject: false });
    await execa("rm", ["-rf", dir], { reject: false });
  };
  try {
    await until(
      async () => proc.exitCode === null && (await canConnect({ path: socket })),
      15_000,
      () => `podman system service (log: ${log})`,
    );
    const info = await unixCall(
      { label: "podman", socket, agent: new Agent() },
      "GET",
      "/v1.47/info",
    );
    const runtime = (JSON.parse(info.body) as { DefaultRuntime?: string }).DefaultRuntime ?? "?";
    return { version, runtime, socket, pid: proc.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Podman started, or why not: the benches skip its column instead of failing without it. */
export async function podmanOrReason(): Promise<Podman | string> {
  const which = await execa("sh", ["-c", "command -v podman"], { reject: false });
  if (which.exitCode !== 0) return "podman is not on the PATH (apt-get install podman)";
  return startPodman();
}
