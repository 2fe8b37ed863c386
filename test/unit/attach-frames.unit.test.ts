import { describe, expect, it } from "vitest";
import { MuxDecoder, muxFrame } from "../../src/client/index.js";
import {
  CONMON_PIPE,
  decodeConmonPacket,
  STDIN_PACKET_MAX,
  stdinPackets,
} from "../../src/effects/attach-frames.js";

describe("conmon attach packets", () => {
  it("uses conmon's stdpipe_t numbers: stdout 2, stderr 3", () => {
    expect(CONMON_PIPE).toEqual({ stdin: 1, stdout: 2, stderr: 3 });
  });

  it("reads the first byte as the pipe and the rest as the output", () => {
    expect(decodeConmonPacket(Buffer.from("\x02hi\n"))).toEqual({
      stream: "stdout",
      data: Buffer.from("hi\n"),
    });
    expect(decodeConmonPacket(Buffer.from("\x03oops"))).toEqual({
      stream: "stderr",
      data: Buffer.from("oops"),
    });
  });

  it("ignores empty packets and pipes it does not know", () => {
    expect(decodeConmonPacket(Buffer.of())).toBeUndefined();
    expect(decodeConmonPacket(Buffer.of(2))).toBeUndefined();
    expect(decodeConmonPacket(Buffer.from("\x01in"))).toBeUndefined();
    expect(decodeConmonPacket(Buffer.from("\x07??"))).toBeUndefined();
  });

  it("cuts stdin into packets conmon reads whole, in order, and never sends an empty one", () => {
    const data = Buffer.alloc(2 * STDIN_PACKET_MAX + 100, 7);
    const packets = stdinPackets(data);
    expect(packets.map((p) => p.length)).toEqual([STDIN_PACKET_MAX, STDIN_PACKET_MAX, 100]);
    expect(Buffer.concat(packets)).toEqual(data);
    expect(stdinPackets(Buffer.of())).toEqual([]);
  });
});

describe("multiplexed attach frames", () => {
  it("start with the stream byte, three zeros and the big-endian payload length", () => {
    expect(muxFrame("stdout", Buffer.from("hi\n"))).toEqual(
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 3, 0x68, 0x69, 0x0a]),
    );
    expect(muxFrame("stderr", Buffer.alloc(258, 0x61)).subarray(0, 8)).toEqual(
      Buffer.from([2, 0, 0, 0, 0, 0, 1, 2]),
    );
    expect(muxFrame("stdin", Buffer.of())).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]));
  });

  it("decode back from chunks cut anywhere, headers and payloads included", () => {
    const stream = Buffer.concat([
      muxFrame("stdout", Buffer.from("out\n")),
      muxFrame("stderr", Buffer.from("err\n")),
      muxFrame("stdout", Buffer.from("more")),
    ]);
    for (let cut = 1; cut < stream.length; cut++) {
      const decoder = new MuxDecoder();
      const frames = [
        ...decoder.push(stream.subarray(0, cut)),
        ...decoder.push(stream.subarray(cut)),
      ];
      expect(frames.map((f) => [f.stream, f.data.toString()])).toEqual([
        ["stdout", "out\n"],
        ["stderr", "err\n"],
        ["stdout", "more"],
      ]);
      expect(decoder.buffered).toBe(0);
    }
  });

  it("keep an incomplete frame until the rest arrives", () => {
    const decoder = new MuxDecoder();
    expect(decoder.push(muxFrame("stdout", Buffer.from("abcdef")).subarray(0, 10))).toEqual([]);
    expect(decoder.buffered).toBe(10);
  });

  it("refuse a stream byte other than 0, 1 or 2", () => {
    expect(() => new MuxDecoder().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0x61]))).toThrow(
      /stream byte 9/,
    );
  });
});
