import { describe, expect, it } from "vitest";
import { conmonArgs } from "../../src/effects/conmon.js";
import { containerPaths, layout } from "../../src/effects/paths.js";

describe("conmonArgs", () => {
  const l = layout("/r");
  const options = {
    conmonPath: "/usr/bin/conmon",
    runcPath: "/usr/sbin/runc",
    runcRoot: l.runc,
    id: "abc",
    name: "web",
    paths: containerPaths(l, "abc"),
    exitDir: l.exits,
    socketDir: l.sockets,
  };
  const args = conmonArgs(options);
  const valueOf = (flag: string) => args[args.indexOf(flag) + 1];

  it("passes the ids, runtime, bundle, pid files and k8s-file log", () => {
    expect(valueOf("-c")).toBe("abc");
    expect(valueOf("-u")).toBe("abc");
    expect(valueOf("-n")).toBe("web");
    expect(valueOf("-r")).toBe("/usr/sbin/runc");
    expect(valueOf("-b")).toBe("/r/containers/abc/bundle");
    expect(valueOf("-p")).toBe("/r/containers/abc/pidfile");
    expect(valueOf("-P")).toBe("/r/containers/abc/conmon.pid");
    expect(valueOf("-l")).toBe("k8s-file:/r/containers/abc/ctr.log");
    expect(valueOf("--exit-dir")).toBe("/r/exits");
    expect(valueOf("--persist-dir")).toBe("/r/containers/abc/persist");
  });

  it("bounds the log file only when given a size", () => {
    expect(args).not.toContain("--log-size-max");
    const bounded = conmonArgs({ ...options, logSizeMax: 1_048_576 });
    expect(bounded[bounded.indexOf("--log-size-max") + 1]).toBe("1048576");
  });

  it("points runc at berth's root and a JSON error log", () => {
    const runtimeArgs = args.flatMap((a, i) => (a === "--runtime-arg" ? [args[i + 1]] : []));
    expect(runtimeArgs).toEqual([
      "--root",
      "/r/runc",
      "--log-format=json",
      "--log",
      "/r/containers/abc/runc.log",
    ]);
  });

  it("does not ask for the systemd cgroup manager", () => {
    expect(args).not.toContain("-s");
    expect(args).not.toContain("--systemd-cgroup");
  });

  it("keeps stdin open with -i, and gives a terminal -t alone, as Podman does", () => {
    expect(args).not.toContain("-i");
    expect(args).not.toContain("-t");
    expect(conmonArgs({ ...options, stdin: true })).toContain("-i");
    const tty = conmonArgs({ ...options, terminal: true, stdin: true });
    expect(tty).toContain("-t");
    expect(tty).not.toContain("-i");
  });
});
