/**
 * berth's container records in the JSON the Docker Engine API answers with
 * (`GET /containers/json` and `GET /containers/{id}/json`, API 1.47), and the
 * list's `all`, `limit` and `filters` query. Pure: the caller passes the
 * clock. What a record does not know is left at Docker's zero value (Go's
 * `""`, `0`, `false`, `null`), so a client never reads a guess as a fact.
 */
import { queryBool } from "./docker-io.js";
import { filterArgs } from "./filter-args.js";
import { networkId } from "./network-id.js";
import { InvalidArgError } from "../errors.js";
import { humanAgo, humanDuration } from "../events/index.js";
import {
  type ContainerMount,
  type ContainerRecord,
  type NetworkMode,
  type PortMapping,
} from "../machines/index.js";

/** Docker's words for a container's state (moby `container.StateStatus`). */
export const DOCKER_STATES = [
  "created",
  "running",
  "paused",
  "restarting",
  "removing",
  "exited",
  "dead",
] as const;
export type DockerState = (typeof DOCKER_STATES)[number];

/** Go's zero `time.Time`, as encoding/json writes it. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/**
 * Docker's `State` word for a record. berth has no restarting state (a
 * restart is a stop and a start), and a removed record, still seen while
 * its removal settles, is Docker's dead: it can only be deleted.
 */
export function dockerState(r: Pick<ContainerRecord, "state">): DockerState {
  switch (r.state) {
    case "configured":
    case "created":
      return "created";
    case "running":
      return "running";
    case "paused":
      return "paused";
    case "stopped":
    case "exited":
      return "exited";
    case "removing":
      return "removing";
    case "removed":
      return "dead";
  }
}

/** How long the current run has lasted at `now`; a run with no start time has just begun. */
const uptime = (r: ContainerRecord, now: number) =>
  humanDuration(Math.max(0, now - (r.startedAt !== undefined ? Date.parse(r.startedAt) : now)));

/**
 * Docker's `Status` text (moby `State.String`): "Up 3 seconds (healthy)",
 * "Up 3 seconds (health: starting)", "Up 5 minutes (Paused)" (no health
 * while paused), "Exited (137) 2 seconds ago", "Created", "Removal In
 * Progress", "Dead".
 */
export function dockerStatus(r: ContainerRecord, now: number): string {
  switch (dockerState(r)) {
    case "running": {
      const health = healthWord(r);
      return `Up ${uptime(r, now)}${health !== undefined ? ` (${health})` : ""}`;
    }
    case "paused":
      return `Up ${uptime(r, now)} (Paused)`;
    case "exited": {
      const ago = r.finishedAt !== undefined ? ` ${humanAgo(r.finishedAt, now)}` : "";
      return `Exited (${r.exitCode ?? 0})${ago}`;
    }
    case "created":
      return "Created";
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    case "restarting":
      return "Restarting";
  }
}

/** The health in Status's words, or undefined when the container has no healthcheck. */
function healthWord(r: ContainerRecord): string | undefined {
  if (r.healthcheck === undefined) return undefined;
  const status = r.health?.status ?? "starting";
  return status === "starting" ? "health: starting" : status;
}

/** Docker's network mode: a container from before networks is alone with lo, which is none. */
const networkMode = (r: ContainerRecord): NetworkMode => r.network?.mode ?? "none";

/** `sha256:…` of the image the container runs, or "" for one created before the image store. */
const imageId = (r: ContainerRecord) => (r.imagePin ? `sha256:${r.imagePin.id}` : "");

/**
 * `t` as Go's RFC3339Nano writes it: fraction without trailing zeros (none
 * at all when whole), the zero time when `t` is absent or unreadable.
 */
export function rfc3339Nano(t: string | undefined): string {
  if (t === undefined) return ZERO_TIME;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return ZERO_TIME;
  // The stored text is kept when it is already RFC 3339, since it may hold more than milliseconds.
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  const [, whole, frac, zone] = m ?? /^(.*)\.(\d+)(Z)$/.exec(new Date(ms).toISOString()) ?? [];
  const fraction = (frac ?? "").replace(/0+$/, "");
  return `${whole}${fraction ? `.${fraction}` : ""}${zone}`;
}

/** One `GET /containers/json` port entry; an unbound port has no IP or public port. */
export interface DockerPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: "tcp" | "udp";
}

