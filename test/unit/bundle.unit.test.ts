import { describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import { ociSpec } from "../../src/effects/bundle.js";
import type { OciSeccomp } from "../../src/effects/seccomp-profile.js";
import type { ContainerSpec } from "../../src/effects/types.js";
import { DEFAULT_SANDBOX } from "../../src/machines/index.js";

const spec: ContainerSpec = {
  id: "0123456789abcdef".repeat(4),
  name: "web",
  image: "busybox",
  command: ["sh", "-c", "echo hi"],
  stopSignal: "SIGTERM",
  stopTimeout: 10,
  terminal: false,
  stdin: false,
  sandbox: DEFAULT_SANDBOX,
};

/** A stand-in filter: ociSpec only places it. */
const filter: OciSeccomp = {
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 38,
  architectures: ["SCMP_ARCH_X86_64"],
  syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }],
};

describe("ociSpec", () => {
  const oci = ociSpec(spec, "/r/containers/x/merged", filter);

  it("sets NOFILE and the pids limit of the default sandbox, and applies the seccomp filter", () => {
    expect(oci.process.rlimits).toEqual([{ type: "RLIMIT_NOFILE", soft: 1024, hard: 1024 }]);
    expect(oci.linux.resources.pids).toEqual({ limit: 2048 });
    expect(oci.linux.seccomp).toEqual(filter);
  });

  it("leaves out the filter, the pids limit and rlimits when the sandbox relaxes them", () => {
    const relaxed = ociSpec(
      { ...spec, sandbox: { seccomp: "unconfined", pidsLimit: 0, rlimits: {} } },
      "/r/m",
      filter,
    );
    expect(relaxed.linux).not.toHaveProperty("seccomp");
    expect(relaxed.linux.resources).not.toHaveProperty("pids");
    expect(relaxed.process).not.toHaveProperty("rlimits");
  });

  it("runs a container created before sandboxes existed as it ran then, with no filter or limits", () => {
    const { sandbox: _, ...old } = spec;
    const legacy = ociSpec(old, "/r/m", filter);
    expect(legacy.linux).not.toHaveProperty("seccomp");
    expect(legacy.linux.resources).not.toHaveProperty("pids");
    expect(legacy.process).not.toHaveProperty("rlimits");
  });

  it("refuses a default sandbox without a seccomp filter rather than run unconfined", () => {
    expect(() => ociSpec(spec, "/r/m")).toThrow(InvalidArgError);
  });

  it("masks and write-protects at least the paths Podman 4.3 does", () => {
    const podmanMasked = [
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/fs/selinux",
      "/sys/dev/block",
    ];
    const podmanReadonly = [
      "/proc/bus",
      "/proc/fs",
      "/proc/irq",
      "/proc/sys",
      "/proc/sysrq-trigger",
    ];
    expect(oci.linux.maskedPaths).toEqual(expect.arrayContaining(podmanMasked));
    expect(oci.linux.readonlyPaths).toEqual(expect.arrayContaining(podmanReadonly));
    // Podman makes /proc/asound read-only; berth hides it, which is stricter.
    expect(oci.linux.maskedPaths).toContain("/proc/asound");
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
    expect(ociSpec({ ...spec, terminal: true }, "/r/m", filter).process.terminal).toBe(true);
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
    const other = ociSpec(spec, "/r/other", filter);
    devOptions(other)?.push("exec");
    other.process.capabilities.bounding.push("CAP_SYS_ADMIN");
    const again = ociSpec(spec, "/r/again", filter);
    expect(devOptions(again)).not.toContain("exec");
    expect(again.process.capabilities.bounding).not.toContain("CAP_SYS_ADMIN");
  });

  it("rejects an empty command and a relative rootfs", () => {
    expect(() => ociSpec({ ...spec, command: [] }, "/r", filter)).toThrow(InvalidArgError);
    expect(() => ociSpec(spec, "relative", filter)).toThrow(InvalidArgError);
  });
});
