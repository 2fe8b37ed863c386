/**
 * Exec sessions through conmon, the way Podman drives it: `conmon --exec
 * --exec-attach --exec-process-spec FILE` with three pipes. conmon waits for a
 * byte on the start pipe (fd 4), creates the session's attach socket and says
 * so on the attach pipe (fd 5), waits for a second start byte, runs `runc
 * exec`, then reports the PID (or runc's error) on the sync pipe (fd 3) and,
 * when the process ends, its exit code there too. It also writes the exit
 * code to a file in `--exit-dir` (named by the container id), which outlives berth.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { z } from "zod";
import { OciRuntimeError } from "../errors.js";
import { openAttachSession } from "./attach.js";
import { errnoCode, parseJson } from "./fsutil.js";
import { runcMessages } from "./runc-errors.js";
import type { AttachSession } from "./types.js";

/** How long conmon may take to report the PID. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Podman's exit codes for a command runc could not run (define.ExecErrorCode*). */
export const EXEC_CANNOT_INVOKE = 126;
export const EXEC_NOT_FOUND = 127;

/** One session's files, all under its folder. */
export interface ExecPaths {
  dir: string;
  processFile: string;
  exitDir: string;
  persist: string;
  log: string;
  pidfile: string;
  runtimeLog: string;
  attachSocket: string;
  ctl: string;
}

export function execPaths(dir: string): ExecPaths {
  return {
    dir,
    processFile: path.join(dir, "process.json"),
    exitDir: path.join(dir, "exit"),
    persist: path.join(dir, "persist"),
    log: path.join(dir, "exec.log"),
    pidfile: path.join(dir, "pid"),
    runtimeLog: path.join(dir, "runc.log"),
    attachSocket: path.join(dir, "attach"),
    ctl: path.join(dir, "ctl"),
  };
}

export interface ExecConmonOptions {
  conmonPath: string;
  runcPath: string;
  runcRoot: string;
  containerId: string;
  containerName: string;
  sessionId: string;
  socketDir: string;
  paths: ExecPaths;
  tty: boolean;
  stdin: boolean;
  /** Connect to the session's output before its process runs, so none is lost. */
  attach: boolean;
  timeoutMs?: number;
}

/** A session whose process runs. */
export interface ExecRunning {
  pid: number;
  attach?: AttachSession;
  /** The exit code once the process ends; undefined when conmon went away without one. */
  exited: Promise<number | undefined>;
}

/** A session runc could not start: Podman's 126 or 127, with runc's words. */
export interface ExecFailed {
  exitCode: number;
  message: string;
}

export type ExecOutcome = { running: ExecRunning } | { failed: ExecFailed };

const SyncSchema = z.object({ data: z.number().int(), message: z.string().optional() });

/**
 * The command line. As for a container, no `-s` (berth's cgroups are
 * cgroupfs); `-i` keeps stdin open only when the client sends some.
 */
export function execConmonArgs(o: ExecConmonOptions): string[] {
  const p = o.paths;
  const runtimeArgs = ["--root", o.runcRoot, "--log-format=json", "--log", p.runtimeLog];
  return [
    ["--api-version", "1"],
    ["-c", o.containerId],
    ["-u", o.sessionId],
    ["-n", o.containerName],
    ["-r", o.runcPath],
    ["-b", p.dir],
    ["-p", p.pidfile],
    ["-l", `k8s-file:${p.log}`],
    ["--exit-dir", p.exitDir],
    ["--persist-dir", p.persist],
    ["--socket-dir-path", o.socketDir],
    ["--full-attach"],
    o.tty ? ["-t"] : [],
    o.stdin ? ["-i"] : [],
    ["-e", "--exec-attach", "--exec-process-spec", p.processFile],
    ["--log-level", "warning"],
    ...runtimeArgs.map((arg) => ["--runtime-arg", arg]),
  ].flat();
}

/** Reads the sync or attach pipe one JSON line at a time. */
function lines(stream: Readable): () => Promise<z.infer<typeof SyncSchema> | undefined> {
  let buffered = "";
  let ended = false;
  let wake: (() => void) | undefined;
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    wake?.();
  });
  const end = () => {
    ended = true;
    wake?.();
  };
  stream.on("end", end);
  stream.on("error", end);
  stream.on("close", end);
  return async () => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() === "") continue;
        const parsed = SyncSchema.safeParse(parseJson(line));
        return parsed.success ? parsed.data : undefined;
      }
      if (ended) return undefined;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  };
}

