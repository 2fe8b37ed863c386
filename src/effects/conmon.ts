/**
 * Creating a container through conmon, the way Podman does. conmon forks a
 * monitor that outlives berth, runs `runc create` and, once runc is done,
 * reports the container's PID (or runc's error) as one JSON line on the sync
 * pipe (fd 3). It waits for one byte on the start pipe (fd 4) before doing anything.
 *
 * conmon runs through the process runner (the spawn broker), not node's
 * spawn: a fork of the daemon blocks its event loop for a time that grows
 * with its RSS. The runner cannot hand over anonymous pipes, so the two pipes
 * are FIFOs in the container's folder, opened onto fds 3 and 4 in the child.
 */
import { close as closeCallback, constants as fsc, open as openCallback } from "node:fs";
import * as fs from "node:fs/promises";
import { Socket } from "node:net";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { z } from "zod";
import { type BerthError, InternalError, OciRuntimeError } from "../errors.js";
import { abortReason, raceAbort, throwIfAborted } from "./abort.js";
import { defaultRunner } from "./default-runner.js";
import { errnoCode, parseJson } from "./fsutil.js";
import type { ContainerPaths } from "./paths.js";
import type { ProcessRunner, RunResult } from "./process-runner.js";
import { createError, runcMessages } from "./runc-errors.js";
import type { Created } from "./types.js";

/** How long conmon may take to report before berth gives up (Podman allows 240 s). */
const DEFAULT_TIMEOUT_MS = 60_000;
/** conmon's first process only forks and writes its pidfile; it exits within milliseconds. */
const LAUNCHER_EXIT_GRACE_MS = 2_000;
/** Cap on the conmon output kept for error messages. */
const MAX_OUTPUT = 16 * 1024;
/** The FIFOs standing in for conmon's sync and start pipes, in the container's folder. */
const SYNC_FIFO = "conmon-sync.fifo";
const START_FIFO = "conmon-start.fifo";

/** Everything conmon needs for one container. */
export interface ConmonOptions {
  conmonPath: string;
  runcPath: string;
  /** `runc --root`. */
  runcRoot: string;
  id: string;
  name: string;
  paths: ContainerPaths;
  exitDir: string;
  socketDir: string;
  /** Run the process on a terminal: conmon passes runc a console socket and relays the pty. */
  terminal?: boolean;
  /** Keep the process's stdin open for attached clients (ignored with a terminal, which has its own). */
  stdin?: boolean;
  /** Give up (and clean up) when conmon has not reported by then. Default 60 s. */
  timeoutMs?: number;
  /** conmon starts the log file afresh when it would grow past this many bytes; none: no limit. */
  logSizeMax?: number;
}

const SyncSchema = z.object({ data: z.number().int(), message: z.string().optional() });
type SyncMessage = z.infer<typeof SyncSchema>;

/**
 * conmon's command line. No `-s`: that selects the systemd cgroup manager,
 * and berth uses cgroupfs. With `--full-attach` the attach socket is
 * `<bundle>/attach` and `--socket-dir-path` goes unused, but conmon still
 * wants it set. Like Podman, a terminal gets `-t` only: with `-i` as well,
 * conmon would close the pty's input when the first attached client left.
 * Without `--leave-stdin-open`, `-i` stdin closes when a client half-closes
 * or disconnects, so end of input reaches the process (Podman's behaviour).
 */
export function conmonArgs(o: ConmonOptions): string[] {
  const p = o.paths;
  const runtimeArgs = ["--root", o.runcRoot, "--log-format=json", "--log", p.runtimeLog];
  return [
    ["--api-version", "1"],
    ["-c", o.id],
    ["-u", o.id],
    ["-n", o.name],
    ["-r", o.runcPath],
    ["-b", p.bundle],
    ["-p", p.pidfile],
    ["-P", p.conmonPidfile],
    ["-l", `k8s-file:${p.log}`],
    ["--exit-dir", o.exitDir],
    ["--persist-dir", p.persist],
    ["--socket-dir-path", o.socketDir],
    ["--full-attach"],
    o.terminal ? ["-t"] : o.stdin ? ["-i"] : [],
    o.logSizeMax !== undefined ? ["--log-size-max", String(o.logSizeMax)] : [],
    ["--log-level", "warning"],
    ...runtimeArgs.map((arg) => ["--runtime-arg", arg]),
  ].flat();
}

/**
 * conmon quits silently when a dir it writes to is missing (the persist dir
 * is written only when the container exits, so its exit would be lost):
 * create them all first. Stale pid files from an earlier run must go, and the
 * runtime log starts empty so its errors belong to this attempt.
 */
