import { describe, expect, it } from "vitest";
import { configBody, parseEnvFile, splitConfigFlags } from "../../src/cli/config-flags.js";
import { ociSpec } from "../../src/effects/bundle.js";
import {
  ALL_CAPABILITIES,
  capabilitiesInMask,
  capabilityName,
  resolveCapabilities,
} from "../../src/effects/index.js";
import { DEFAULT_CAPABILITIES } from "../../src/effects/bundle.js";
import type { ContainerSpec } from "../../src/effects/types.js";
import { InvalidArgError } from "../../src/errors.js";
import { DEFAULT_SANDBOX } from "../../src/machines/index.js";
import {
  configFor,
  parseBytes,
  parseTmpfs,
  resourcesFor,
  type HostOffer,
} from "../../src/service/container-config.js";

const MiB = 1024 * 1024;
const host: HostOffer = { cpus: 2, capabilities: ALL_CAPABILITIES };

describe("parseBytes", () => {
  it("reads bytes with Podman's b, k, m and g suffixes, in powers of 1024, any case", () => {
    expect(parseBytes("512")).toBe(512);
    expect(parseBytes("512b")).toBe(512);
    expect(parseBytes("4k")).toBe(4096);
    expect(parseBytes("16m")).toBe(16 * MiB);
    expect(parseBytes("1G")).toBe(1024 * MiB);
    expect(parseBytes("1.5m")).toBe(1.5 * MiB);
    expect(parseBytes(1234)).toBe(1234);
  });

  it("refuses a sign, another unit, a missing number and fractions of a byte given as numbers", () => {
    for (const bad of ["-5", "1x", "m", "", "1 m", "1mb", "0x10", "1e3", "Infinity"]) {
      expect(() => parseBytes(bad), bad).toThrow(InvalidArgError);
    }
    expect(() => parseBytes(-1)).toThrow(InvalidArgError);
    expect(() => parseBytes(1.5)).toThrow(InvalidArgError);
  });
});

describe("resourcesFor", () => {
  it("gives as much swap as memory when --memory-swap is left out, as Docker documents", () => {
    expect(resourcesFor({ memory: "16m" }, 2)).toEqual({ memory: 16 * MiB, memorySwap: 32 * MiB });
  });

  it("takes --memory-swap -1 as unlimited and a size at least --memory", () => {
    expect(resourcesFor({ memory: "16m", memorySwap: -1 }, 2).memorySwap).toBe(-1);
    expect(resourcesFor({ memory: "16m", memorySwap: "-1" }, 2).memorySwap).toBe(-1);
    expect(resourcesFor({ memory: "16m", memorySwap: "16m" }, 2).memorySwap).toBe(16 * MiB);
    expect(() => resourcesFor({ memory: "16m", memorySwap: "8m" }, 2)).toThrow(/at least/);
    expect(() => resourcesFor({ memorySwap: "8m" }, 2)).toThrow(/needs --memory/);
  });

  it("refuses a memory limit below 6 MiB, which the runtime itself could not start in", () => {
    expect(() => resourcesFor({ memory: "5m" }, 2)).toThrow(InvalidArgError);
    expect(resourcesFor({ memory: "6m" }, 2).memory).toBe(6 * MiB);
  });

  it("turns --cpus into a quota per 100 ms period, from 0.01 to the host's CPUs", () => {
    expect(resourcesFor({ cpus: 0.5 }, 2)).toEqual({ cpuQuota: 50_000, cpuPeriod: 100_000 });
    expect(resourcesFor({ cpus: 0.01 }, 2).cpuQuota).toBe(1_000);
    expect(resourcesFor({ cpus: 2 }, 2).cpuQuota).toBe(200_000);
    for (const bad of [0, -1, 0.001, 2.5, Number.NaN, Infinity]) {
      expect(() => resourcesFor({ cpus: bad }, 2), String(bad)).toThrow(InvalidArgError);
    }
  });

  it("takes --cpu-shares within the kernel's bounds only", () => {
    expect(resourcesFor({ cpuShares: 512 }, 2)).toEqual({ cpuShares: 512 });
    for (const bad of [0, 1, 262_145, 1.5]) {
      expect(() => resourcesFor({ cpuShares: bad }, 2), String(bad)).toThrow(InvalidArgError);
    }
  });

  it("is empty when create sets no limit", () => {
    expect(resourcesFor({}, 2)).toEqual({});
  });
});

