/**
 * The process runner on execa: node's child_process, so one fork() of the
 * daemon per command. The fallback when the spawn broker is not built or not running.
 */
import { execa } from "execa";
import * as fs from "node:fs/promises";
import { throwIfAborted } from "./abort.js";
import { errnoCode } from "./fsutil.js";
import {
  DEFAULT_FORCE_KILL_MS,
  failureMessage,
  filesProblem,
  notStarted,
  type FileOnFd,
  type ProcessRunner,
  type RunOptions,
  type RunResult,
} from "./process-runner.js";

/** Runs each command with execa. */
export class ExecaRunner implements ProcessRunner {
  /** Runs `file` with `args`; see ProcessRunner.run. */
  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const { signal } = options;
    throwIfAborted(signal);
    const opened = await openFiles(options.files ?? []);
    if ("code" in opened) return notStarted(file, args, opened.code, opened.detail);
    try {
      return await this.spawn(file, args, options, opened.stdio);
    } finally {
      await Promise.all(opened.handles.map((h) => h.close()));
    }
  }

  private async spawn(
    file: string,
    args: readonly string[],
    options: RunOptions,
    extra: readonly (number | "ignore")[],
  ): Promise<RunResult> {
    const { signal } = options;
    const child = execa(file, args, {
      reject: false,
      // execa's types take a number only on fds 0 to 2; node's spawn, under it, takes one on any.
      stdio: ["ignore", "pipe", "pipe", ...(extra as readonly "ignore"[])],
      ...(options.newSession === true ? { detached: true } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.env !== undefined ? { env: options.env, extendEnv: true } : {}),
      ...(signal !== undefined ? { cancelSignal: signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      forceKillAfterDelay: options.forceKillAfterMs ?? DEFAULT_FORCE_KILL_MS,
    });
    const pid = child.pid;
    const r = await child;
    throwIfAborted(signal);
    const code = (r as { code?: unknown }).code;
    const spawnCode = typeof code === "string" && r.exitCode === undefined ? code : undefined;
    const result: RunResult = {
      stdout: r.stdout,
      stderr: r.stderr,
      failed: r.failed,
      timedOut: r.timedOut,
      message: "",
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
      ...(r.signal !== undefined ? { signal: r.signal } : {}),
      ...(pid !== undefined ? { pid } : {}),
      ...(spawnCode !== undefined ? { code: spawnCode } : {}),
    };
    if (r.failed) {
      result.message = failureMessage(file, args, {
        timedOut: r.timedOut,
        ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
        ...(r.signal !== undefined ? { signal: r.signal } : {}),
        ...(spawnCode !== undefined
          ? { code: spawnCode, detail: r.originalMessage ?? r.shortMessage }
          : { detail: r.shortMessage }),
      });
    }
    return result;
  }
}

/**
 * Opens the files a command gets on its extra descriptors, in node: the
 * child inherits them from the spawn. The stdio entries from fd 3 on, with
 * "ignore" in the gaps; or why they cannot be opened, as the broker says it.
 */
async function openFiles(
  files: readonly FileOnFd[],
): Promise<
  { stdio: (number | "ignore")[]; handles: fs.FileHandle[] } | { code: string; detail: string }
> {
  const problem = filesProblem(files);
  if (problem) return problem;
  const handles: fs.FileHandle[] = [];
  const stdio: (number | "ignore")[] = [];
  for (const f of files) {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(f.path, f.flags, f.mode ?? 0o600);
    } catch (err) {
      await Promise.all(handles.map((h) => h.close()));
      const detail = err instanceof Error ? err.message : String(err);
      return {
        code: errnoCode(err) ?? "EIO",
        detail: `cannot open ${f.path} onto fd ${f.fd}: ${detail}`,
      };
    }
    handles.push(handle);
    while (stdio.length < f.fd - 3) stdio.push("ignore");
    stdio[f.fd - 3] = handle.fd;
  }
  return { stdio, handles };
}
