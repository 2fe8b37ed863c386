import { describe, expect, it } from "vitest";
import { attachOptions, requiredTerminalSize } from "../../src/api/attach-options.js";
import { InvalidArgError } from "../../src/errors.js";

const parse = (query: string) => attachOptions(new URLSearchParams(query));

describe("attachOptions", () => {
  it("streams all three stdio streams without logs by default, detaching on ctrl-p,ctrl-q", () => {
    expect(parse("")).toEqual({
      stream: true,
      logs: false,
      stdin: true,
      stdout: true,
      stderr: true,
      detachKeys: Uint8Array.from([0x10, 0x11]),
      start: false,
      size: undefined,
    });
  });

  it("carries only the streams named once any is named", () => {
    expect(parse("stdout=1&stderr=true")).toMatchObject({
      stdin: false,
      stdout: true,
      stderr: true,
    });
    expect(parse("stdin=1")).toMatchObject({ stdin: true, stdout: false, stderr: false });
  });

  it("reads start, logs, the detach keys and the terminal size", () => {
    expect(parse("start=1&logs=1&stream=0&detachKeys=ctrl-a,d&h=24&w=80")).toMatchObject({
      start: true,
      logs: true,
      stream: false,
      detachKeys: Uint8Array.from([1, 0x64]),
      size: { height: 24, width: 80 },
    });
  });

  it("refuses a flag that is not a boolean, bad detach keys, and half or bad sizes", () => {
    for (const bad of ["stream=yes", "detachKeys=meta-x", "h=24", "h=0&w=80", "h=24&w=8x"]) {
      expect(() => parse(bad), bad).toThrow(InvalidArgError);
    }
  });

  it("requires a size where resizing is the point", () => {
    expect(() => requiredTerminalSize(new URLSearchParams(""))).toThrow(InvalidArgError);
    expect(requiredTerminalSize(new URLSearchParams("h=1&w=2"))).toEqual({ height: 1, width: 2 });
  });
});