async function prepareFiles(o: ConmonOptions): Promise<void> {
  const p = o.paths;
  await Promise.all(
    [o.exitDir, o.socketDir, o.runcRoot, p.persist].map((d) => fs.mkdir(d, { recursive: true })),
  );
  await fs.access(p.config).catch((err: unknown) => {
    throw new InternalError(`container ${o.id} is not prepared: no ${p.config}`, { cause: err });
  });
  await Promise.all([p.pidfile, p.conmonPidfile].map((f) => fs.rm(f, { force: true })));
  await fs.writeFile(p.runtimeLog, "");
}

/** A plain fd, not a FileHandle: the socket reading it closes it, and a FileHandle would close its number again when collected. */
const openFd = promisify(openCallback);
const closeFd = promisify(closeCallback);

/** berth's ends of conmon's two FIFOs. */
interface Fifos {
  sync: number;
  start: fs.FileHandle;
  paths: { sync: string; start: string };
}

/**
 * Makes the FIFOs and opens berth's ends first, so that conmon's own opens
 * (in the broker's vfork child, which must not block) find the other end
 * open: the sync FIFO for reading, without blocking; the start FIFO
 * read-write, which on Linux never blocks. The start byte is written now:
 * conmon reads it once it runs.
 */
async function openFifos(o: ConmonOptions, runner: ProcessRunner): Promise<Fifos> {
  const paths = {
    sync: path.join(o.paths.dir, SYNC_FIFO),
    start: path.join(o.paths.dir, START_FIFO),
  };
  await removeFifos(paths);
  // node cannot make a FIFO; mkfifo through the runner costs no fork of the daemon.
  const made = await runner.run("mkfifo", ["-m", "600", paths.sync, paths.start]);
  if (made.failed) throw new InternalError(`create container ${o.id}: ${made.message}`);
  const sync = await openFd(paths.sync, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const start = await fs.open(paths.start, fsc.O_RDWR).catch(async (err: unknown) => {
    await closeFd(sync);
    throw err;
  });
  await start.write(Buffer.of(0));
  return { sync, start, paths };
}

async function removeFifos(paths: { sync: string; start: string }): Promise<void> {
  await Promise.all([paths.sync, paths.start].map((p) => fs.rm(p, { force: true })));
}

/**
 * Runs conmon's first process to its exit. Its monitor then holds the sync
 * FIFO's write end until it reports; the runner answers without waiting for it.
 */
function runLauncher(
  o: ConmonOptions,
  runner: ProcessRunner,
  fifos: Fifos,
  kill: AbortSignal,
): Promise<RunResult> {
  return runner.run(o.conmonPath, conmonArgs(o), {
    cwd: o.paths.dir, // conmon drops an `oom` marker in its cwd; keep it in the container dir.
    // Like Podman: a NOTIFY_SOCKET meant for berth must not reach the container's monitor.
    env: { _OCI_SYNCPIPE: "3", _OCI_STARTPIPE: "4", NOTIFY_SOCKET: undefined },
    // Own session, so a Ctrl-C aimed at berth cannot hit conmon before it daemonizes.
    newSession: true,
    files: [
      { fd: 3, path: fifos.paths.sync, flags: fsc.O_WRONLY },
      { fd: 4, path: fifos.paths.start, flags: fsc.O_RDONLY },
    ],
    signal: kill,
    forceKillAfterMs: 0,
  });
}

/** The first line conmon writes to the sync pipe, or undefined if it closes without one. */
function readSyncLine(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline >= 0) resolve(buffered.slice(0, newline));
    });
    stream.on("end", () => resolve(buffered === "" ? undefined : buffered));
    stream.on("error", () => resolve(buffered === "" ? undefined : buffered));
  });
}

function parseSync(line: string | undefined): SyncMessage | undefined {
  if (line === undefined) return undefined;
  const parsed = SyncSchema.safeParse(parseJson(line));
  return parsed.success ? parsed.data : undefined;
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(file, "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (err) {
    if (errnoCode(err) !== "ESRCH") throw err;
  }
}

/**
 * Stops a create that is being abandoned. The launcher is given a moment to
 * exit so the monitor's PID is in its pidfile (it is killed if it does not);
 * then the monitor is killed, which kills `runc create` (conmon sets
 * PDEATHSIG on it). A half-created container may remain in runc; `runc
 * delete --force` clears it.
 */
async function killConmon(
  launcher: Promise<RunResult>,
  killLauncher: AbortController,
  o: ConmonOptions,
): Promise<void> {
  const settled = launcher.then(
    () => true,
    () => true,
  );
  const exited = await Promise.race([
    settled,
    new Promise<false>((r) => setTimeout(r, LAUNCHER_EXIT_GRACE_MS, false)),
  ]);
  if (!exited) {
    killLauncher.abort();
    await settled;
  }
  const monitor = await readPid(o.paths.conmonPidfile);
  if (monitor !== undefined) killPid(monitor);
}

