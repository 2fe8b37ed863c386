/**
 * The process runner on berth-spawn (native/spawn-broker.c): a small helper
 * process that runs each command with posix_spawn, so the daemon forks once,
 * for the helper, instead of once per command. A fork copies the daemon's
 * page tables and blocks its event loop for a time that grows with its RSS.
 *
 * The helper starts on first use. When its binary is missing, every command
 * runs on the fallback runner (execa). When it dies:
 * - calls it had been given fail with InternalError: it may have started the
 *   command already, and running `runc start` or `runc kill` a second time is
 *   not harmless, so they are not retried;
 * - except when the helper never started at all (its spawn failed): then no
 *   call can have run, and they all run on the fallback;
 * - the next call starts a new helper. After MAX_DEATHS deaths in a row with
 *   no answer in between, the helper is given up and the fallback runs everything.
 *
 * The helper inherits the daemon's environment as it was when the helper
 * started; a call with `env` sends its whole environment (process.env now plus `env`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync } from "node:fs";
import type { Socket } from "node:net";
import { constants as osConstants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InternalError } from "../errors.js";
import { abortReason } from "./abort.js";
import { ExecaRunner } from "./execa-runner.js";
import {
  DEFAULT_FORCE_KILL_MS,
  failureMessage,
  notStarted,
  stripFinalNewline,
  type ProcessRunner,
  type RunOptions,
  type RunResult,
} from "./process-runner.js";

const REQ_RUN = 1;
const REQ_CANCEL = 2;
const ANS_STARTED = 0x81;
const ANS_EXIT = 0x82;
const ANS_ERROR = 0x83;
const FLAG_CWD = 1;
const FLAG_ENV = 2;
const FLAG_FILES = 4;
const FLAG_SETSID = 8;

/** Each of stdout and stderr is kept up to this size by the helper (MAX_CAPTURE in spawn-broker.c). */
export const MAX_CAPTURE_BYTES = 16 * 1024 * 1024;

/** Unexpected deaths in a row after which the helper is given up for the fallback. */
const MAX_DEATHS = 3;

/** Where `npm run build` puts the helper: dist/native/berth-spawn of the repository this module is in. */
export function defaultBrokerBinary(): string | undefined {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined;
  }
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "native", "berth-spawn");
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

interface Call {
  id: number;
  file: string;
  args: readonly string[];
  options: RunOptions;
  resolve: (r: RunResult) => void;
  reject: (err: unknown) => void;
  pid?: number;
  timedOut: boolean;
  timers: NodeJS.Timeout[];
  onAbort?: () => void;
}

/** One running helper process and the calls it was given. */
interface Helper {
  proc: ChildProcess;
  /** False until node knows the process started (its `spawn` event). */
  spawned: boolean;
  calls: Map<number, Call>;
  chunks: Buffer[];
  buffered: number;
}

const signalNumbers = osConstants.signals as Record<string, number>;
const signalNames = new Map(Object.entries(signalNumbers).map(([name, n]) => [n, name]));
const errnoNames = new Map(
  Object.entries(osConstants.errno as Record<string, number>).map(([name, n]) => [n, name]),
);