/** Docker's `MountPoint`. */
export interface DockerMount {
  Type: "bind" | "volume";
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** Docker's `EndpointSettings`, as far as berth knows it. */
export interface DockerEndpoint {
  IPAMConfig: null;
  Links: null;
  Aliases: null;
  MacAddress: string;
  DriverOpts: null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: null;
}

const PROPAGATIONS = new Set(["rprivate", "private", "rshared", "shared", "rslave", "slave"]);

function mountOf(m: ContainerMount): DockerMount {
  const ro = m.options.includes("ro");
  // Docker's Mode is the -v options as given; berth kept ro and the ignored SELinux ones.
  const mode = [...(ro ? ["ro"] : []), ...(m.ignoredOptions ?? [])].join(",");
  return {
    Type: m.type,
    ...(m.type === "volume" ? { Name: m.name ?? "", Driver: "local" } : {}),
    Source: m.source,
    Destination: m.destination,
    Mode: mode,
    RW: !ro,
    Propagation: m.options.find((o) => PROPAGATIONS.has(o)) ?? "",
  };
}

const mounts = (r: ContainerRecord): DockerMount[] => (r.mounts ?? []).map(mountOf);

/**
 * The container's networks by Docker's name (bridge, host or none), with
 * the address of the current run when it has one. NetworkID is the id
 * `GET /networks` answers, so a client can find the network's details.
 */
function networks(r: ContainerRecord): Record<string, DockerEndpoint> {
  const a = r.networkAttachment;
  return {
    [networkMode(r)]: {
      IPAMConfig: null,
      Links: null,
      Aliases: null,
      MacAddress: a?.mac ?? "",
      DriverOpts: null,
      NetworkID: networkId(networkMode(r)),
      EndpointID: "",
      Gateway: a?.gateway ?? "",
      IPAddress: a?.ip ?? "",
      IPPrefixLen: a?.prefixLength ?? 0,
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      DNSNames: null,
    },
  };
}

const portKey = (port: number, protocol: string) => `${port}/${protocol}`;

/** `"80/tcp"` → port and protocol; undefined for what is not one. */
function parsePortKey(key: string): { port: number; protocol: "tcp" | "udp" } | undefined {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(key);
  if (!m) return undefined;
  return { port: Number(m[1]), protocol: m[2] === "udp" ? "udp" : "tcp" };
}

/**
 * The image's exposed ports that no `-p` publishes. Docker lists them, with
 * no binding, while the container runs.
 */
function unpublishedExposed(r: ContainerRecord, bound: PortMapping[]) {
  const published = new Set(bound.map((p) => portKey(p.containerPort, p.protocol)));
  return (r.exposedPorts ?? [])
    .map(parsePortKey)
    .filter((p): p is NonNullable<typeof p> => p !== undefined)
    .filter((p) => !published.has(portKey(p.port, p.protocol)));
}

/**
 * The ports of the current run. As Docker, a container with no network set
 * up (created, exited) lists none; what it asked for is in HostConfig.PortBindings.
 */
function summaryPorts(r: ContainerRecord): DockerPort[] {
  const bound = r.networkAttachment?.ports;
  if (bound === undefined) return [];
  return [
    ...bound.map((p): DockerPort =>
      p.hostPort === 0
        ? { PrivatePort: p.containerPort, Type: p.protocol }
        : {
            IP: p.hostIp ?? "0.0.0.0",
            PrivatePort: p.containerPort,
            PublicPort: p.hostPort,
            Type: p.protocol,
          },
    ),
    ...unpublishedExposed(r, bound).map((p): DockerPort => ({
      PrivatePort: p.port,
      Type: p.protocol,
    })),
  ];
}

/** Docker's `PortBinding`. */
export interface DockerPortBinding {
  HostIp: string;
  HostPort: string;
}

/**
 * A `PortMap`: each port's bindings, null for one exposed and not bound. What
 * was asked (HostConfig.PortBindings) keeps an empty HostIp; what is bound
 * (NetworkSettings.Ports) names the address listened on, as the list's `IP`.
 */
function portMap(
  ports: PortMapping[],
  exposed: { port: number; protocol: string }[] = [],
  anyAddress = "",
): Record<string, DockerPortBinding[] | null> {
  const map: Record<string, DockerPortBinding[] | null> = {};
  for (const p of ports) {
    const key = portKey(p.containerPort, p.protocol);
    const binding = {
      HostIp: p.hostIp ?? (p.hostPort === 0 ? "" : anyAddress),
      HostPort: p.hostPort === 0 ? "" : String(p.hostPort),
    };
    map[key] = [...(map[key] ?? []), binding];
  }
  for (const e of exposed) map[portKey(e.port, e.protocol)] = null;
  return map;
}

/** `GET /containers/json`'s item (moby `container.Summary`). */
export interface DockerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: DockerPort[];
  Labels: Record<string, string>;
  State: DockerState;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, DockerEndpoint> };
  Mounts: DockerMount[];
}

