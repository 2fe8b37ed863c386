/**
 * Attaching to a container through conmon, the way Podman does. With
 * `--full-attach` conmon listens on `<bundle>/attach`, a SOCK_SEQPACKET socket
 * that relays the container's output to every client and their input to its
 * stdin, and reads resize requests from the `<bundle>/ctl` fifo. Both exist
 * from the moment conmon reports the container created until it exits.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import * as path from "node:path";
import { SeqpacketSocket } from "node-unix-socket";
import { CtrStateInvalidError, InvalidArgError, OciRuntimeError } from "../errors.js";
import { abortReason, throwIfAborted } from "./abort.js";
import { decodeConmonPacket, stdinPackets } from "./attach-frames.js";
import { errnoCode } from "./fsutil.js";
import type { AttachChunk, AttachSession, TerminalSize } from "./types.js";

/**
 * Linux's O_PATH, absent from Node's fs.constants: an fd naming a file without
 * opening it, so the socket can be reached as /proc/self/fd/N.
 */
const O_PATH = 0o10000000;

/** conmon's terminal-control message type for a resize (WIN_RESIZE_EVENT). */
const RESIZE_EVENT = 1;

/** The attach socket conmon creates in the bundle with `--full-attach`. */
export function attachSocketPath(bundle: string): string {
  return path.join(bundle, "attach");
}

/** The terminal-control fifo conmon creates in the bundle. */
export function controlFifoPath(bundle: string): string {
  return path.join(bundle, "ctl");
}

/** conmon's resize line: message type, rows, columns. */
export function resizeMessage(size: TerminalSize): string {
  const ok = (n: number) => Number.isInteger(n) && n > 0 && n <= 0xffff;
  if (!ok(size.width) || !ok(size.height)) {
    throw new InvalidArgError(
      `invalid terminal size ${size.height}x${size.width}: height and width must be integers from 1 to 65535`,
    );
  }
  return `${RESIZE_EVENT} ${size.height} ${size.width}\n`;
}

const notRunning = (id: string, cause: unknown) =>
  new CtrStateInvalidError(`container ${id} has no running monitor to attach to`, { cause });

/**
 * Connects to conmon's attach socket. Paths under a berth root easily pass the
 * 108 bytes a socket address holds, so the socket is reached through an
 * O_PATH descriptor's /proc entry, as Podman does. Rejects with
 * CtrStateInvalidError when conmon is gone (no socket, or nobody listening).
 */
export async function openAttachSession(
  id: string,
  socketPath: string,
  signal?: AbortSignal,
): Promise<AttachSession> {
  throwIfAborted(signal);
  const handle = await open(socketPath, O_PATH).catch((err: unknown) => {
    throw errnoCode(err) === "ENOENT" ? notRunning(id, err) : err;
  });
  try {
    const socket = new SeqpacketSocket();
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => {
        signal?.removeEventListener("abort", onAbort);
        socket.destroy();
        reject(
          err instanceof Error && /refused|no such file/i.test(err.message)
            ? notRunning(id, err)
            : new OciRuntimeError(`attach to container ${id}: ${String(err)}`, { cause: err }),
        );
      };
      const onAbort = () => fail(abortReason(signal as AbortSignal));
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", fail);
      socket.once("connect", () => {
        signal?.removeEventListener("abort", onAbort);
        socket.off("error", fail);
        resolve();
      });
      try {
        socket.connect(`/proc/self/fd/${handle.fd}`);
      } catch (err) {
        fail(err);
      }
    });
    return new ConmonAttachSession(socket);
  } finally {
    await handle.close();
  }
}

/**
 * Writes one resize request to conmon's control fifo. Non-blocking: with no
 * conmon reading, the open fails (ENXIO) instead of waiting forever.
 */
export async function writeResize(id: string, fifo: string, size: TerminalSize): Promise<void> {
  const message = resizeMessage(size);
  const handle = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(
    (err: unknown) => {
      const code = errnoCode(err);
      throw code === "ENOENT" || code === "ENXIO" ? notRunning(id, err) : err;
    },
  );
  try {
    await handle.write(message);
  } finally {
    await handle.close();
  }
}

/** An AttachSession over a connected SeqpacketSocket. */
class ConmonAttachSession implements AttachSession {
  private readonly queue: AttachChunk[] = [];
  private wake: (() => void) | undefined;
  private done = false;
  private failure: Error | undefined;
  private markClosed: () => void = () => undefined;
  /** Settles when the session ends; a write pending then will never be called back. */
  private readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(private readonly socket: SeqpacketSocket) {
    socket.on("data", (packet: Buffer) => {
      const chunk = decodeConmonPacket(packet);
      if (chunk) this.push(chunk);
    });
    // conmon closes every client once the container exited and its output is drained.
    socket.on("end", () => this.finish());
    socket.on("close", () => this.finish());
    socket.on("error", (err: Error) => this.finish(err));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AttachChunk> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async write(data: Uint8Array): Promise<void> {
    for (const packet of stdinPackets(data)) {
      if (this.done) return;
      const written = new Promise<void>((resolve) =>
        this.socket.write(packet, 0, packet.length, () => resolve()),
      );
      await Promise.race([written, this.closed]);
    }
  }

  endInput(): void {
    if (!this.done) this.socket.end();
  }

  close(): void {
    this.finish();
  }

  private push(chunk: AttachChunk) {
    this.queue.push(chunk);
    this.notify();
  }

  private finish(err?: Error) {
    if (err && !this.done) this.failure = err;
    if (!this.done) {
      this.done = true;
      this.socket.destroy();
      this.markClosed();
    }
    this.notify();
  }

  private notify() {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
