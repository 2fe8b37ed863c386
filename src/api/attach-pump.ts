/**
 * Moves bytes between an attached client and the container once the stream is
 * open: the log replay first if asked, then live output (raw for a terminal,
 * framed otherwise), while client input goes to the container's stdin through
 * the detach-key scanner.
 */
import type { Readable, Writable } from "node:stream";
import type { AttachSession, LogLine } from "../effects/index.js";
import type { AttachOptions } from "./attach-options.js";
import type { OpenedAttach } from "./attach-open.js";
import { DetachScanner, muxFrame } from "../client/index.js";

/** The client's side of the stream. */
export interface AttachIo {
  /** Bytes from the client: the container's stdin. */
  input: Readable;
  /** Bytes the client sent right behind the request head (an upgrade's `head`). */
  head?: Buffer;
  /** Where the container's output goes. */
  output: Writable;
}

/**
 * How a stream ended: the container exited, the client detached or left, or
 * only logs were asked for.
 */
export type AttachEnd = "exited" | "detached" | "client-gone" | "logs-only";

/** Writes `data`, waiting out back-pressure; false once the client is gone. */
function writeTo(out: Writable, data: Buffer): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return Promise.resolve(false);
  if (out.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      out.off("drain", onDrain);
      out.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.once("drain", onDrain);
    out.once("close", onClose);
  });
}

/**
 * Feeds client input to the container until the client ends its input
 * ("eof"), types the detach keys ("detached") or goes away ("gone").
 */
async function pumpInput(
  io: AttachIo,
  session: AttachSession,
  keys: Uint8Array,
): Promise<"eof" | "detached" | "gone"> {
  const scanner = new DetachScanner(keys);
  const feed = async (data: Buffer) => {
    const { forward, detached } = scanner.push(data);
    if (forward.length > 0) await session.write(forward);
    return detached;
  };
  try {
    if (io.head && io.head.length > 0 && (await feed(io.head))) return "detached";
    // Not destroyed on return: after a detach the output side still has to be ended cleanly.
    for await (const data of io.input.iterator({ destroyOnReturn: false })) {
      if (await feed(data as Buffer)) return "detached";
    }
  } catch {
    return "gone";
  }
  const rest = scanner.flush();
  if (rest.length > 0) await session.write(rest);
  return "eof";
}

/**
 * Streams until the container exits, the client detaches, or the client goes
 * away; the container keeps running in the last two cases. Input reaches the
 * container only when it was created with stdin open and the client asked for
 * stdin; the client ending its input then closes the container's stdin. The
 * caller ends `output`.
 */
export async function pumpAttach(
  io: AttachIo,
  { record, session }: OpenedAttach,
  o: AttachOptions,
  readLogs: () => AsyncIterable<LogLine>,
): Promise<AttachEnd> {
  // A terminal has one stream and no framing; the stream selection does not apply to it.
  const send = (stream: "stdout" | "stderr", data: Buffer): Promise<boolean> =>
    record.terminal
      ? writeTo(io.output, data)
      : o[stream]
        ? writeTo(io.output, muxFrame(stream, data))
        : Promise.resolve(true);

  if (o.logs) {
    // As the seed does, each log line goes out with the newline the log format strips.
    // Streamed from the log file a line at a time, each sent before the next is read.
    for await (const line of readLogs()) {
      if (!(await send(line.stream, Buffer.from(`${line.text}\n`)))) break;
    }
  }
  if (!session) return "logs-only";

  // The first reason to stop wins; the socket closing after a detach is not news.
  let left: AttachEnd | undefined;
  const leave = (why: AttachEnd) => {
    left ??= why;
    session.close();
  };
  io.output.once("close", () => leave("client-gone"));
  if (o.stdin && record.stdin) {
    void pumpInput(io, session, o.detachKeys).then(
      (how) => {
        if (how === "detached") leave("detached");
        else if (how === "gone") leave("client-gone");
        else session.endInput();
      },
      () => leave("client-gone"),
    );
  } else {
    // Nothing the client sends is used, but it must be read for the connection to make progress.
    io.input.resume();
  }
  for await (const chunk of session) {
    if (!(await send(chunk.stream, chunk.data))) {
      leave("client-gone");
      break;
    }
  }
  return left ?? "exited";
}