/** A record as one item of `GET /containers/json`, seen at `now` (ms since the epoch). */
export function dockerSummary(r: ContainerRecord, now: number): DockerSummary {
  return {
    Id: r.id,
    // Docker's names carry the leading slash; the CLI strips it.
    Names: [`/${r.name}`],
    Image: r.image,
    ImageID: imageId(r),
    Command: r.command.join(" "),
    Created: Math.floor(Date.parse(r.createdAt) / 1000),
    Ports: summaryPorts(r),
    Labels: { ...r.labels },
    State: dockerState(r),
    Status: dockerStatus(r, now),
    HostConfig: { NetworkMode: networkMode(r) },
    NetworkSettings: { Networks: networks(r) },
    Mounts: mounts(r),
  };
}

/** Docker's `Health` in inspect. */
export interface DockerHealth {
  Status: "starting" | "healthy" | "unhealthy";
  FailingStreak: number;
  /** berth journals transitions, not every probe: the log it could show would mislead. */
  Log: [];
}

/** Docker's `HealthConfig`, durations in nanoseconds. */
export interface DockerHealthConfig {
  Test: string[];
  Interval: number;
  Timeout: number;
  StartPeriod: number;
  Retries: number;
}

/** `GET /containers/{id}/json` (moby `container.InspectResponse`), the fields berth knows. */
export interface DockerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: {
    Status: DockerState;
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: DockerHealth;
  };
  Image: string;
  Name: string;
  RestartCount: number;
  HostConfig: {
    AutoRemove: boolean;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    NetworkMode: string;
    PortBindings: Record<string, DockerPortBinding[] | null>;
    Binds: string[] | null;
    Dns: string[];
    Privileged: boolean;
    ReadonlyRootfs: boolean;
    CapAdd: string[] | null;
    CapDrop: string[] | null;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    CpuShares: number;
    PidsLimit: number | null;
    Tmpfs: Record<string, string> | null;
  };
  Config: {
    Hostname: string;
    User: string;
    Tty: boolean;
    OpenStdin: boolean;
    Env: string[] | null;
    Cmd: string[];
    Healthcheck?: DockerHealthConfig;
    Image: string;
    WorkingDir: string;
    Entrypoint: null;
    Labels: Record<string, string>;
    ExposedPorts?: Record<string, Record<string, never>>;
    StopSignal: string;
    StopTimeout: number;
  };
  NetworkSettings: {
    Ports: Record<string, DockerPortBinding[] | null>;
    Networks: Record<string, DockerEndpoint>;
  };
  Mounts: DockerMount[];
}

/** A bind as Docker's HostConfig.Binds writes it: `SRC:DEST[:MODE]`. */
function bindOf(m: ContainerMount): string {
  const source = m.type === "volume" ? (m.name ?? m.source) : (m.requestedSource ?? m.source);
  const mode = mountOf(m).Mode;
  return `${source}:${m.destination}${mode ? `:${mode}` : ""}`;
}

const msToNs = (ms: number) => ms * 1_000_000;

function inspectState(r: ContainerRecord): DockerInspect["State"] {
  const status = dockerState(r);
  const live = status === "running" || status === "paused";
  // Docker shows Health from the first start on; berth's record has it from then too.
  const health: DockerHealth | undefined =
    r.healthcheck !== undefined && r.health !== undefined
      ? { Status: r.health.status, FailingStreak: r.health.failingStreak, Log: [] }
      : undefined;
  return {
    Status: status,
    // As Docker: a paused container is still running.
    Running: live,
    Paused: status === "paused",
    Restarting: false,
    OOMKilled: r.oomKilled,
    Dead: status === "dead",
    Pid: live ? (r.pid ?? 0) : 0,
    ExitCode: r.exitCode ?? 0,
    Error: "",
    StartedAt: rfc3339Nano(r.startedAt),
    FinishedAt: rfc3339Nano(r.finishedAt),
    ...(health !== undefined ? { Health: health } : {}),
  };
}

