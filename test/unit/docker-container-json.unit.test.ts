import { describe, expect, it } from "vitest";
import {
  dockerInspect,
  dockerListFilters,
  dockerState,
  dockerStatus,
  dockerSummary,
  parseDockerFilters,
  rfc3339Nano,
  ZERO_TIME,
} from "../../src/docker/container-json.js";
import { InvalidArgError } from "../../src/errors.js";
import type { ContainerRecord, ContainerState, HealthConfig } from "../../src/machines/index.js";
import { recordIn } from "../support/given.js";

const NOW = Date.parse("2026-01-01T01:00:00.000Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

const HEALTHCHECK: HealthConfig = {
  test: ["CMD-SHELL", "true"],
  intervalMs: 30_000,
  timeoutMs: 1_500,
  retries: 3,
  startPeriodMs: 0,
  onFailure: "none",
};

const running = (extra: Partial<ContainerRecord> = {}) =>
  recordIn("running", { startedAt: ago(3_000), pid: 4242, ...extra });
const exited = (extra: Partial<ContainerRecord> = {}) =>
  recordIn("exited", {
    startedAt: ago(60_000),
    finishedAt: ago(2_000),
    exitCode: 137,
    ...extra,
  });

describe("dockerState and dockerStatus", () => {
  it.each<[string, ContainerRecord, string, string]>([
    ["a configured container", recordIn("configured"), "created", "Created"],
    ["a created container", recordIn("created"), "created", "Created"],
    ["a running container", running(), "running", "Up 3 seconds"],
    [
      "a healthy container",
      running({ healthcheck: HEALTHCHECK, health: { status: "healthy", failingStreak: 0 } }),
      "running",
      "Up 3 seconds (healthy)",
    ],
    [
      "a container whose health is starting",
      running({ healthcheck: HEALTHCHECK, health: { status: "starting", failingStreak: 0 } }),
      "running",
      "Up 3 seconds (health: starting)",
    ],
    [
      "an unhealthy container",
      running({ healthcheck: HEALTHCHECK, health: { status: "unhealthy", failingStreak: 3 } }),
      "running",
      "Up 3 seconds (unhealthy)",
    ],
    [
      "a paused container, whose health Docker does not show",
      recordIn("paused", {
        startedAt: ago(5 * 60_000),
        healthcheck: HEALTHCHECK,
        health: { status: "healthy", failingStreak: 0 },
      }),
      "paused",
      "Up 5 minutes (Paused)",
    ],
    ["an exited container", exited(), "exited", "Exited (137) 2 seconds ago"],
    [
      "a stopped container",
      recordIn("stopped", { startedAt: ago(120_000), finishedAt: ago(90_000), exitCode: 0 }),
      "exited",
      "Exited (0) About a minute ago",
    ],
    ["a container being removed", recordIn("removing"), "removing", "Removal In Progress"],
    ["a removed container", recordIn("removed"), "dead", "Dead"],
  ])("words %s as Docker does", (_, record, state, status) => {
    expect(dockerState(record)).toBe(state);
    expect(dockerStatus(record, NOW)).toBe(status);
  });
});

describe("rfc3339Nano", () => {
  it.each([
    ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00Z"],
    ["2026-01-01T00:00:00.120Z", "2026-01-01T00:00:00.12Z"],
    ["2026-01-01T00:00:00.123456789Z", "2026-01-01T00:00:00.123456789Z"],
    [undefined, ZERO_TIME],
    ["not a time", ZERO_TIME],
  ])("writes %s as Go's RFC3339Nano %s", (given, expected) => {
    expect(rfc3339Nano(given)).toBe(expected);
  });
});

/** A running bridge container with a published port, a volume, labels and a pinned image. */
function webRecord(state: ContainerState = "running"): ContainerRecord {
  const live = state === "running" || state === "paused";
  return recordIn(state, {
    id: "a".repeat(64),
    name: "web",
    image: "nginx:1.27",
    command: ["nginx", "-g", "daemon off;"],
    labels: { tier: "front" },
    createdAt: "2026-01-01T00:00:00.250Z",
    startedAt: ago(3_000),
    ...(live ? { pid: 99 } : { finishedAt: ago(1_000), exitCode: 0 }),
    imagePin: { id: "f".repeat(64), manifestDigest: "", configDigest: "", layers: [] },
    exposedPorts: ["80/tcp", "443/tcp"],
    env: ["PATH=/usr/bin"],
    workingDir: "/srv",
    mounts: [
      {
        type: "volume",
        name: "data",
        source: "/var/lib/berth/volumes/data/_data",
        destination: "/data",
        options: ["rbind", "ro"],
      },
    ],
    network: {
      mode: "bridge",
      publish: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
      dns: [],
    },
    ...(live
      ? {
          networkAttachment: {
            mode: "bridge",
            etcDir: "/run/berth/etc",
            ip: "10.88.0.5",
            prefixLength: 16,
            gateway: "10.88.0.1",
            mac: "aa:bb:cc:dd:ee:ff",
            ports: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
          },
        }
      : {}),
  });
}

describe("dockerSummary", () => {
  it("answers the list item the docker CLI's ps reads, field for field", () => {
    expect(dockerSummary(webRecord(), NOW)).toEqual({
      Id: "a".repeat(64),
      Names: ["/web"],
      Image: "nginx:1.27",
      ImageID: `sha256:${"f".repeat(64)}`,
      Command: "nginx -g daemon off;",
      Created: Math.floor(Date.parse("2026-01-01T00:00:00Z") / 1000),
      Ports: [
        { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
        { PrivatePort: 443, Type: "tcp" },
      ],
      Labels: { tier: "front" },
      State: "running",
      Status: "Up 3 seconds",
      HostConfig: { NetworkMode: "bridge" },
      NetworkSettings: {
        Networks: {
          bridge: expect.objectContaining({
            IPAddress: "10.88.0.5",
            IPPrefixLen: 16,
            Gateway: "10.88.0.1",
            MacAddress: "aa:bb:cc:dd:ee:ff",
          }) as unknown,
        },
      },
      Mounts: [
        {
          Type: "volume",
          Name: "data",
          Driver: "local",
          Source: "/var/lib/berth/volumes/data/_data",
          Destination: "/data",
          Mode: "ro",
          RW: false,
          Propagation: "",
        },
      ],
    });
  });

  it("lists no ports for an exited container, as Docker, though it asked for them", () => {
    const summary = dockerSummary(webRecord("exited"), NOW);
    expect(summary.Ports).toEqual([]);
    expect(summary.State).toBe("exited");
    expect(summary.NetworkSettings.Networks["bridge"]?.IPAddress).toBe("");
  });

  it("leaves what the record does not know at Docker's zero value", () => {
    const summary = dockerSummary(recordIn("created"), NOW);
    expect(summary.ImageID).toBe("");
    expect(summary.HostConfig.NetworkMode).toBe("none");
    expect(summary.Mounts).toEqual([]);
  });
});

describe("dockerInspect", () => {
  it("answers a running container's inspect with the fields docker's templates read", () => {
    const inspect = dockerInspect(webRecord(), NOW);
    expect(inspect).toMatchObject({
      Id: "a".repeat(64),
      Created: "2026-01-01T00:00:00.25Z",
      Path: "nginx",
      Args: ["-g", "daemon off;"],
      State: {
        Status: "running",
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 99,
        ExitCode: 0,
        Error: "",
        StartedAt: rfc3339Nano(ago(3_000)),
        FinishedAt: ZERO_TIME,
      },
      Image: `sha256:${"f".repeat(64)}`,
      Name: "/web",
      RestartCount: 0,
      HostConfig: {
        AutoRemove: false,
        RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
        NetworkMode: "bridge",
        PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "8080" }] },
        Binds: ["data:/data:ro"],
      },
      Config: {
        Tty: false,
        OpenStdin: false,
        Image: "nginx:1.27",
        Cmd: ["nginx", "-g", "daemon off;"],
        Entrypoint: null,
        Env: ["PATH=/usr/bin"],
        Labels: { tier: "front" },
        StopSignal: "SIGTERM",
        StopTimeout: 10,
        WorkingDir: "/srv",
        User: "",
        ExposedPorts: { "80/tcp": {}, "443/tcp": {} },
      },
      NetworkSettings: {
        Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }], "443/tcp": null },
      },
    });
    expect(inspect.State).not.toHaveProperty("Health");
    expect(inspect.Config).not.toHaveProperty("Healthcheck");
  });

  it("keeps Running true for a paused container, as Docker's attach expects", () => {
    const state = dockerInspect(webRecord("paused"), NOW).State;
    expect(state).toMatchObject({ Status: "paused", Running: true, Paused: true, Pid: 99 });
  });

  it("shows an exited container's exit and end, no pid, and empty NetworkSettings.Ports", () => {
    const inspect = dockerInspect(exited({ pid: 4242, oomKilled: true }), NOW);
    expect(inspect.State).toMatchObject({
      Status: "exited",
      Running: false,
      Pid: 0,
      ExitCode: 137,
      OOMKilled: true,
      FinishedAt: rfc3339Nano(ago(2_000)),
    });
    expect(inspect.NetworkSettings.Ports).toEqual({});
  });

  it("shows a never-started container's times as Go's zero time", () => {
    const state = dockerInspect(recordIn("created"), NOW).State;
    expect(state).toMatchObject({ Status: "created", StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME });
  });

  it("shows health and the healthcheck in nanoseconds when the container has one", () => {
    const inspect = dockerInspect(
      running({ healthcheck: HEALTHCHECK, health: { status: "unhealthy", failingStreak: 4 } }),
      NOW,
    );
    expect(inspect.State.Health).toEqual({ Status: "unhealthy", FailingStreak: 4, Log: [] });
    expect(inspect.Config.Healthcheck).toEqual({
      Test: ["CMD-SHELL", "true"],
      Interval: 30_000_000_000,
      Timeout: 1_500_000_000,
      StartPeriod: 0,
      Retries: 3,
    });
  });

  it("leaves unknown fields at Docker's zero values instead of guessing", () => {
    const inspect = dockerInspect(recordIn("created"), NOW);
    expect(inspect.Image).toBe("");
    expect(inspect.Config.Env).toBeNull();
    expect(inspect.Config.WorkingDir).toBe("");
    expect(inspect.HostConfig.Binds).toBeNull();
    expect(inspect.HostConfig.PortBindings).toEqual({});
    expect(inspect.HostConfig.NetworkMode).toBe("none");
  });

  it("answers the restart policy, auto-remove and restart count the record holds", () => {
    const inspect = dockerInspect(
      recordIn("running", {
        restartPolicy: { name: "on-failure", maxRetries: 3 },
        autoRemove: true,
        restartCount: 2,
      }),
      NOW,
    );
    expect(inspect.HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
    expect(inspect.HostConfig.AutoRemove).toBe(true);
    expect(inspect.RestartCount).toBe(2);
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("parseDockerFilters", () => {
  it("reads the CLI's map form and the legacy list form alike", () => {
    expect(parseDockerFilters('{"status":{"exited":true},"label":{"a=b":true}}')).toEqual({
      status: ["exited"],
      label: ["a=b"],
    });
    expect(parseDockerFilters('{"status":["exited"],"name":["web"]}')).toEqual({
      status: ["exited"],
      name: ["web"],
    });
    expect(parseDockerFilters(undefined)).toEqual({});
    expect(parseDockerFilters("")).toEqual({});
  });

  it.each([
    ["text that is no JSON", "{status"],
    ["a JSON array", '["status"]'],
    ["a filter berth does not apply", '{"network":{"bridge":true}}'],
    ["a status Docker does not have", '{"status":{"stopped":true}}'],
    ["a health Docker does not have", '{"health":{"sick":true}}'],
    ["a name that is no regular expression", '{"name":{"web(":true}}'],
    ["values that are neither a map of booleans nor a list", '{"name":"web"}'],
    ["a map of non-booleans", '{"name":{"web":1}}'],
  ])("refuses %s with InvalidArgError", (_, raw) => {
    expect(thrown(() => parseDockerFilters(raw))).toBeInstanceOf(InvalidArgError);
  });
});

describe("dockerListFilters", () => {
  const records = [
    recordIn("running", {
      id: "1".repeat(64),
      name: "web",
      image: "docker.io/library/busybox:latest",
      labels: { tier: "front", env: "prod" },
      createdAt: "2026-01-01T00:00:01.000Z",
      healthcheck: HEALTHCHECK,
      health: { status: "healthy", failingStreak: 0 },
    }),
    recordIn("exited", {
      id: "2".repeat(64),
      name: "webapp",
      image: "nginx",
      labels: { tier: "front" },
      createdAt: "2026-01-01T00:00:03.000Z",
    }),
    recordIn("paused", {
      id: "3".repeat(64),
      name: "db",
      image: "postgres:16",
      createdAt: "2026-01-01T00:00:02.000Z",
    }),
    recordIn("created", {
      id: "4".repeat(64),
      name: "job",
      image: "busybox",
      createdAt: "2026-01-01T00:00:04.000Z",
    }),
  ];
  const names = (query: Parameters<typeof dockerListFilters>[0]) =>
    dockerListFilters(query)(records).map((r) => r.name);

  it("lists running and paused containers, newest first, unless all is asked", () => {
    expect(names({})).toEqual(["db", "web"]);
    expect(names({ all: "1" })).toEqual(["job", "webapp", "db", "web"]);
    expect(names({ all: "0" })).toEqual(["db", "web"]);
  });

  it("lists stopped containers too when a status filter or a limit is given, as moby", () => {
    expect(names({ filters: '{"status":{"exited":true}}' })).toEqual(["webapp"]);
    expect(names({ limit: "2" })).toEqual(["job", "webapp"]);
  });

  it("matches names and ids as moby does: a part, or a regular expression", () => {
    expect(names({ all: "1", filters: '{"name":{"web":true}}' })).toEqual(["webapp", "web"]);
    expect(names({ all: "1", filters: '{"name":{"^/web$":true}}' })).toEqual(["web"]);
    expect(names({ all: "1", filters: `{"id":{"^${"3".repeat(12)}":true}}` })).toEqual(["db"]);
  });

  it("matches a label by key, or by key and value", () => {
    expect(names({ all: "1", filters: '{"label":{"tier":true}}' })).toEqual(["webapp", "web"]);
    expect(names({ all: "1", filters: '{"label":{"env=prod":true}}' })).toEqual(["web"]);
    expect(names({ all: "1", filters: '{"label":{"env=dev":true}}' })).toEqual([]);
  });

  it("matches an ancestor by reference whatever the implied registry and tag", () => {
    expect(names({ all: "1", filters: '{"ancestor":{"busybox":true}}' })).toEqual(["job", "web"]);
    expect(names({ all: "1", filters: '{"ancestor":{"postgres:16":true}}' })).toEqual(["db"]);
  });

  it("matches health, with none for containers without a healthcheck", () => {
    expect(names({ all: "1", filters: '{"health":{"healthy":true}}' })).toEqual(["web"]);
    expect(names({ all: "1", filters: '{"health":{"none":true}}' })).toEqual([
      "job",
      "webapp",
      "db",
    ]);
  });

  it("takes values of one filter as alternatives and different filters together", () => {
    const filters = '{"status":{"running":true,"exited":true},"label":{"tier":true}}';
    expect(names({ filters })).toEqual(["webapp", "web"]);
    expect(names({ filters: '{"status":{"running":true},"name":{"db":true}}' })).toEqual([]);
  });

  it("refuses a limit that is no integer before reading any record", () => {
    expect(thrown(() => dockerListFilters({ limit: "ten" }))).toBeInstanceOf(InvalidArgError);
  });
});
