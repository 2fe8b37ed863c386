import { describe, expect, it } from "vitest";
import { CreateBody } from "../../src/api/schemas.js";
import { createBodyFromDocker } from "../../src/docker/create-body.js";
import { InvalidArgError } from "../../src/errors.js";

/** berth's own schema, strict so that a field it does not know fails the check. */
const berthSchema = CreateBody.strict();

/**
 * What the docker 28 CLI sends for
 * `docker run --rm -e A=1 -p 8080:80 -v /tmp:/data --restart on-failure:3 --name web busybox echo hi`
 * (name in the query), written out by hand from the API's Config and
 * HostConfig: every field it knows, most of them zero. (The real CLI refuses
 * --rm with --restart before sending anything; the body is still the shape it sends.)
 */
function dockerRunBody(): Record<string, unknown> {
  return {
    Hostname: "",
    Domainname: "",
    User: "",
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    ExposedPorts: { "80/tcp": {} },
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: ["A=1"],
    Cmd: ["echo", "hi"],
    Image: "busybox",
    Volumes: {},
    WorkingDir: "",
    Entrypoint: null,
    OnBuild: null,
    Labels: {},
    HostConfig: {
      Binds: ["/tmp:/data"],
      ContainerIDFile: "",
      LogConfig: { Type: "", Config: {} },
      NetworkMode: "default",
      PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "8080" }] },
      RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
      AutoRemove: true,
      VolumeDriver: "",
      VolumesFrom: null,
      ConsoleSize: [0, 0],
      CapAdd: null,
      CapDrop: null,
      CgroupnsMode: "",
      Dns: [],
      DnsOptions: [],
      DnsSearch: [],
      ExtraHosts: null,
      GroupAdd: null,
      IpcMode: "",
      Cgroup: "",
      Links: null,
      OomScoreAdj: 0,
      PidMode: "",
      Privileged: false,
      PublishAllPorts: false,
      ReadonlyRootfs: false,
      SecurityOpt: null,
      UTSMode: "",
      UsernsMode: "",
      ShmSize: 0,
      Isolation: "",
      CpuShares: 0,
      Memory: 0,
      NanoCpus: 0,
      CgroupParent: "",
      BlkioWeight: 0,
      BlkioWeightDevice: [],
      BlkioDeviceReadBps: [],
      BlkioDeviceWriteBps: [],
      BlkioDeviceReadIOps: [],
      BlkioDeviceWriteIOps: [],
      CpuPeriod: 0,
      CpuQuota: 0,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: "",
      CpusetMems: "",
      Devices: [],
      DeviceCgroupRules: null,
      DeviceRequests: null,
      MemoryReservation: 0,
      MemorySwap: 0,
      MemorySwappiness: null,
      OomKillDisable: false,
      PidsLimit: null,
      Ulimits: [],
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      MaskedPaths: null,
      ReadonlyPaths: null,
    },
    NetworkingConfig: {
      EndpointsConfig: {
        default: {
          IPAMConfig: null,
          Links: null,
          Aliases: null,
          MacAddress: "",
          DriverOpts: null,
          GwPriority: 0,
          NetworkID: "",
          EndpointID: "",
          Gateway: "",
          IPAddress: "",
          IPPrefixLen: 0,
          IPv6Gateway: "",
          GlobalIPv6Address: "",
          GlobalIPv6PrefixLen: 0,
          DNSNames: null,
        },
      },
    },
  };
}

/** The run body with `patch` merged into its HostConfig. */
function withHostConfig(patch: Record<string, unknown>): Record<string, unknown> {
  const body = dockerRunBody();
  return { ...body, HostConfig: { ...(body["HostConfig"] as object), ...patch } };
}

