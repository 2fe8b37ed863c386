/**
 * The process runner on execa: node's child_process, so one fork() of the
 * daemon per command. The fallback when the spawn broker is not built or not running.
 */
import { execa } from "execa";
import { throwIfAborted } from "./abort.js";
import {
  DEFAULT_FORCE_KILL_MS,
  failureMessage,
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
    const child = execa(file, args, {
      reject: false,
      stdin: "ignore",
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
