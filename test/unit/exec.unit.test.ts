/**
 * The pure parts of exec: the session's process spec, conmon's command line,
 * Podman's exit codes for a command runc could not run, and the checks on a
 * request before anything is journaled.
 */
import { describe, expect, it } from "vitest";
import {
  execConmonArgs,
  execFailureCode,
  execProcessSpec,
  mergeEnv,
  type OciSpec,
} from "../../src/effects/index.js";
import { execPaths } from "../../src/effects/exec-conmon.js";
import { checkExecRequest } from "../../src/service/exec-config.js";

const base: OciSpec["process"] = {
  terminal: false,
  user: { uid: 0, gid: 0 },
  args: ["sleep", "1000"],
  env: ["PATH=/bin", "HOME=/root"],
  cwd: "/srv",
  capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] },
  noNewPrivileges: true,
};

describe("an exec session's process", () => {
  it("replaces a variable the container has in place and appends new ones", () => {
    expect(mergeEnv(["PATH=/bin", "HOME=/root"], ["HOME=/tmp", "X=1", "X=2"])).toEqual([
      "PATH=/bin",
      "HOME=/tmp",
      "X=2",
    ]);
  });

  it("keeps the container's capabilities and limits and replaces command, cwd, user and terminal", () => {
    const spec = execProcessSpec(base, {
      command: ["id"],
      env: ["A=b"],
      workingDir: "/tmp",
      user: { uid: 65534, gid: 65534, additionalGids: [] },
      tty: true,
    });
    expect(spec).toEqual({
      ...base,
      terminal: true,
      args: ["id"],
      env: ["PATH=/bin", "HOME=/root", "A=b"],
      cwd: "/tmp",
      user: { uid: 65534, gid: 65534 },
    });
  });

  it("runs as the container's user in its folder when the exec names neither", () => {
    const spec = execProcessSpec(base, { command: ["true"], env: [], tty: false });
    expect(spec.user).toEqual(base.user);
    expect(spec.cwd).toBe("/srv");
  });
});

describe("conmon for an exec", () => {
  const paths = execPaths("/r/containers/c/exec/s");
  const args = execConmonArgs({
    conmonPath: "/usr/bin/conmon",
    runcPath: "/usr/sbin/runc",
    runcRoot: "/r/runc",
    containerId: "c",
    containerName: "web",
    sessionId: "s",
    socketDir: "/r/sockets",
    paths,
    tty: false,
    stdin: true,
    attach: true,
  });

  it("names the container with -c, the session with -u and the process spec after --exec", () => {
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after("-c")).toBe("c");
    expect(after("-u")).toBe("s");
    expect(after("-b")).toBe(paths.dir);
    expect(after("--exit-dir")).toBe(paths.exitDir);
    expect(after("--exec-process-spec")).toBe(paths.processFile);
    expect(args).toContain("--exec-attach");
    expect(args).toContain("-i");
    expect(args).not.toContain("-t");
  });
});

describe("Podman's exit codes for a command that cannot run", () => {
  it.each([
    ['exec: "nosuchcmd": executable file not found in $PATH', 127],
    ["exec: /nope: no such file or directory", 127],
    ["exec: /etc/passwd: permission denied", 126],
    ["something else entirely", 126],
  ])("%s gives %i", (message, code) => {
    expect(execFailureCode(message)).toBe(code);
  });
});

describe("an exec request", () => {
  it.each([
    [{ command: [] }, /non-empty command/],
    [{ command: [""] }, /non-empty command/],
    [{ command: ["true"], env: ["=x"] }, /invalid env entry/],
    [{ command: ["true"], env: ["NOEQUALS"] }, /invalid env entry/],
    [{ command: ["true"], workingDir: "tmp" }, /absolute/],
    [{ command: ["a\0b"] }, /NUL/],
    [{ command: ["true"], detach: true, stdin: true }, /stdin/],
    [{ command: ["x".repeat(300 * 1024)] }, /bytes/],
    [{ command: Array.from({ length: 5000 }, () => "a") }, /arguments/],
  ])("%j is refused", (req, message) => {
    expect(() => checkExecRequest(req)).toThrow(message);
  });

  it("accepts a command with env, user, folder and a terminal", () => {
    expect(() =>
      checkExecRequest({
        command: ["sh"],
        env: ["A=b=c", "EMPTY="],
        user: "nobody:nogroup",
        workingDir: "/",
        tty: true,
        detach: true,
      }),
    ).not.toThrow();
  });
});
