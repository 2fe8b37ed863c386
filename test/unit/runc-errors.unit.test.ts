import { describe, expect, it } from "vitest";
import {
  CommandNotExecutableError,
  CommandNotFoundError,
  CtrStateInvalidError,
  CtrStoppedError,
  InvalidArgError,
  NoSuchCtrError,
  OciRuntimeError,
} from "../../src/errors.js";
import { createError, runcError, runcMessages } from "../../src/effects/runc-errors.js";

const logrus = (msg: string) => `time="2026-11-28T14:23:49Z" level=error msg="${msg}"\n`;

describe("runcError", () => {
  it.each([
    ["container does not exist", NoSuchCtrError],
    ["container not running", CtrStoppedError],
    ["cannot start a container that has stopped", CtrStoppedError],
    ["container not paused", CtrStateInvalidError],
    ["cannot start an already running container", CtrStateInvalidError],
    ['unknown signal \\"BOGUS\\"', InvalidArgError],
    ["open /sys/fs/cgroup/freezer/x: permission denied", OciRuntimeError],
  ])("maps %j to %s", (msg, type) => {
    expect(runcError(logrus(msg), "pause", "abc")).toBeInstanceOf(type);
  });

  it("carries the operation, the id and runc's own words", () => {
    const err = runcError(logrus("container not paused"), "resume", "abc");
    expect(err.message).toBe("runc resume abc: container not paused");
  });

  it("reads JSON log lines and unescapes quotes", () => {
    const json = '{"level":"error","msg":"exec: \\"/x\\": no such file","time":"t"}\n';
    expect(runcMessages(json)).toEqual(['exec: "/x": no such file']);
    expect(runcMessages(logrus('unknown signal \\"X\\"'))).toEqual(['unknown signal "X"']);
  });

  it("still gives a message when runc printed nothing", () => {
    expect(runcError("", "start", "abc").message).toContain("without a message");
  });
});

describe("createError", () => {
  it.each([
    ['exec: "nosuchcmd": executable file not found in $PATH', CommandNotFoundError],
    ['exec: "/nope": stat /nope: no such file or directory', CommandNotFoundError],
    ['exec: "/etc/passwd": permission denied', CommandNotExecutableError],
    ['exec: "/etc": is a directory', CommandNotExecutableError],
    ["mount /x: no such file or directory", OciRuntimeError],
  ])("reads a failed create saying %j as %s", (msg, type) => {
    const err = createError(`create container abc: runc create failed: ${msg}`);
    expect(err).toBeInstanceOf(type);
    expect(err.message).toContain(msg);
  });
});
