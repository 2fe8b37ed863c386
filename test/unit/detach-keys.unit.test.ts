import { describe, expect, it } from "vitest";
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from "../../src/client/index.js";
import { InvalidArgError } from "../../src/errors.js";

const CTRL_P = 0x10;
const CTRL_Q = 0x11;
const bytes = (...b: (number | string)[]) =>
  Buffer.concat(b.map((x) => (typeof x === "number" ? Buffer.of(x) : Buffer.from(x))));

describe("parseDetachKeys", () => {
  it("reads the default ctrl-p,ctrl-q as bytes 16 and 17", () => {
    expect([...parseDetachKeys(DEFAULT_DETACH_KEYS)]).toEqual([CTRL_P, CTRL_Q]);
  });

  it("spells every control key from ctrl-@ to ctrl-_ and single characters as themselves", () => {
    expect([
      ...parseDetachKeys("ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"),
    ]).toEqual([0, 1, 26, 27, 28, 29, 30, 31]);
    expect([...parseDetachKeys("a,Z,~,DEL")]).toEqual([0x61, 0x5a, 0x7e, 0x7f]);
    expect([...parseDetachKeys("ctrl-X")]).toEqual([24]);
  });

  it("turns detaching off for an empty spec", () => {
    expect(parseDetachKeys("")).toHaveLength(0);
  });

  it("refuses keys it cannot spell with InvalidArgError naming the key", () => {
    expect(() => parseDetachKeys("ctrl-p,alt-q")).toThrow(InvalidArgError);
    expect(() => parseDetachKeys("ctrl-p,alt-q")).toThrow(/"alt-q"/);
    expect(() => parseDetachKeys("ctrl-1")).toThrow(InvalidArgError);
    expect(() => parseDetachKeys("ctrl-p,")).toThrow(InvalidArgError);
  });
});

describe("DetachScanner", () => {
  const scanner = () => new DetachScanner(parseDetachKeys(DEFAULT_DETACH_KEYS));

  it("passes input without the first key through untouched", () => {
    expect(scanner().push(bytes("hello\n"))).toEqual({
      forward: bytes("hello\n"),
      detached: false,
    });
  });

  it("detaches on the sequence and forwards only what came before it", () => {
    expect(scanner().push(bytes("ls", CTRL_P, CTRL_Q, "dropped"))).toEqual({
      forward: bytes("ls"),
      detached: true,
    });
  });

  it("detaches on a sequence split across reads, holding the first key back meanwhile", () => {
    const s = scanner();
    expect(s.push(bytes("a", CTRL_P))).toEqual({ forward: bytes("a"), detached: false });
    expect(s.push(bytes(CTRL_Q))).toEqual({ forward: bytes(), detached: true });
  });

  it("releases a held key when the next byte does not continue the sequence", () => {
    const s = scanner();
    expect(s.push(bytes(CTRL_P)).forward).toEqual(bytes());
    expect(s.push(bytes("x"))).toEqual({ forward: bytes(CTRL_P, "x"), detached: false });
  });

  it("treats a repeated first key as a fresh start of the sequence", () => {
    const s = scanner();
    expect(s.push(bytes(CTRL_P, CTRL_P))).toEqual({ forward: bytes(CTRL_P), detached: false });
    expect(s.push(bytes(CTRL_Q)).detached).toBe(true);
  });

  it("finds a sequence whose own prefix repeats inside it", () => {
    const s = new DetachScanner(Uint8Array.from(Buffer.from("aab")));
    expect(s.push(bytes("aaab"))).toEqual({ forward: bytes("a"), detached: true });
  });

  it("hands held bytes back on flush, for the end of input", () => {
    const s = scanner();
    s.push(bytes("q", CTRL_P));
    expect(s.flush()).toEqual(bytes(CTRL_P));
    expect(s.flush()).toEqual(bytes());
  });

  it("never detaches with no keys", () => {
    const s = new DetachScanner(new Uint8Array(0));
    expect(s.push(bytes(CTRL_P, CTRL_Q))).toEqual({
      forward: bytes(CTRL_P, CTRL_Q),
      detached: false,
    });
  });
});
