/**
 * The attach stream of the Docker and Podman APIs. A container with a terminal
 * streams raw bytes. Without one, stdout and stderr share the connection, so
 * every frame starts with an 8-byte header: the stream (0 stdin, 1 stdout,
 * 2 stderr), three zero bytes, and the payload length as a big-endian uint32.
 */

/** Content type of an attach stream with a terminal: raw bytes. */
export const RAW_STREAM = "application/vnd.docker.raw-stream";
/** Content type of an attach stream without a terminal: framed stdout and stderr. */
export const MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream";

export type MuxStream = "stdin" | "stdout" | "stderr";

/** The stream byte of a frame header. */
export const MUX_STREAM_ID: Record<MuxStream, number> = { stdin: 0, stdout: 1, stderr: 2 };
const STREAM_OF_ID: readonly MuxStream[] = ["stdin", "stdout", "stderr"];

export const MUX_HEADER_SIZE = 8;
const MAX_FRAME = 0xffff_ffff;

/** One frame of a multiplexed stream. */
export interface MuxFrame {
  stream: MuxStream;
  data: Buffer;
}

/** `data` as one frame (header then payload). */
export function muxFrame(stream: MuxStream, data: Uint8Array): Buffer {
  if (data.length > MAX_FRAME) throw new RangeError(`frame of ${data.length} bytes is too long`);
  const header = Buffer.alloc(MUX_HEADER_SIZE);
  header[0] = MUX_STREAM_ID[stream];
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * Splits a multiplexed stream back into frames. Reads from a socket cut the
 * stream anywhere, so `push` keeps partial headers and payloads until the rest
 * arrives. A stream byte other than 0, 1 or 2 means the stream is not
 * multiplexed (or is corrupt) and throws, as nothing after it can be trusted.
 */
export class MuxDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** The frames completed by `chunk`, in order. */
  push(chunk: Uint8Array): MuxFrame[] {
    this.pending =
      this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: MuxFrame[] = [];
    let at = 0;
    while (this.pending.length - at >= MUX_HEADER_SIZE) {
      const id = this.pending[at] ?? -1;
      const stream = STREAM_OF_ID[id];
      if (!stream) throw new Error(`bad attach frame: stream byte ${id}`);
      const length = this.pending.readUInt32BE(at + 4);
      const end = at + MUX_HEADER_SIZE + length;
      if (end > this.pending.length) break;
      frames.push({ stream, data: this.pending.subarray(at + MUX_HEADER_SIZE, end) });
      at = end;
    }
    this.pending = this.pending.subarray(at);
    return frames;
  }

  /** Bytes of an incomplete frame still held; non-zero at the end of a stream means it was cut. */
  get buffered(): number {
    return this.pending.length;
  }
}
