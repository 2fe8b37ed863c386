/**
 * The one place that turns runc's error text into typed berth errors, so
 * callers branch on error classes rather than on runc's wording.
 */
import {
  type BerthError,
  CommandNotExecutableError,
  CommandNotFoundError,
  CtrStateInvalidError,
  CtrStoppedError,
  InvalidArgError,
  NoSuchCtrError,
  OciRuntimeError,
} from "../errors.js";

type ErrorCtor = new (message: string) => BerthError;

/** runc 1.1 messages (from runc 1.1.5's sources) and what they mean for berth. */
const RULES: readonly { pattern: RegExp; error: ErrorCtor }[] = [
  { pattern: /container does not exist/, error: NoSuchCtrError },
  {
    pattern: /container not running|has stopped|process is already dead/,
    error: CtrStoppedError,
  },
  {
    pattern:
      /container not paused|already running|in the \w+ state|container paused|still running|not stopped|already exists/,
    error: CtrStateInvalidError,
  },
  { pattern: /unknown signal|invalid container ID/, error: InvalidArgError },
];

/**
 * The error messages in runc's stderr. runc logs logrus lines
 * (`time=... level=error msg="..."`) or, with `--log-format=json`, JSON lines.
 */
export function runcMessages(stderr: string): string[] {
  const messages: string[] = [];
  for (const line of stderr.split("\n")) {
    const text = line.trim();
    if (text === "") continue;
    messages.push(jsonMessage(text) ?? logfmtMessage(text) ?? text);
  }
  return messages;
}

function jsonMessage(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line) as { msg?: unknown };
    return typeof value.msg === "string" ? value.msg : undefined;
  } catch {
    return undefined;
  }
}

function logfmtMessage(line: string): string | undefined {
  const match = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(line) ?? /\bmsg=(\S+)/.exec(line);
  return match?.[1]?.replace(/\\(.)/g, "$1");
}

/**
 * A typed error for runc failing at `op` on container `id`, carrying runc's
 * own message: "does not exist" → NoSuchCtrError, "not running" →
 * CtrStoppedError, other state conflicts → CtrStateInvalidError, a bad
 * signal → InvalidArgError, anything else → OciRuntimeError.
 */
export function runcError(stderr: string, op: string, id: string): BerthError {
  const text = runcMessages(stderr).join("; ") || "runc failed without a message";
  const message = `runc ${op} ${id}: ${text}`;
  const rule = RULES.find((r) => r.pattern.test(text));
  return rule ? new rule.error(message) : new OciRuntimeError(message);
}

/**
 * runc's account of a process it could not exec (`exec: "cmd": ...`), as
 * Podman's conmon path reads it: not found → 127, not runnable → 126.
 */
const EXEC_FAILURES: readonly { pattern: RegExp; error: ErrorCtor }[] = [
  {
    pattern: /exec: "[^"]*": (?:executable file not found|.*no such file or directory)/,
    error: CommandNotFoundError,
  },
  {
    pattern: /exec: "[^"]*": (?:.*permission denied|.*is a directory)/,
    error: CommandNotExecutableError,
  },
];

/**
 * A failed create whose cause is the container's command (see EXEC_FAILURES),
 * or an OciRuntimeError carrying `message` otherwise.
 */
export function createError(message: string): BerthError {
  const rule = EXEC_FAILURES.find((r) => r.pattern.test(message));
  return rule ? new rule.error(message) : new OciRuntimeError(message);
}

/** True when runc's stderr says it does not know the container. */
export function isNotExist(stderr: string): boolean {
  return /container does not exist/.test(stderr);
}
