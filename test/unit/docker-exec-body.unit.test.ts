import { describe, expect, it } from "vitest";
import { dockerExecConfig, dockerExecStart } from "../../src/docker/exec-body.js";
import { InvalidArgError } from "../../src/errors.js";

/** What the docker CLI sends for `docker exec -e A=1 -w /tmp c sh -c 'echo $A'`. */
const cliBody = {
  User: "",
  Privileged: false,
  Tty: false,
  ConsoleSize: [0, 0],
  AttachStdin: false,
  AttachStderr: true,
  AttachStdout: true,
  Detach: false,
  DetachKeys: "",
  Env: ["A=1"],
  WorkingDir: "/tmp",
  Cmd: ["sh", "-c", "echo $A"],
};

describe("the Docker exec create body", () => {
  it("reads the CLI's body, skipping its zero fields", () => {
    expect(dockerExecConfig(cliBody)).toEqual({
      command: ["sh", "-c", "echo $A"],
      env: ["A=1"],
      workingDir: "/tmp",
      tty: false,
      attachStdin: false,
      attachStdout: true,
      attachStderr: true,
    });
  });

  it("keeps a console size, user and detach keys that ask for something", () => {
    const c = dockerExecConfig({
      ...cliBody,
      Tty: true,
      ConsoleSize: [24, 80],
      User: "nobody",
      DetachKeys: "ctrl-a",
    });
    expect(c).toMatchObject({
      tty: true,
      consoleSize: { height: 24, width: 80 },
      user: "nobody",
      detachKeys: "ctrl-a",
    });
  });

  it("refuses a missing command in dockerd's words", () => {
    expect(() => dockerExecConfig({ ...cliBody, Cmd: [] })).toThrow("No exec command specified");
    expect(() => dockerExecConfig({})).toThrow(InvalidArgError);
  });

  it("refuses what berth cannot honour or read, naming the field", () => {
    expect(() => dockerExecConfig({ ...cliBody, Privileged: true })).toThrow(/Privileged/);
    expect(() => dockerExecConfig({ ...cliBody, Cmd: "echo hi" })).toThrow(/Cmd/);
    expect(() => dockerExecConfig({ ...cliBody, Tty: "yes" })).toThrow(/Tty/);
    expect(() => dockerExecConfig({ ...cliBody, ConsoleSize: [24] })).toThrow(/ConsoleSize/);
    expect(() => dockerExecConfig({ ...cliBody, DetachKeys: "ctrl-" })).toThrow(/DetachKeys/);
    expect(() => dockerExecConfig([])).toThrow(InvalidArgError);
  });
});

describe("the Docker exec start body", () => {
  it("reads Detach, defaulting to attached", () => {
    expect(dockerExecStart({ Detach: true, Tty: false })).toEqual({ detach: true });
    expect(dockerExecStart({})).toEqual({ detach: false });
  });

  it("refuses a Detach that is not a boolean", () => {
    expect(() => dockerExecStart({ Detach: "1" })).toThrow(InvalidArgError);
  });
});
