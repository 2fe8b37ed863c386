/**
 * The process runner port: run a command to completion and capture its
 * output, as runc, mount, umount and the other short helpers are run.
 * Adapters: the posix_spawn broker (spawn-broker.ts), which keeps fork()
 * off the daemon's event loop, and execa (execa-runner.ts).
 */

/** Most files a command may be given on extra descriptors (MAX_FILES in spawn-broker.c). */
export const MAX_FILES = 8;
/** Highest descriptor a file may be given on (MAX_FILE_FD in spawn-broker.c). */
export const MAX_FILE_FD = 63;

/**
 * A file opened onto one of the command's descriptors, as the shell's `3>path`.
 * The open happens before the command runs and must not block: for a FIFO,
 * the caller opens the other end first.
 */
export interface FileOnFd {
  /** The descriptor in the command: 3 to MAX_FILE_FD. */
  fd: number;
  path: string;
  /** open(2) flags, from fs.constants (`O_WRONLY | O_CREAT`). */
  flags: number;
  /** The mode of a file O_CREAT makes; 0o600 when absent. */
  mode?: number;
}

/** How to run one command. */
export interface RunOptions {
  /** Files opened onto descriptors 3 and up, at most MAX_FILES, each descriptor once; one that cannot be opened fails the command as not started. */
  files?: readonly FileOnFd[];
  /** Runs the command in a session of its own (setsid), out of reach of signals sent to the daemon's process group. */
  newSession?: boolean;
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

/** Why `files` cannot be given to a command (the errno code and one line), or undefined when they can. */
export function filesProblem(
  files: readonly FileOnFd[],
): { code: string; detail: string } | undefined {
  if (files.length > MAX_FILES)
    return { code: "E2BIG", detail: `more than ${MAX_FILES} files to open in the child` };
  const seen = new Set<number>();
  for (const f of files) {
    if (!Number.isInteger(f.fd) || f.fd < 3 || f.fd > MAX_FILE_FD)
      return {
        code: "EBADF",
        detail: `cannot open ${f.path} onto fd ${f.fd}: only fds 3 to ${MAX_FILE_FD} can be given`,
      };
    if (seen.has(f.fd)) return { code: "EINVAL", detail: `fd ${f.fd} is given twice` };
    seen.add(f.fd);
  }
  return undefined;
}

/** The result of a command that could not start: errno `code` (`ENOENT`) and why. */
export function notStarted(
  file: string,
  args: readonly string[],
  code: string,
  detail: string,
): RunResult {
  return {
    stdout: "",
    stderr: "",
    failed: true,
    timedOut: false,
    code,
    message: failureMessage(file, args, { code, detail, timedOut: false }),
  };
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
