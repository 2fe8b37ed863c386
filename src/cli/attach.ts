/**
 * `berth attach` and `berth start --attach`: the container's stdio on this
 * terminal through an HTTP attach. Output is demultiplexed to stdout and
 * stderr, stdin is forwarded when asked (in raw mode when both ends are
 * terminals), the terminal size follows this one, and the exit code is the
 * container's, unless the user detached, which exits 0.
 */
import type { Socket } from "node:net";
import {
  BerthClient,
  DEFAULT_DETACH_KEYS,
  DetachScanner,
  MuxDecoder,
  openAttachConnection,
  parseDetachKeys,
  type AttachConnection,
} from "../client/index.js";
import { InternalError } from "../errors.js";
import type { ContainerRecord } from "../machines/index.js";
import { followTerminalSize, terminalSizeQuery } from "./terminal-size.js";

export interface AttachOptions {
  detachKeys?: string;
  /** Forward this terminal's stdin. */
  stdin?: boolean;
}

interface SessionPlan {
  /** Start the container once connected (start-and-attach). */
  start: boolean;
  stdin: boolean;
  detachKeys: string;
}

/**
 * Copies an upgraded connection's output (attach or exec) to this process's
 * stdout and stderr until the connection closes. A write that fails (a closed
 * stdout) ends the connection; `failure` tells what went wrong, if anything.
 */
export function pumpOutput(conn: AttachConnection): {
  closed: Promise<void>;
  failure: () => Error | undefined;
} {
  let failure: Error | undefined;
  const write = outputSink(conn.raw);
  const sink = (chunk: Buffer) => {
    try {
      write(chunk);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      conn.socket.destroy();
    }
  };
  const closed = new Promise<void>((resolve) => conn.socket.once("close", () => resolve()));
  conn.socket.on("error", (err) => (failure ??= err));
  if (conn.head.length > 0) sink(conn.head);
  conn.socket.on("data", sink);
  return { closed, failure: () => failure };
}

/** Writes the stream to this process's stdout and stderr, demultiplexing unless it is raw. */
export function outputSink(raw: boolean): (chunk: Buffer) => void {
  if (raw) return (chunk) => void process.stdout.write(chunk);
  const decoder = new MuxDecoder();
  return (chunk) => {
    for (const frame of decoder.push(chunk)) {
      (frame.stream === "stderr" ? process.stderr : process.stdout).write(frame.data);
    }
  };
}

/**
 * Forwards stdin to the daemon, which scans it for the detach keys and ends
 * the session on them. This side scans the same bytes with the same matcher,
 * only to know that the end of the stream was a detach and not an exit.
 * End of input half-closes the connection, which closes the container's stdin.
 * Returns the function that stops forwarding and restores the terminal.
 */
export function forwardStdin(
  socket: Socket,
  plan: Pick<SessionPlan, "detachKeys">,
  rawTerminal: boolean,
  onDetach: () => void,
): () => void {
  const stdin = process.stdin;
  const scanner = new DetachScanner(parseDetachKeys(plan.detachKeys));
  const raw = rawTerminal && stdin.isTTY;
  // Raw: keystrokes such as ctrl-c and the detach keys reach the container's terminal as bytes.
  if (raw) stdin.setRawMode(true);
  const onData = (data: Buffer) => {
    const { detached } = scanner.push(data);
    if (socket.writable) socket.write(data);
    if (detached) {
      onDetach();
      stop();
    }
  };
  const onEnd = () => {
    if (socket.writable) socket.end();
  };
  const stop = () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    if (raw) stdin.setRawMode(false);
    // Nothing more is read; without this an open stdin would keep the CLI alive.
    stdin.destroy();
  };
  stdin.on("data", onData);
  stdin.once("end", onEnd);
  return stop;
}

async function runSession(
  socketPath: string,
  client: BerthClient,
  record: ContainerRecord,
  plan: SessionPlan,
): Promise<number> {
  const resizes = record.terminal && process.stdout.isTTY === true;
  const query = new URLSearchParams({
    stream: "1",
    stdin: plan.stdin ? "1" : "0",
    stdout: "1",
    stderr: "1",
    detachKeys: plan.detachKeys,
  });
  if (plan.start) query.set("start", "1");
  // The initial size travels with the request: the daemon sets it before any output (or the start).
  const sized = resizes ? terminalSizeQuery() : undefined;
  const size = sized ? `&${sized}` : "";
  const path = `/containers/${record.id}/attach?${query.toString()}${size}`;
  const conn = await openAttachConnection(socketPath, path);

  let detached = false;
  const output = pumpOutput(conn);
  const cleanups: (() => void)[] = [];
  if (plan.stdin) {
    cleanups.push(forwardStdin(conn.socket, plan, record.terminal, () => (detached = true)));
  }
  if (resizes) {
    cleanups.push(
      followTerminalSize((size) => client.call("POST", `/containers/${record.id}/resize?${size}`)),
    );
  }
  await output.closed;
  for (const cleanup of cleanups) cleanup();
  const failure = output.failure();
  if (failure && !detached) {
    throw new InternalError(`attach stream failed: ${failure.message}`, { cause: failure });
  }
  if (detached) return 0;
  const { exitCode } = await client.call<{ exitCode: number }>(
    "POST",
    `/containers/${record.id}/wait`,
  );
  return exitCode;
}

async function prepare(socket: string, ref: string, opts: AttachOptions) {
  const detachKeys = opts.detachKeys ?? DEFAULT_DETACH_KEYS;
  // A bad spelling fails here, before anything happens to the container.
  parseDetachKeys(detachKeys);
  const client = new BerthClient({ socketPath: socket });
  const record = await client.call<ContainerRecord>(
    "GET",
    `/containers/${encodeURIComponent(ref)}`,
  );
  return { client, record, detachKeys };
}

/**
 * `berth attach C`: stdin is forwarded unless `stdin` is false, and only to a
 * container created with stdin open (`create -i`).
 */
export async function attach(socket: string, ref: string, opts: AttachOptions): Promise<number> {
  const { client, record, detachKeys } = await prepare(socket, ref, opts);
  const stdin = (opts.stdin ?? true) && record.stdin;
  return runSession(socket, client, record, { start: false, stdin, detachKeys });
}

/**
 * `berth start --attach C`: starts the container with the stream already
 * connected, so none of its output is missed. Like Podman's CLI, a container
 * that is already running is attached to instead.
 */
export async function startAttach(
  socket: string,
  ref: string,
  opts: AttachOptions,
): Promise<number> {
  const { client, record, detachKeys } = await prepare(socket, ref, opts);
  const stdin = (opts.stdin ?? false) && record.stdin;
  const start = record.state !== "running";
  return runSession(socket, client, record, { start, stdin, detachKeys });
}