function writeStartByte(child: ChildProcess): void {
  const start = child.stdio[4] as NodeJS.WritableStream | null;
  (start as unknown as Readable | null)?.on("error", () => undefined);
  start?.write(Buffer.of(0));
}

/** Podman's reading of runc's error: not found is 127, the rest of what cannot run 126. */
export function execFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return EXEC_NOT_FOUND;
  return EXEC_CANNOT_INVOKE;
}

async function runtimeError(o: ExecConmonOptions, fallback: string | undefined): Promise<string> {
  const text = await fs.readFile(o.paths.runtimeLog, "utf8").catch(() => "");
  const runc = runcMessages(text).join("; ");
  if (runc) return runc;
  // conmon prefixes its own chatter with [conmon:x]; runc's line is what is left.
  const own = (fallback ?? "").split("\n").filter((l) => l.trim() && !l.startsWith("[conmon"));
  return own.join("; ") || "conmon reported no PID";
}

/**
 * Starts one exec session. Resolves once runc has started the process (with
 * its PID and, with `attach`, a session already connected to its output) or
 * has failed to (with Podman's exit code and runc's text). Rejects with
 * OciRuntimeError when conmon itself fails or says nothing in time.
 */
export async function spawnExec(o: ExecConmonOptions): Promise<ExecOutcome> {
  const p = o.paths;
  await Promise.all([p.exitDir, p.persist].map((d) => fs.mkdir(d, { recursive: true })));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    _OCI_SYNCPIPE: "3",
    _OCI_STARTPIPE: "4",
    _OCI_ATTACHPIPE: "5",
  };
  delete env.NOTIFY_SOCKET;
  const child = spawn(o.conmonPath, execConmonArgs(o), {
    cwd: p.dir,
    env,
    detached: true,
    stdio: ["ignore", "ignore", "pipe", "pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => {
    if (stderr.length < 16_384) stderr += d;
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (err) =>
      reject(new OciRuntimeError(`exec in ${o.containerId}: ${err.message}`, { cause: err })),
    ),
  );
  const sync = lines(child.stdio[3] as Readable);
  const attachPipe = lines((child.stdio as unknown as Readable[])[5] as Readable);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new OciRuntimeError(
            `exec in ${o.containerId}: conmon did not report within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  let attach: AttachSession | undefined;
  try {
    writeStartByte(child);
    const ready = await Promise.race([attachPipe(), spawnError, timeout]);
    if (!ready || ready.data < 0) {
      throw new OciRuntimeError(
        `exec in ${o.containerId}: conmon did not set up the session: ${ready?.message ?? stderr.trim()}`,
      );
    }
    if (o.attach) attach = await openAttachSession(o.containerId, p.attachSocket);
    writeStartByte(child);
    const started = await Promise.race([sync(), spawnError, timeout]);
    if (!started || started.data <= 0) {
      attach?.close();
      const message = await runtimeError(o, started?.message ?? stderr);
      return { failed: { exitCode: execFailureCode(message), message } };
    }
    const exited = sync().then((m) => m?.data);
    // The sync pipe is all berth keeps: it carries the exit code.
    void exited.finally(() => child.stdio[3]?.destroy());
    return { running: { pid: started.data, ...(attach ? { attach } : {}), exited } };
  } catch (err) {
    attach?.close();
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch (e) {
        if (errnoCode(e) !== "ESRCH") throw e;
      }
    }
    throw err;
  } finally {
    clearTimeout(timer);
    for (const i of [4, 5]) (child.stdio as unknown as (Readable | null)[])[i]?.destroy();
    child.stderr?.destroy();
    child.unref();
  }
}

/** The exit code conmon wrote for the session, or undefined when there is none. */
export async function readExecExit(paths: ExecPaths): Promise<number | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(paths.exitDir);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
  // conmon writes through a temp file `<id>.XXXXXX`; only the renamed file counts.
  const file = names.find((n) => !n.includes("."));
  if (!file) return undefined;
  const code = Number((await fs.readFile(path.join(paths.exitDir, file), "utf8")).trim());
  return Number.isInteger(code) ? code : undefined;
}
