/**
 * The process runner port: run a command to completion and capture its
 * output, as runc, mount, umount and the other short helpers are run.
 * Adapters: the posix_spawn broker (spawn-broker.ts), which keeps fork()
 * off the daemon's event loop, and execa (execa-runner.ts).
 */

/** How to run one command. */
export interface RunOptions {
  /** Working folder of the command; the daemon's own when absent. */
  cwd?: string;
  /** Variables added to (or replacing some of) the daemon's environment, as execa's `extendEnv`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Aborting kills the command (SIGTERM, then SIGKILL after `forceKillAfterMs`); `run` then rejects with the abort reason. */
  signal?: AbortSignal;
  /** Kills the command (as an abort does) once it ran this long; the result says `timedOut`. */
  timeoutMs?: number;
  /** How long a command may outlive the SIGTERM of an abort or timeout before SIGKILL; 5000 when absent. */
  forceKillAfterMs?: number;
}

/**
 * What a finished command did. Like execa's with `reject: false`: a command
 * that failed (non-zero exit, killed, not found, timed out) resolves too,
 * with `failed` set; only an abort rejects.
 */
export interface RunResult {
  /** The exit code, when the command exited. */
  exitCode?: number;
  /** The signal that killed it (`SIGKILL`), when one did. */
  signal?: string;
  /** The process id, when the command started. */
  pid?: number;
  /** The errno code of a command that could not start (`ENOENT`, `EACCES`). */
  code?: string;
  /** Output as UTF-8, without its final newline (as execa gives it). */
  stdout: string;
  stderr: string;
  /** Not started, killed, exit code other than 0, timed out, or output past the capture limit. */
  failed: boolean;
  timedOut: boolean;
  /** One line about what went wrong (`Command failed with exit code 1: runc state x`); empty when nothing did. */
  message: string;
}

/** Runs commands to completion. */
export interface ProcessRunner {
  /** Runs `file` (looked up in PATH) with `args`, stdin from /dev/null; resolves once it is gone. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** The default grace between SIGTERM and SIGKILL, execa's. */
export const DEFAULT_FORCE_KILL_MS = 5_000;

/** Drops one final "\n" (or "\r\n"), as execa's `stripFinalNewline` does. */
export function stripFinalNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/** The command line as a message shows it. */
export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].join(" ");
}

/** The one-line `message` of a result, from what happened. */
export function failureMessage(
  file: string,
  args: readonly string[],
  what: { exitCode?: number; signal?: string; code?: string; timedOut: boolean; detail?: string },
): string {
  const cmd = commandLine(file, args);
  if (what.code !== undefined)
    return `Command failed with ${what.code}: ${cmd}: ${what.detail ?? ""}`;
  if (what.timedOut) return `Command timed out: ${cmd}`;
  if (what.signal !== undefined) return `Command was killed with ${what.signal}: ${cmd}`;
  if (what.exitCode !== undefined && what.exitCode !== 0)
    return `Command failed with exit code ${what.exitCode}: ${cmd}`;
  if (what.detail !== undefined) return `Command failed: ${cmd}: ${what.detail}`;
  return "";
}
