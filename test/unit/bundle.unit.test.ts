import { describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import { ociSpec } from "../../src/effects/bundle.js";
import type { ContainerSpec } from "../../src/effects/types.js";

const spec: ContainerSpec = {
  id: "0123456789abcdef".repeat(4),
  name: "web",
  image: "busybox",
  command: ["sh", "-c", "echo hi"],
  stopSignal: "SIGTERM",
  stopTimeout: 10,
  terminal: false,
  stdin: false,
};

describe("ociSpec", () => {
  const oci = ociSpec(spec, "/r/containers/x/merged");

  it("has no rlimits, since runc fails on any above the host's hard limit", () => {
    expect(oci.process).not.toHaveProperty("rlimits");
    expect(JSON.stringify(oci)).not.toContain("RLIMIT");
  });

  it("runs the command as root in / with PATH and TERM set", () => {
    expect(oci.process.args).toEqual(["sh", "-c", "echo hi"]);
    expect(oci.process.env).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm",
    ]);
    expect(oci.process.cwd).toBe("/");
    expect(oci.process.user).toEqual({ uid: 0, gid: 0 });
    expect(oci.process.terminal).toBe(false);
    expect(oci.process.noNewPrivileges).toBe(true);
  });

  it("asks runc for a terminal only when the container has one", () => {
    expect(ociSpec({ ...spec, terminal: true }, "/r/m").process.terminal).toBe(true);
  });

  it("roots the container at the overlay mount and names the host after the id", () => {
    expect(oci.root).toEqual({ path: "/r/containers/x/merged", readonly: false });
    expect(oci.hostname).toBe("0123456789ab");
  });

  it("isolates pid, ipc, uts, mount and network and mounts /sys read-only", () => {
    expect(oci.linux.namespaces.map((n) => n.type).sort()).toEqual(
      ["ipc", "mount", "network", "pid", "uts"].sort(),
    );
    const sys = oci.mounts.find((m) => m.destination === "/sys");
    expect(sys?.options).toContain("ro");
    expect(oci.mounts.map((m) => m.destination)).toEqual(
      expect.arrayContaining(["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"]),
    );
    expect(oci.linux.maskedPaths).toContain("/proc/kcore");
    expect(oci.linux.readonlyPaths).toContain("/proc/sys");
  });

  it("grants a limited capability set without CAP_SYS_ADMIN", () => {
    expect(oci.process.capabilities.bounding).toContain("CAP_KILL");
    expect(oci.process.capabilities.bounding).not.toContain("CAP_SYS_ADMIN");
  });

  it("does not share arrays between specs", () => {
    const devOptions = (s: ReturnType<typeof ociSpec>) =>
      s.mounts.find((m) => m.destination === "/dev")?.options;
    const other = ociSpec(spec, "/r/other");
    devOptions(other)?.push("exec");
    other.process.capabilities.bounding.push("CAP_SYS_ADMIN");
    const again = ociSpec(spec, "/r/again");
    expect(devOptions(again)).not.toContain("exec");
    expect(again.process.capabilities.bounding).not.toContain("CAP_SYS_ADMIN");
  });

  it("rejects an empty command and a relative rootfs", () => {
    expect(() => ociSpec({ ...spec, command: [] }, "/r")).toThrow(InvalidArgError);
    expect(() => ociSpec(spec, "relative")).toThrow(InvalidArgError);
  });
});
