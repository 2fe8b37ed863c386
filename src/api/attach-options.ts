/**
 * The query of `POST /containers/:ref/attach`, as Docker and Podman spell it:
 * `stream`, `logs`, `stdin`, `stdout`, `stderr`, `detachKeys`, plus berth's
 * `start=1` (start and attach, losing no output) and `h`/`w` (the terminal
 * size to set before output flows).
 */
import type { TerminalSize } from "../effects/index.js";
import { InvalidArgError } from "../errors.js";
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from "../client/index.js";

export interface AttachOptions {
  /** Stream live output (and input). Default true, as in Podman. */
  stream: boolean;
  /** Replay the log first. Default false. */
  logs: boolean;
  /** Which streams to carry; naming none carries all three, as in Podman. */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The detach sequence; empty turns detaching off. */
  detachKeys: Uint8Array;
  /** Initialize if needed, connect, then start: no early output is lost. */
  start: boolean;
  size?: TerminalSize;
}

const TRUE = new Set(["1", "true", "True", "TRUE"]);
const FALSE = new Set(["0", "false", "False", "FALSE", ""]);

function flag(q: URLSearchParams, name: string): boolean | undefined {
  const value = q.get(name);
  if (value === null) return undefined;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new InvalidArgError(`query parameter ${name}=${JSON.stringify(value)} must be 1 or 0`);
}

function cells(q: URLSearchParams, name: string): number | undefined {
  const value = q.get(name);
  if (value === null) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 0xffff) {
    throw new InvalidArgError(
      `query parameter ${name}=${JSON.stringify(value)} must be 1 to 65535`,
    );
  }
  return n;
}

/** The terminal size in `h` (rows) and `w` (columns), which must come together. */
export function terminalSize(q: URLSearchParams): TerminalSize | undefined {
  const height = cells(q, "h");
  const width = cells(q, "w");
  if (height === undefined && width === undefined) return undefined;
  if (height === undefined || width === undefined) {
    throw new InvalidArgError("a terminal size needs both h (rows) and w (columns)");
  }
  return { height, width };
}

/** Like `terminalSize`, for routes where the size is the point. */
export function requiredTerminalSize(q: URLSearchParams): TerminalSize {
  const size = terminalSize(q);
  if (!size) throw new InvalidArgError("a terminal size needs both h (rows) and w (columns)");
  return size;
}

/** Parses and validates the query; InvalidArgError names the bad parameter. */
export function attachOptions(q: URLSearchParams): AttachOptions {
  const named = ["stdin", "stdout", "stderr"].map((s) => flag(q, s));
  const all = named.every((v) => v === undefined);
  const [stdin, stdout, stderr] = named.map((v) => (all ? true : (v ?? false)));
  return {
    stream: flag(q, "stream") ?? true,
    logs: flag(q, "logs") ?? false,
    stdin: stdin ?? true,
    stdout: stdout ?? true,
    stderr: stderr ?? true,
    detachKeys: parseDetachKeys(q.get("detachKeys") ?? DEFAULT_DETACH_KEYS),
    start: flag(q, "start") ?? false,
    size: terminalSize(q),
  };
}