describe("parseTmpfs", () => {
  it("puts Podman's default options first and the given ones after", () => {
    expect(parseTmpfs("/scratch")).toEqual({
      destination: "/scratch",
      options: ["rw", "noexec", "nosuid", "nodev"],
    });
    expect(parseTmpfs("/scratch/:size=64m,mode=1777,exec,uid=1000")).toEqual({
      destination: "/scratch",
      options: ["rw", "noexec", "nosuid", "nodev", "size=64m", "mode=1777", "exec", "uid=1000"],
    });
  });

  it("refuses relative paths, .., the root, /proc, /sys, /dev and /dev/pts, but not /dev/shm", () => {
    for (const bad of [
      "relative",
      "./x",
      "/a/../b",
      "/..",
      "/",
      "/proc",
      "/proc/sys",
      "/sys/fs",
      "/dev/pts",
      "/dev",
      "/dev/",
    ]) {
      expect(() => parseTmpfs(bad), bad).toThrow(InvalidArgError);
    }
    expect(parseTmpfs("/dev/shm:size=128m").destination).toBe("/dev/shm");
  });

  it("refuses options it does not know and malformed values", () => {
    for (const bad of [
      "/s:bogus",
      "/s:size=",
      "/s:size=1x",
      "/s:mode=999",
      "/s:uid=-1",
      "/s:exec=yes",
      "/s:size=1m,,",
      "/s:\0",
    ]) {
      expect(() => parseTmpfs(bad), bad).toThrow(InvalidArgError);
    }
  });
});