async function runtimeLogErrors(file: string): Promise<string> {
  const text = await fs.readFile(file, "utf8").catch(() => "");
  return runcMessages(text).join("; ");
}

/** The best account of a failed create: runc's words first, conmon's next. */
async function createFailure(
  o: ConmonOptions,
  sync: SyncMessage | undefined,
  launcher: RunResult,
): Promise<BerthError> {
  const exit = launcher.signal ?? `code ${launcher.exitCode}`;
  const detail =
    sync?.message?.trim() ||
    (await runtimeLogErrors(o.paths.runtimeLog)) ||
    launcher.stderr.slice(0, MAX_OUTPUT).trim() ||
    (launcher.code !== undefined ? launcher.message : "") ||
    `conmon exited with ${exit} without reporting a PID`;
  return createError(`create container ${o.id}: ${detail}`);
}

/**
 * Spawns conmon for a prepared bundle and resolves once `runc create` has
 * succeeded, with the container's PID and the monitor's PID. Rejects with
 * OciRuntimeError carrying runc's or conmon's error text. When `signal` aborts
 * or the timeout passes first, conmon is killed before rejecting; the caller
 * should then `runc delete --force` the id.
 */
export async function spawnConmon(
  o: ConmonOptions,
  signal?: AbortSignal,
  runner: ProcessRunner = defaultRunner(),
): Promise<Created> {
  throwIfAborted(signal);
  await prepareFiles(o);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // A timer of our own, cleared when the call ends, and no AbortSignal.any: see raceAbort.
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException("conmon did not report in time", "TimeoutError")),
    timeoutMs,
  );
  timer.unref();
  const stops = [signal, deadline.signal];
  const stopped = () => signal?.aborted === true || deadline.signal.aborted;

  const fifos = await openFifos(o, runner);
  const killLauncher = new AbortController();
  const launched = runLauncher(o, runner, fifos, killLauncher.signal);
  let syncStream: Socket | undefined;
  try {
    const launcher = await raceAbort(launched, stops);
    // The monitor holds its ends now, or never will: the names can go, and
    // berth's start end too (conmon has read its byte before forking).
    await Promise.all([removeFifos(fifos.paths), fifos.start.close()]);
    let line: string | undefined;
    // Read only now: before a writer ever opened it, the FIFO would read as ended.
    if (launcher.code === undefined) {
      syncStream = new Socket({ fd: fifos.sync, readable: true, writable: false });
      line = await raceAbort(readSyncLine(syncStream), stops);
    }
    const sync = parseSync(line);
    if (!sync || sync.data <= 0) throw await createFailure(o, sync, launcher);
    const conmonPid = await readPid(o.paths.conmonPidfile);
    if (conmonPid === undefined) {
      throw new OciRuntimeError(`create container ${o.id}: conmon wrote no pidfile`);
    }
    return { pid: sync.data, conmonPid };
  } catch (err) {
    if (!stopped()) throw err;
    await killConmon(launched, killLauncher, o);
    if (signal?.aborted) throw abortReason(signal);
    throw new OciRuntimeError(
      `create container ${o.id}: conmon did not report within ${timeoutMs} ms`,
    );
  } finally {
    clearTimeout(timer);
    await removeFifos(fifos.paths);
    await fifos.start.close().catch(() => undefined);
    // The socket owns the sync fd once made.
    if (syncStream) syncStream.destroy();
    else await closeFd(fifos.sync).catch(() => undefined);
  }
}

/** True while the conmon for container `id` whose PID is in `pidfile` is running. */
async function conmonAlive(pidfile: string, id: string): Promise<boolean> {
  const pid = await readPid(pidfile);
  if (pid === undefined) return false;
  try {
    // The id check guards against a recycled PID; a zombie's cmdline is empty.
    return (await fs.readFile(`/proc/${pid}/cmdline`, "utf8")).includes(id);
  } catch (err) {
    if (errnoCode(err) === "ENOENT" || errnoCode(err) === "ESRCH") return false;
    throw err;
  }
}

/**
 * Waits until the container's conmon has exited, polling every `pollMs`;
 * false if it is still running after `timeoutMs`. conmon writes the exit
 * files last, after runc reports the container gone, so files removed before
 * it is done could be written again.
 */
export async function waitConmonExit(
  pidfile: string,
  id: string,
  timeoutMs: number,
  pollMs = 10,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await conmonAlive(pidfile, id)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}
