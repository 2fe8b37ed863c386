/**
 * The wire format of conmon's attach socket (SOCK_SEQPACKET, so message
 * boundaries survive). conmon sends each read from the container's stdout or
 * stderr as one packet whose first byte names the pipe (its `stdpipe_t`:
 * 1 stdin, 2 stdout, 3 stderr); a client sends raw stdin bytes, one packet per
 * write, and a zero-length read on conmon's side means the client is gone.
 */
import type { AttachChunk } from "./types.js";

/** conmon's `stdpipe_t` values, the first byte of each packet it sends. */
export const CONMON_PIPE = { stdin: 1, stdout: 2, stderr: 3 } as const;

/**
 * The largest stdin packet berth sends. conmon receives at most
 * CONN_SOCK_BUF_SIZE - 1 (32767) bytes per packet and drops the rest of a
 * longer one, so bigger writes are split; 8 KiB matches its stdio buffer.
 */
export const STDIN_PACKET_MAX = 8192;

/**
 * The output chunk carried by one packet from conmon, or undefined for a
 * packet that carries none (empty, or a pipe byte berth does not know).
 */
export function decodeConmonPacket(packet: Uint8Array): AttachChunk | undefined {
  if (packet.length < 2) return undefined;
  const stream =
    packet[0] === CONMON_PIPE.stdout
      ? "stdout"
      : packet[0] === CONMON_PIPE.stderr
        ? "stderr"
        : undefined;
  if (!stream) return undefined;
  return { stream, data: Buffer.from(packet.buffer, packet.byteOffset + 1, packet.length - 1) };
}

/**
 * `data` cut into packets conmon reads whole. Never yields an empty packet:
 * conmon would read it as the client closing, and close the container's stdin.
 */
export function stdinPackets(data: Uint8Array, max = STDIN_PACKET_MAX): Buffer[] {
  const packets: Buffer[] = [];
  for (let at = 0; at < data.length; at += max) {
    packets.push(Buffer.from(data.buffer, data.byteOffset + at, Math.min(max, data.length - at)));
  }
  return packets;
}