describe("capabilities", () => {
  it("takes names with or without CAP_, in any case, and ALL", () => {
    expect(capabilityName("net_raw")).toBe("CAP_NET_RAW");
    expect(capabilityName("CAP_SYS_ADMIN")).toBe("CAP_SYS_ADMIN");
    expect(capabilityName("all")).toBe("ALL");
    expect(() => capabilityName("NOPE")).toThrow(InvalidArgError);
    expect(() => capabilityName("CAP_")).toThrow(InvalidArgError);
  });

  const resolve = (capAdd: string[], capDrop: string[], privileged = false) =>
    resolveCapabilities({ privileged, capAdd, capDrop });

  it("starts from berth's default, drops then adds by name", () => {
    expect(resolve([], []).sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
    const r = resolve(["CAP_NET_RAW"], ["CAP_CHOWN"]);
    expect(r).toContain("CAP_NET_RAW");
    expect(r).not.toContain("CAP_CHOWN");
    expect(r).toHaveLength(DEFAULT_CAPABILITIES.length);
  });

  it("starts from nothing with --cap-drop ALL and from everything with --cap-add ALL or --privileged", () => {
    expect(resolve(["CAP_NET_RAW"], ["ALL"])).toEqual(["CAP_NET_RAW"]);
    expect(resolve(["ALL"], ["CAP_SYS_ADMIN"])).toEqual(
      ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_ADMIN"),
    );
    expect(resolve([], [], true)).toEqual(ALL_CAPABILITIES);
  });

  it("refuses a name both added and dropped, and an add the host cannot give", () => {
    expect(() => resolve(["CAP_NET_RAW"], ["CAP_NET_RAW"])).toThrow(/both added and dropped/);
    const available = ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_RESOURCE");
    expect(() =>
      resolveCapabilities({
        privileged: false,
        capAdd: ["CAP_SYS_RESOURCE"],
        capDrop: [],
        available,
      }),
    ).toThrow(/bounding set/);
    expect(resolveCapabilities({ privileged: true, capAdd: [], capDrop: [], available })).toEqual(
      available,
    );
  });

  it("reads a CapBnd mask bit by bit in capability number order", () => {
    expect(capabilitiesInMask("0000000000000000")).toEqual([]);
    expect(capabilitiesInMask("0000000000002001")).toEqual(["CAP_CHOWN", "CAP_NET_RAW"]);
    expect(capabilitiesInMask("000001fffeffffff")).toEqual(
      ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_RESOURCE"),
    );
  });
});

describe("configFor", () => {
  it("records the default capabilities, a writable root and nothing else when create says nothing", () => {
    const c = configFor({}, host);
    expect(c).toEqual({
      readOnly: false,
      security: {
        privileged: false,
        capAdd: [],
        capDrop: [],
        capabilities: ALL_CAPABILITIES.filter((x) => DEFAULT_CAPABILITIES.includes(x)),
      },
    });
  });

  it("adds tmpfs on /tmp, /var/tmp and /run to a read-only root, unless turned off or given", () => {
    const dest = (o: Parameters<typeof configFor>[0]) =>
      configFor(o, host).tmpfs?.map((t) => t.destination);
    expect(dest({ readOnly: true })).toEqual(["/tmp", "/var/tmp", "/run"]);
    expect(dest({ readOnly: true, readOnlyTmpfs: false })).toBeUndefined();
    expect(dest({ readOnly: true, tmpfs: ["/tmp:size=1m"] })).toEqual(["/tmp", "/var/tmp", "/run"]);
    const tmp = configFor({ readOnly: true, tmpfs: ["/tmp:size=1m"] }, host).tmpfs?.[0];
    expect(tmp?.options).toContain("size=1m");
  });

  it("refuses one tmpfs path twice, a bad hostname and an unknown capability", () => {
    expect(() => configFor({ tmpfs: ["/a", "/a/"] }, host)).toThrow(/twice/);
    for (const hostname of ["", "-web", "a/b", "a b", "x".repeat(65)]) {
      expect(() => configFor({ hostname }, host), hostname).toThrow(InvalidArgError);
    }
    expect(configFor({ hostname: "web-1.local" }, host).hostname).toBe("web-1.local");
    expect(() => configFor({ capDrop: ["NOPE"] }, host)).toThrow(/--cap-drop/);
  });
});

describe("the OCI spec of a configured container", () => {
  const base: ContainerSpec = {
    id: "0123456789abcdef".repeat(4),
    name: "web",
    image: "busybox",
    command: ["sh"],
    stopSignal: "SIGTERM",
    stopTimeout: 10,
    terminal: false,
    stdin: false,
    sandbox: { ...DEFAULT_SANDBOX, seccomp: "unconfined" },
  };

  it("keeps berth's defaults for a record without configuration", () => {
    const oci = ociSpec(base, "/m");
    expect(oci.hostname).toBe(base.id.slice(0, 12));
    expect(oci.root.readonly).toBe(false);
    expect(oci.process.capabilities.effective).toEqual([...DEFAULT_CAPABILITIES]);
    expect(oci.linux.resources.memory).toBeUndefined();
    expect(oci.linux.maskedPaths.length).toBeGreaterThan(0);
  });

  it("writes the hostname, read-only root, tmpfs, limits and capabilities the record names", () => {
    const config = configFor(
      {
        hostname: "web",
        readOnly: true,
        tmpfs: ["/scratch:size=1m"],
        memory: "16m",
        cpus: 0.5,
        cpuShares: 100,
        capDrop: ["ALL"],
        capAdd: ["NET_RAW"],
      },
      host,
    );
    const oci = ociSpec({ ...base, ...config }, "/m");
    expect(oci.hostname).toBe("web");
    expect(oci.root.readonly).toBe(true);
    expect(oci.mounts.find((m) => m.destination === "/scratch")).toEqual({
      destination: "/scratch",
      type: "tmpfs",
      source: "tmpfs",
      options: ["rw", "noexec", "nosuid", "nodev", "size=1m"],
    });
    expect(oci.mounts.map((m) => m.destination)).toContain("/run");
    expect(oci.linux.resources.memory).toEqual({ limit: 16 * MiB, swap: 32 * MiB });
    expect(oci.linux.resources.cpu).toEqual({ quota: 50_000, period: 100_000, shares: 100 });
    expect(oci.process.capabilities).toEqual({
      bounding: ["CAP_NET_RAW"],
      effective: ["CAP_NET_RAW"],
      permitted: ["CAP_NET_RAW"],
    });
    expect(oci.linux.resources.devices).toEqual([{ allow: false, access: "rwm" }]);
  });

  it("gives a privileged container every device, a writable /sys and no masked or read-only paths", () => {
    const oci = ociSpec({ ...base, ...configFor({ privileged: true }, host) }, "/m");
    expect(oci.linux.resources.devices).toEqual([{ allow: true, access: "rwm" }]);
    expect(oci.linux.maskedPaths).toEqual([]);
    expect(oci.linux.readonlyPaths).toEqual([]);
    expect(oci.mounts.find((m) => m.destination === "/sys")?.options).not.toContain("ro");
    expect(oci.process.capabilities.bounding).toEqual(ALL_CAPABILITIES);
    expect(oci.linux.seccomp).toBeUndefined();
  });
});

describe("the CLI's configuration flags", () => {
  it("read an env file as Podman does: comments and blank lines skipped, values as written, bare keys from the CLI's environment", () => {
    const text = "# comment\n\n  A=1\nB= spaced value \nC=with=equals\nFROM_ENV\nMISSING\r\nD=\n";
    expect(parseEnvFile(text, "f", { FROM_ENV: "x" })).toEqual([
      "A=1",
      "B= spaced value ",
      "C=with=equals",
      "FROM_ENV=x",
      "D=",
    ]);
  });

  it("refuse an env file line with an empty or spaced name, saying where", () => {
    expect(() => parseEnvFile("=v\n", "f", {})).toThrow(/f:1/);
    expect(() => parseEnvFile("OK=1\nA B=2\n", "f", {})).toThrow(/f:2/);
  });

  it("leave out what was not given and pass sizes on as typed", () => {
    expect(configBody({})).toEqual({});
    expect(configBody({ tmpfs: [], capAdd: [], capDrop: [], envFile: [] })).toEqual({});
    expect(
      configBody({
        memory: "1x",
        cpus: "0.5",
        cpuShares: "10",
        readOnly: true,
        readOnlyTmpfs: "false",
      }),
    ).toEqual({ memory: "1x", cpus: 0.5, cpuShares: 10, readOnly: true, readOnlyTmpfs: false });
  });

  it("refuse what is no number or no boolean, since JSON cannot carry it", () => {
    expect(() => configBody({ cpus: "half" })).toThrow(InvalidArgError);
    expect(() => configBody({ cpus: "" })).toThrow(InvalidArgError);
    expect(() => configBody({ cpuShares: "NaN" })).toThrow(InvalidArgError);
    expect(() => configBody({ readOnlyTmpfs: "yes" })).toThrow(InvalidArgError);
  });

  it("split the configuration flags from the others", () => {
    const [config, rest] = splitConfigFlags({ name: "web", memory: "1g", privileged: true });
    expect(config).toEqual({ memory: "1g", privileged: true });
    expect(rest).toEqual({ name: "web" });
  });
});