function inspectHostConfig(r: ContainerRecord): DockerInspect["HostConfig"] {
  const res = r.resources;
  const nanoCpus =
    res?.cpuQuota !== undefined && res.cpuPeriod
      ? Math.round((res.cpuQuota / res.cpuPeriod) * 1e9)
      : 0;
  const list = (v: string[] | undefined) => (v !== undefined && v.length > 0 ? [...v] : null);
  const binds = (r.mounts ?? []).map(bindOf);
  return {
    AutoRemove: r.autoRemove ?? false,
    RestartPolicy: { Name: r.restartPolicy.name, MaximumRetryCount: r.restartPolicy.maxRetries },
    NetworkMode: networkMode(r),
    PortBindings: portMap(r.network?.publish ?? []),
    Binds: binds.length > 0 ? binds : null,
    Dns: [...(r.network?.dns ?? [])],
    Privileged: r.security?.privileged ?? false,
    ReadonlyRootfs: r.readOnly ?? false,
    CapAdd: list(r.security?.capAdd),
    CapDrop: list(r.security?.capDrop),
    Memory: res?.memory ?? 0,
    MemorySwap: res?.memorySwap ?? 0,
    NanoCpus: nanoCpus,
    CpuShares: res?.cpuShares ?? 0,
    // Only a record with a sandbox knows its limit; 0 there means none, as Docker's.
    PidsLimit: r.sandbox !== undefined ? r.sandbox.pidsLimit : null,
    Tmpfs:
      r.tmpfs !== undefined && r.tmpfs.length > 0
        ? Object.fromEntries(r.tmpfs.map((t) => [t.destination, t.options.join(",")]))
        : null,
  };
}

function inspectConfig(r: ContainerRecord): DockerInspect["Config"] {
  const hc = r.healthcheck;
  const exposed = [
    ...(r.exposedPorts ?? []).map(parsePortKey).filter((p) => p !== undefined),
    ...(r.network?.publish ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol })),
  ];
  return {
    Hostname: r.hostname ?? r.id.slice(0, 12),
    User: r.user ?? "",
    Tty: r.terminal,
    OpenStdin: r.stdin,
    Env: r.env !== undefined ? [...r.env] : null,
    // The record keeps the argv the process runs, entrypoint and command joined; the split is not kept.
    Cmd: [...r.command],
    ...(hc !== undefined
      ? {
          Healthcheck: {
            Test: [...hc.test],
            Interval: msToNs(hc.intervalMs),
            Timeout: msToNs(hc.timeoutMs),
            StartPeriod: msToNs(hc.startPeriodMs),
            Retries: hc.retries,
          },
        }
      : {}),
    Image: r.image,
    WorkingDir: r.workingDir ?? "",
    Entrypoint: null,
    Labels: { ...r.labels },
    ...(exposed.length > 0
      ? { ExposedPorts: Object.fromEntries(exposed.map((p) => [portKey(p.port, p.protocol), {}])) }
      : {}),
    StopSignal: r.stopSignal,
    StopTimeout: r.stopTimeout,
  };
}

/**
 * A record as `GET /containers/{id}/json` answers it. Inspect holds no
 * relative time, so the clock is taken only to match {@link dockerSummary}.
 */
export function dockerInspect(r: ContainerRecord, _now?: number): DockerInspect {
  const bound = r.networkAttachment?.ports;
  return {
    Id: r.id,
    Created: rfc3339Nano(r.createdAt),
    Path: r.command[0] ?? "",
    Args: r.command.slice(1),
    State: inspectState(r),
    Image: imageId(r),
    Name: `/${r.name}`,
    RestartCount: r.restartCount,
    HostConfig: inspectHostConfig(r),
    Config: inspectConfig(r),
    NetworkSettings: {
      Ports: bound !== undefined ? portMap(bound, unpublishedExposed(r, bound), "0.0.0.0") : {},
      Networks: networks(r),
    },
    Mounts: mounts(r),
  };
}

/** The `filters` keys berth applies to the list; Docker's others are refused, not ignored. */
export const DOCKER_LIST_FILTERS = ["status", "name", "label", "id", "ancestor", "health"] as const;
type FilterKey = (typeof DOCKER_LIST_FILTERS)[number];

const HEALTH_FILTERS = ["starting", "healthy", "unhealthy", "none"];

/** Each filter key with its values: values of one key are alternatives, keys all apply. */
export type DockerFilters = Partial<Record<FilterKey, string[]>>;