function encodeString(s: string): Buffer[] {
  const bytes = Buffer.from(s, "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length);
  return [len, bytes];
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function frame(type: number, id: number, payload: Buffer[]): Buffer {
  const head = Buffer.alloc(9);
  const length = 5 + payload.reduce((n, b) => n + b.length, 0);
  head.writeUInt32LE(length, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32LE(id, 5);
  return Buffer.concat([head, ...payload]);
}

function environmentOf(extra: Readonly<Record<string, string | undefined>>): string[] {
  const merged: Record<string, string | undefined> = { ...process.env, ...extra };
  return Object.entries(merged).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

/** Runs commands through the berth-spawn helper; see the module comment for failures. */
export class SpawnBroker implements ProcessRunner {
  private readonly binary: string | undefined;
  private readonly fallback: ProcessRunner;
  private readonly graceMs: number | undefined;
  private helper: Helper | undefined;
  private usable: boolean | undefined;
  private deaths = 0;
  private nextId = 1;

  constructor(
    options: {
      /** The helper binary; defaultBrokerBinary() when absent. */
      binary?: string;
      /** Runs the commands the helper cannot: an ExecaRunner when absent. */
      fallback?: ProcessRunner;
      /** How long the helper lets its children run once the daemon is gone (its argv[1]). */
      graceMs?: number;
    } = {},
  ) {
    this.binary = options.binary ?? defaultBrokerBinary();
    this.fallback = options.fallback ?? new ExecaRunner();
    this.graceMs = options.graceMs;
  }

  /** The helper's process id while one runs (for tests and diagnostics). */
  get helperPid(): number | undefined {
    return this.helper?.proc.pid;
  }

  /** True while commands go to the helper rather than the fallback. */
  get usingHelper(): boolean {
    return this.canUseHelper();
  }

  /** Runs `file` with `args`; see ProcessRunner.run. */
  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    if (!this.canUseHelper()) return this.fallback.run(file, args, options);
    const helper = this.startedHelper();
    const id = this.allocateId(helper);
    return new Promise<RunResult>((resolve, reject) => {
      const call: Call = { id, file, args, options, resolve, reject, timedOut: false, timers: [] };
      helper.calls.set(id, call);
      this.refWhileBusy(helper);
      const payload: Buffer[] = [];
      const files = options.files ?? [];
      const flags =
        (options.cwd !== undefined ? FLAG_CWD : 0) |
        (options.env ? FLAG_ENV : 0) |
        (files.length > 0 ? FLAG_FILES : 0) |
        (options.newSession === true ? FLAG_SETSID : 0);
      payload.push(u32(flags), u32(args.length + 1));
      for (const a of [file, ...args]) payload.push(...encodeString(a));
      if (options.cwd !== undefined) payload.push(...encodeString(options.cwd));
      if (options.env) {
        const env = environmentOf(options.env);
        payload.push(u32(env.length));
        for (const e of env) payload.push(...encodeString(e));
      }
      if (files.length > 0) {
        payload.push(u32(files.length));
        for (const f of files) {
          payload.push(u32(f.fd), u32(f.flags), u32(f.mode ?? 0o600), ...encodeString(f.path));
        }
      }
      helper.proc.stdin?.write(frame(REQ_RUN, id, payload));
      const { signal, timeoutMs } = options;
      if (signal) {
        call.onAbort = () => this.terminate(helper, call);
        signal.addEventListener("abort", call.onAbort, { once: true });
      }
      if (timeoutMs !== undefined) {
        call.timers.push(
          setTimeout(() => {
            call.timedOut = true;
            this.terminate(helper, call);
          }, timeoutMs),
        );
      }
    });
  }

  /**
   * Closes the helper's stdin and waits for it to exit: it lets running
   * commands finish first. The next call starts a new one.
   */
  async close(): Promise<void> {
    const helper = this.helper;
    if (!helper) return;
    this.helper = undefined;
    const proc = helper.proc;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.stdin?.end();
    await exited;
  }

  private canUseHelper(): boolean {
    if (this.deaths >= MAX_DEATHS) return false;
    if (this.usable === undefined) {
      try {
        if (this.binary === undefined) throw new Error("no binary");
        accessSync(this.binary, fsConstants.X_OK);
        this.usable = true;
      } catch {
        this.usable = false;
      }
    }
    return this.usable;
  }

  private allocateId(helper: Helper): number {
    // Ids wrap at 2^32; one still running is skipped, as the helper would refuse it.
    do {
      this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    } while (helper.calls.has(this.nextId));
    return this.nextId;
  }

  /** SIGTERM now, SIGKILL after the grace, as execa does for a cancel or a timeout. */
  private terminate(helper: Helper, call: Call): void {
    if (!helper.calls.has(call.id)) return;
    this.cancel(helper, call.id, "SIGTERM");
    const grace = call.options.forceKillAfterMs ?? DEFAULT_FORCE_KILL_MS;
    call.timers.push(setTimeout(() => this.cancel(helper, call.id, "SIGKILL"), grace));
  }

  private cancel(helper: Helper, id: number, sig: "SIGTERM" | "SIGKILL"): void {
    if (!helper.calls.has(id) || helper.proc.stdin?.writable !== true) return;
    helper.proc.stdin.write(frame(REQ_CANCEL, id, [u32(signalNumbers[sig] ?? 9)]));
  }

  private refWhileBusy(helper: Helper): void {
    // An idle helper must not keep the daemon (or a test, or the CLI) alive.
    const out = helper.proc.stdout as Socket | null;
    if (helper.calls.size > 0) out?.ref();
    else out?.unref();
  }

  private startedHelper(): Helper {
    if (this.helper) return this.helper;
    const args = this.graceMs !== undefined ? [String(this.graceMs)] : [];
    const proc = spawn(this.binary ?? "", args, { stdio: ["pipe", "pipe", "inherit"] });
    const helper: Helper = { proc, spawned: false, calls: new Map(), chunks: [], buffered: 0 };
    this.helper = helper;
    proc.unref();
    proc.stdin?.on("error", () => {
      // EPIPE once the helper is gone: its exit handler settles the calls.
    });
    proc.once("spawn", () => (helper.spawned = true));
    proc.stdout?.on("data", (chunk: Buffer) => this.onData(helper, chunk));
    let gone = false;
    const onGone = (err?: Error) => {
      if (gone) return;
      gone = true;
      this.onHelperGone(helper, err);
    };
    proc.once("error", onGone);
    proc.once("close", () => onGone());
    (proc.stdout as Socket | null)?.unref();
    return helper;
  }

  private onHelperGone(helper: Helper, err?: Error): void {
    if (this.helper === helper) this.helper = undefined;
    const calls = [...helper.calls.values()];
    helper.calls.clear();
    if (calls.length > 0 || err) this.deaths++;
    for (const call of calls) {
      this.settle(call);
      if (!helper.spawned) {
        // The helper never ran: none of these commands started anywhere.
        this.fallback.run(call.file, call.args, call.options).then(call.resolve, call.reject);
      } else {
        call.reject(
          new InternalError(
            `the spawn broker exited while running "${[call.file, ...call.args].join(" ")}"` +
              ` (pid ${call.pid ?? "unknown"}); it may or may not have run`,
            { cause: err },
          ),
        );
      }
    }
  }

  /** Clears a call's timers and abort listener. */
  private settle(call: Call): void {
    for (const t of call.timers) clearTimeout(t);
    if (call.onAbort) call.options.signal?.removeEventListener("abort", call.onAbort);
  }

  private onData(helper: Helper, chunk: Buffer): void {
    helper.chunks.push(chunk);
    helper.buffered += chunk.length;
    if (helper.buffered < 4) return;
    // Join only once a whole frame is here, so a large answer is copied once.
    const first = helper.chunks[0];
    const head = first !== undefined && first.length >= 4 ? first : Buffer.concat(helper.chunks);
    if (helper.buffered < 4 + head.readUInt32LE(0)) return;
    const buf = Buffer.concat(helper.chunks);
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32LE(off);
      if (buf.length - off < 4 + len) break;
      this.onFrame(helper, buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    const rest = buf.subarray(off);
    helper.chunks = rest.length > 0 ? [Buffer.from(rest)] : [];
    helper.buffered = rest.length;
  }

  private onFrame(helper: Helper, body: Buffer): void {
    if (body.length < 5) return;
    const type = body.readUInt8(0);
    const id = body.readUInt32LE(1);
    const call = helper.calls.get(id);
    if (!call) return;
    this.deaths = 0;
    if (type === ANS_STARTED) {
      call.pid = body.readUInt32LE(5);
      return;
    }
    helper.calls.delete(id);
    this.refWhileBusy(helper);
    this.settle(call);
    const signal = call.options.signal;
    if (signal?.aborted) {
      call.reject(abortReason(signal));
      return;
    }
    if (type === ANS_EXIT) call.resolve(this.exitResult(call, body));
    else if (type === ANS_ERROR) call.resolve(this.errorResult(call, body));
    else call.reject(new InternalError(`the spawn broker answered an unknown frame type ${type}`));
  }

  private exitResult(call: Call, body: Buffer): RunResult {
    const killed = body.readUInt8(5) === 1;
    const value = body.readUInt32LE(6);
    const truncated = body.readUInt8(10);
    const outLen = body.readUInt32LE(11);
    const stdout = body.toString("utf8", 15, 15 + outLen);
    const errLen = body.readUInt32LE(15 + outLen);
    const stderr = body.toString("utf8", 19 + outLen, 19 + outLen + errLen);
    const signal = killed ? (signalNames.get(value) ?? `signal ${value}`) : undefined;
    const exitCode = killed ? undefined : value;
    const cut = [truncated & 1 ? "stdout" : "", truncated & 2 ? "stderr" : ""].filter(Boolean);
    const failed = killed || exitCode !== 0 || call.timedOut || cut.length > 0;
    const detail =
      cut.length > 0 ? `${cut.join(" and ")} passed ${MAX_CAPTURE_BYTES} bytes` : undefined;
    return {
      stdout: stripFinalNewline(stdout),
      stderr: stripFinalNewline(stderr),
      failed,
      timedOut: call.timedOut,
      message: failed
        ? failureMessage(call.file, call.args, {
            timedOut: call.timedOut,
            ...(exitCode !== undefined ? { exitCode } : {}),
            ...(signal !== undefined ? { signal } : {}),
            ...(detail !== undefined ? { detail } : {}),
          })
        : "",
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(call.pid !== undefined ? { pid: call.pid } : {}),
    };
  }

  private errorResult(call: Call, body: Buffer): RunResult {
    const errno = body.readInt32LE(5);
    const msgLen = body.readUInt32LE(9);
    const detail = body.toString("utf8", 13, 13 + msgLen);
    return notStarted(call.file, call.args, errnoNames.get(errno) ?? `errno ${errno}`, detail);
  }
}