/** The InvalidArgError message `fn` throws; fails the test when it throws nothing or another error. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgError);
    return (err as InvalidArgError).message;
  }
  throw new Error("expected an InvalidArgError, got none");
}

describe("createBodyFromDocker: the docker CLI's run body", () => {
  it("maps docker run's body to exactly the berth create body the same run asks for", () => {
    expect(createBodyFromDocker(dockerRunBody(), "web")).toEqual({
      image: "busybox",
      name: "web",
      command: ["echo", "hi"],
      env: ["A=1"],
      autoRemove: true,
      restart: "on-failure:3",
      volumes: ["/tmp:/data"],
      publish: ["8080:80/tcp"],
    });
  });

  it("gives a body that berth's own create schema accepts with no field left over", () => {
    const result = berthSchema.safeParse(createBodyFromDocker(dockerRunBody(), "web"));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it("gives a schema-valid body when every mapped field is set", () => {
    const body = {
      ...withHostConfig({
        NetworkMode: "bridge",
        Memory: 64 * 1024 * 1024,
        MemorySwap: -1,
        NanoCpus: 1_500_000_000,
        CpuShares: 512,
        CapAdd: ["NET_ADMIN"],
        CapDrop: ["MKNOD"],
        Privileged: true,
        ReadonlyRootfs: true,
        Tmpfs: { "/run": "rw,size=64m", "/scratch": "" },
        Dns: ["1.1.1.1"],
        Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
        PidsLimit: 100,
        SecurityOpt: ["seccomp=unconfined"],
        RestartPolicy: { Name: "always", MaximumRetryCount: 0 },
        AutoRemove: false,
      }),
      Entrypoint: ["/bin/sh", "-c"],
      WorkingDir: "/srv",
      User: "1000:1000",
      Labels: { tier: "web" },
      Tty: true,
      OpenStdin: true,
      StopSignal: "SIGINT",
      StopTimeout: 5,
      Hostname: "box",
      Healthcheck: {
        Test: ["CMD-SHELL", "wget -q localhost"],
        Interval: 30_000_000_000,
        Timeout: 1_500_000,
        StartPeriod: 0,
        Retries: 4,
      },
    };
    const mapped = createBodyFromDocker(body, undefined);
    expect(mapped).toMatchObject({
      entrypoint: ["/bin/sh", "-c"],
      workingDir: "/srv",
      user: "1000:1000",
      labels: { tier: "web" },
      terminal: true,
      stdin: true,
      stopSignal: "SIGINT",
      stopTimeout: 5,
      hostname: "box",
      healthCmd: '["CMD-SHELL","wget -q localhost"]',
      healthInterval: "30000ms",
      healthTimeout: "1500000ns",
      healthRetries: 4,
      network: "bridge",
      memory: 67_108_864,
      memorySwap: -1,
      cpus: 1.5,
      cpuShares: 512,
      capAdd: ["NET_ADMIN"],
      capDrop: ["MKNOD"],
      privileged: true,
      readOnly: true,
      tmpfs: ["/run:rw,size=64m", "/scratch"],
      dns: ["1.1.1.1"],
      ulimits: { nofile: { soft: 1024, hard: 2048 } },
      pidsLimit: 100,
      seccomp: "unconfined",
      restart: "always",
    });
    expect(mapped).not.toHaveProperty("name");
    expect(mapped).not.toHaveProperty("autoRemove");
    expect(mapped).not.toHaveProperty("healthStartPeriod");
    const result = berthSchema.safeParse(mapped);
    expect(result.error?.issues ?? []).toEqual([]);
  });
});

describe("createBodyFromDocker: commands and entrypoints", () => {
  it.each([
    ["a null Entrypoint keeps the image's", null, undefined],
    ["an empty Entrypoint clears the image's", [], []],
    ['the CLI\'s --entrypoint "" ([""]) clears the image\'s', [""], []],
    ["a string Entrypoint is one program", "/bin/app --flag", ["/bin/app --flag"]],
    ["an array Entrypoint is taken as it is", ["/bin/sh", "-c"], ["/bin/sh", "-c"]],
  ])("%s", (_, given, expected) => {
    const body = createBodyFromDocker({ ...dockerRunBody(), Entrypoint: given }, "web");
    expect(body.entrypoint).toEqual(expected);
  });

  it("keeps the image's Cmd when Cmd is null or empty, and takes a string Cmd as one argument", () => {
    expect(createBodyFromDocker({ Image: "busybox", Cmd: null }, undefined)).not.toHaveProperty(
      "command",
    );
    expect(createBodyFromDocker({ Image: "busybox", Cmd: [] }, undefined)).not.toHaveProperty(
      "command",
    );
    expect(createBodyFromDocker({ Image: "busybox", Cmd: "top" }, undefined).command).toEqual([
      "top",
    ]);
  });

  it("takes the name without the leading slash Docker writes names with", () => {
    expect(createBodyFromDocker({ Image: "busybox" }, "/web").name).toBe("web");
  });

  it("turns a NONE healthcheck into berth's no-healthcheck", () => {
    const body = createBodyFromDocker({ Image: "busybox", Healthcheck: { Test: ["NONE"] } }, "");
    expect(body).toEqual({ image: "busybox", noHealthcheck: true });
  });

  it("publishes a binding with a host address, and a free host port with none", () => {
    const body = createBodyFromDocker(
      withHostConfig({
        PortBindings: {
          "53/udp": [{ HostIp: "127.0.0.1", HostPort: "5353" }],
          "443": [{ HostIp: "", HostPort: "" }],
          "9000/tcp": null,
        },
      }),
      "web",
    );
    expect([...(body.publish ?? [])].sort()).toEqual(["127.0.0.1:5353:53/udp", "443/tcp"]);
  });
});

describe("createBodyFromDocker: refusals", () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["a body that is no object", [] as unknown as Record<string, unknown>, /JSON object/],
    ["no Image", { Cmd: ["true"] }, /Image/],
    ["a Cmd that is no string array", { Image: "b", Cmd: [1] }, /Cmd/],
    ["an empty program in Cmd", { Image: "b", Cmd: ["", "x"] }, /Cmd/],
    ["an Env entry without a value", { Image: "b", Env: ["HOME"] }, /Env.*HOME/],
    ["a relative WorkingDir", { Image: "b", WorkingDir: "srv" }, /WorkingDir/],
    ["Tty that is no boolean", { Image: "b", Tty: "yes" }, /Tty/],
    ["Labels with a number", { Image: "b", Labels: { a: 1 } }, /Labels/],
    ["an anonymous volume", { Image: "b", Volumes: { "/data": {} } }, /Volumes\.\/data/],
    ["a Domainname", { Image: "b", Domainname: "example.org" }, /Domainname/],
    [
      "a Healthcheck test of an unknown kind",
      { Image: "b", Healthcheck: { Test: ["RUN", "x"] } },
      /Healthcheck\.Test/,
    ],
    [
      "a negative health interval",
      { Image: "b", Healthcheck: { Interval: -1 } },
      /Healthcheck\.Interval/,
    ],
    [
      "a StartInterval",
      { Image: "b", Healthcheck: { StartInterval: 5 } },
      /Healthcheck\.StartInterval/,
    ],
    [
      "a network alias",
      { Image: "b", NetworkingConfig: { EndpointsConfig: { default: { Aliases: ["x"] } } } },
      /NetworkingConfig\.EndpointsConfig\.default\.Aliases/,
    ],
  ])("refuses %s", (_, body, message) => {
    expect(refusal(() => createBodyFromDocker(body, undefined))).toMatch(message);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ["a user-defined network", { NetworkMode: "backend" }, /NetworkMode.*backend/],
    ["another container's network", { NetworkMode: "container:db" }, /NetworkMode/],
    [
      "a retry count without on-failure",
      { RestartPolicy: { Name: "always", MaximumRetryCount: 2 } },
      /MaximumRetryCount/,
    ],
    ["an unknown restart policy", { RestartPolicy: { Name: "sometimes" } }, /RestartPolicy\.Name/],
    ["a port range", { PortBindings: { "80-81/tcp": [] } }, /PortBindings.*ranges/],
    ["an sctp port", { PortBindings: { "80/sctp": [{ HostIp: "", HostPort: "80" }] } }, /sctp/],
    [
      "a host port range",
      { PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "8000-8001" }] } },
      /HostPort/,
    ],
    [
      "a security option other than seccomp=unconfined",
      { SecurityOpt: ["no-new-privileges"] },
      /SecurityOpt.*no-new-privileges/,
    ],
    ["an unknown ulimit", { Ulimits: [{ Name: "files", Soft: 1, Hard: 1 }] }, /Ulimits\[0\]\.Name/],
    ["a CPU quota", { CpuQuota: 50_000 }, /HostConfig\.CpuQuota/],
    [
      "--mount mounts",
      { Mounts: [{ Type: "bind", Source: "/a", Target: "/b" }] },
      /HostConfig\.Mounts\[0\]\.Type/,
    ],
    ["a log driver", { LogConfig: { Type: "syslog", Config: {} } }, /HostConfig\.LogConfig\.Type/],
    ["extra hosts", { ExtraHosts: ["db:10.0.0.2"] }, /HostConfig\.ExtraHosts/],
    ["a Memory that is no integer", { Memory: "64m" }, /HostConfig\.Memory/],
    ["Binds that are no string array", { Binds: "/tmp:/data" }, /HostConfig\.Binds/],
  ])("refuses %s in HostConfig", (_, patch, message) => {
    expect(refusal(() => createBodyFromDocker(withHostConfig(patch), "web"))).toMatch(message);
  });

  it("ignores MemorySwappiness -1, the value the CLI sends for unset", () => {
    expect(
      createBodyFromDocker(withHostConfig({ MemorySwappiness: -1 }), "web"),
    ).not.toHaveProperty("memorySwappiness");
    expect(
      refusal(() => createBodyFromDocker(withHostConfig({ MemorySwappiness: 10 }), "web")),
    ).toMatch(/MemorySwappiness/);
  });
});