/**
 * The `filters` query parameter: JSON `{"key":{"value":true}}` (what the
 * docker CLI sends) or the legacy `{"key":["value"]}`. Absent or empty: no
 * filter. Unknown keys and bad values are refused, as moby refuses them.
 */
export function parseDockerFilters(raw: string | undefined): DockerFilters {
  const filters: DockerFilters = {};
  for (const [key, values] of filterArgs(raw, DOCKER_LIST_FILTERS, "containers"))
    filters[key as FilterKey] = checkValues(key as FilterKey, values);
  return filters;
}

function checkValues(key: FilterKey, values: string[]): string[] {
  for (const v of values) {
    if (key === "status" && !(DOCKER_STATES as readonly string[]).includes(v))
      throw new InvalidArgError(
        `invalid filter 'status=${v}': use one of ${DOCKER_STATES.join(", ")}`,
      );
    if (key === "health" && !HEALTH_FILTERS.includes(v))
      throw new InvalidArgError(
        `invalid filter 'health=${v}': use one of ${HEALTH_FILTERS.join(", ")}`,
      );
    if (key === "name" || key === "id") pattern(key, v);
  }
  return values;
}

/** moby matches names and ids as regular expressions (so a plain value matches a part). */
function pattern(key: string, value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (err) {
    throw new InvalidArgError(`invalid filter '${key}=${value}': not a regular expression`, {
      cause: err,
    });
  }
}

/** A reference with Docker Hub's implied parts written out: busybox → docker.io/library/busybox:latest. */
function fullReference(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  let full = hasRegistry ? ref : `docker.io/${slash < 0 ? `library/${ref}` : ref}`;
  const lastPart = full.slice(full.lastIndexOf("/") + 1);
  if (!lastPart.includes(":") && !lastPart.includes("@")) full += ":latest";
  return full;
}

function matchesAncestor(r: ContainerRecord, value: string): boolean {
  const id = r.imagePin?.id;
  const bare = value.replace(/^sha256:/, "");
  if (id !== undefined && /^[0-9a-f]+$/.test(bare) && bare.length >= 12 && id.startsWith(bare))
    return true;
  return fullReference(r.image) === fullReference(value);
}

function matchesLabel(r: ContainerRecord, value: string): boolean {
  const eq = value.indexOf("=");
  if (eq < 0) return Object.hasOwn(r.labels, value);
  const key = value.slice(0, eq);
  return Object.hasOwn(r.labels, key) && r.labels[key] === value.slice(eq + 1);
}

function healthOf(r: ContainerRecord): string {
  return r.healthcheck !== undefined && r.health !== undefined ? r.health.status : "none";
}

function matches(r: ContainerRecord, key: FilterKey, value: string): boolean {
  switch (key) {
    case "status":
      return dockerState(r) === value;
    case "name":
      return value === r.name || pattern(key, value).test(`/${r.name}`);
    case "id":
      return pattern(key, value).test(r.id);
    case "label":
      return matchesLabel(r, value);
    case "ancestor":
      return matchesAncestor(r, value);
    case "health":
      return healthOf(r) === value;
  }
}

/** `GET /containers/json`'s query as it arrives. */
export interface DockerListQuery {
  all?: string | undefined;
  limit?: string | undefined;
  filters?: string | undefined;
}

/**
 * The list `GET /containers/json` asks for, as a function of all the
 * records: newest first, only running (and paused) ones unless `all`, a
 * `limit` or a status filter widens it, filtered, then cut to `limit`. The
 * query is checked here, so a bad one is refused before any record is read.
 */
export function dockerListFilters(
  query: DockerListQuery,
): (records: readonly ContainerRecord[]) => ContainerRecord[] {
  const filters = parseDockerFilters(query.filters);
  let limit = 0;
  if (query.limit !== undefined && query.limit !== "") {
    if (!/^-?\d+$/.test(query.limit))
      throw new InvalidArgError(`invalid limit ${JSON.stringify(query.limit)}: not an integer`);
    limit = Number(query.limit);
  }
  // As moby: a status filter or a limit lists stopped containers too.
  const all = queryBool(query.all) || filters.status !== undefined || limit > 0;
  const entries = Object.entries(filters) as [FilterKey, string[]][];
  return (records) => {
    const kept = records
      .filter((r) => all || r.state === "running" || r.state === "paused")
      .filter((r) => entries.every(([key, values]) => values.some((v) => matches(r, key, v))))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    return limit > 0 ? kept.slice(0, limit) : kept;
  };
}
