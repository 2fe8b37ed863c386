/**
 * Real processes for integration tests, the demo and the benchmark: nats-server with JetStream and the
 * berth daemon, each on free ports and in temporary folders, stopped after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { LinuxNetwork } from "../effects/index.js";
import { repoRoot } from "./repo.js";

/** The compiled CLI; tests, demo and bench run it as a user would. */
export const CLI = join(repoRoot(), "dist", "src", "cli", "berth.cjs");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port")),
      );
    });
  });
}

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what: string | (() => string) = "condition",
) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`,
  );
}

/** True when something accepts a connection on the TCP port or unix socket. */
export const canConnect = (opts: { port: number } | { path: string }) =>
  new Promise<boolean>((resolve) => {
    const s = netConnect(opts as never);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

export async function tempDir(prefix: string) {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface Nats {
  url: string;
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A JetStream nats-server; `kill` and `start` make outages, its store dir survives them.
 * `args` go to nats-server as well (authentication, TLS, cluster routes).
 */
export async function startNats(options: { args?: string[] } = {}): Promise<Nats> {
  const port = await freePort();
  const dir = await tempDir("berth-nats-");
  let proc: ChildProcess | undefined;
  const nats: Nats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async start() {
      const args = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir];
      proc = spawn("nats-server", [...args, ...(options.args ?? [])], { stdio: "ignore" });
      await until(() => canConnect({ port }), 10_000, "nats-server");
    },
    async kill() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await exited;
    },
    async stop() {
      await nats.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  // A server that never came up still leaves its store dir behind unless it goes here.
  await nats.start().catch(async (err: unknown) => {
    await nats.stop();
    throw err;
  });
  return nats;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Berth {
  root: string;
  socket: string;
  cli(...args: string[]): Promise<CliResult>;
  /** Runs the CLI and fails the test with its stderr unless it exits 0. */
  ok(...args: string[]): Promise<string>;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
  log(): string;
  /** The daemon's process id while it runs, for benches that read its /proc entries. */
  pid(): number | undefined;
}

/** The real daemon (`berth serve`) in its own root, optionally relaying to NATS. */
export async function startBerth(
  /**
   * `cwd`: the daemon's working folder, where a relative path would resolve;
   * `root`: its root, when the test gives one (a small tmpfs, say); the test then removes it;
   * `network`: the daemon's default network, `none` unless a test asks for the bridge. Daemons
   * side by side share one host-wide lease folder, so bridge would be safe; it is left off for
   * cost: every bridge start runs the CNI chain and iptables, serialized host-wide by their locks.
   */
  options: {
    nats?: string;
    host?: string;
    args?: string[];
    cwd?: string;
    root?: string;
    network?: "bridge" | "none" | "host";
  } = {},
): Promise<Berth> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const dir = await tempDir("berth-it-");
  const root = options.root ?? join(dir, "root");
  const socket = join(dir, "berth.sock");
  let proc: ChildProcess | undefined;
  let output = "";
  const cli = async (...args: string[]): Promise<CliResult> => {
    const r = await execa("node", [CLI, ...args], { env: { BERTH_SOCKET: socket }, reject: false });
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const berth: Berth = {
    root,
    socket,
    cli,
    async ok(...args) {
      const r = await cli(...args);
      if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    async start() {
      const args = [
        "serve",
        "--root",
        root,
        "--socket",
        socket,
        "--host",
        options.host ?? "testhost",
      ];
      if (options.nats) args.push("--nats", options.nats);
      args.push("--default-network", options.network ?? "none");
      args.push(...(options.args ?? []));
      const p = spawn("node", [CLI, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        ...(options.cwd ? { cwd: options.cwd } : {}),
      });
      proc = p;
      p.stdout?.on("data", (d: Buffer) => (output += d.toString()));
      p.stderr?.on("data", (d: Buffer) => (output += d.toString()));
      await until(
        async () =>
          p.exitCode === null && existsSync(socket) && (await canConnect({ path: socket })),
        15_000,
        `berth daemon (log: ${output})`,
      );
    },
    async kill(signal = "SIGKILL") {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill(signal);
      await exited;
      if (signal === "SIGKILL") await rm(socket, { force: true });
    },
    async stop() {
      await berth.kill("SIGTERM");
      await cleanRoot(root);
      await rm(dir, { recursive: true, force: true });
    },
    log: () => output,
    pid: () => proc?.pid,
  };
  // A daemon that never came up still leaves its folder behind unless it goes here.
  await berth.start().catch(async (err: unknown) => {
    await berth.stop();
    throw err;
  });
  return berth;
}

/**
 * Kills and deletes every container runc knows under a root, releases the
 * host-wide leases and port claims of its bridge containers, and unmounts its
 * overlays and namespaces.
 */
export async function cleanRoot(root: string): Promise<void> {
  const runcRoot = join(root, "runc");
  const list = await execa("runc", ["--root", runcRoot, "list", "-q"], { reject: false });
  for (const id of list.stdout.split("\n").filter(Boolean)) {
    await execa("runc", ["--root", runcRoot, "delete", "--force", id], { reject: false });
  }
  // The leases and claims outlive the root in /run/berth: a stop must not leave them taken.
  await new LinuxNetwork({ root }).sweep([]).catch(() => undefined);
  const mounts = await execa(
    "sh",
    ["-c", `grep -F ' ${root}/' /proc/self/mountinfo | cut -d' ' -f5`],
    { reject: false },
  );
  for (const m of mounts.stdout.split("\n").filter(Boolean).reverse()) {
    await execa("umount", ["-l", m], { reject: false });
  }
}
