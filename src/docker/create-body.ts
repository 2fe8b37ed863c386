/**
 * `POST /containers/create`'s body (Docker's Config with HostConfig and
 * NetworkingConfig) turned into the create body berth's own
 * `POST /containers` takes. The docker CLI sends every field it knows, most
 * of them zero; a zero field asks for nothing and is skipped whatever its
 * name. A field berth does not map is refused once it asks for something,
 * naming the field, so a container is never created with less than asked.
 */
import { InvalidArgError } from "../errors.js";
import { isUlimitName, type RlimitPair, type UlimitName } from "../machines/index.js";

/**
 * berth's create body, as `POST /containers` takes it (src/api's
 * CreateBody, in Podman's names); only the fields a Docker body can fill.
 */
export interface BerthCreateBody {
  image: string;
  name?: string;
  command?: string[];
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  labels?: Record<string, string>;
  terminal?: boolean;
  stdin?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  hostname?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthStartPeriod?: string;
  healthRetries?: number;
  noHealthcheck?: boolean;
  autoRemove?: boolean;
  restart?: string;
  volumes?: string[];
  publish?: string[];
  network?: string;
  memory?: number;
  memorySwap?: number;
  cpus?: number;
  cpuShares?: number;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  readOnly?: boolean;
  tmpfs?: string[];
  dns?: string[];
  ulimits?: Partial<Record<UlimitName, RlimitPair>>;
  pidsLimit?: number;
  seccomp?: "unconfined";
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const bad = (field: string, what: string) =>
  new InvalidArgError(`invalid ${field} in the create body: ${what}`);

/** Config fields read below, or sent by the CLI only to steer its own attach. */
const CONFIG_KEYS = new Set([
  "Image",
  "Cmd",
  "Entrypoint",
  "Env",
  "WorkingDir",
  "User",
  "Labels",
  "Tty",
  "OpenStdin",
  "StopSignal",
  "StopTimeout",
  "Healthcheck",
  "ExposedPorts",
  "Hostname",
  "HostConfig",
  "NetworkingConfig",
  "Volumes",
  // Attach is its own request in this API; what to attach is said there.
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  // Closing stdin when the first attach ends: berth's attach ends with the client's stdin anyway.
  "StdinOnce",
]);

const HOST_CONFIG_KEYS = new Set([
  "AutoRemove",
  "RestartPolicy",
  "Binds",
  "PortBindings",
  "NetworkMode",
  "Memory",
  "MemorySwap",
  "NanoCpus",
  "CpuShares",
  "CapAdd",
  "CapDrop",
  "Privileged",
  "ReadonlyRootfs",
  "Tmpfs",
  "Dns",
  "Ulimits",
  "PidsLimit",
  "SecurityOpt",
  // The terminal's size at create; the CLI resizes through /resize after attach too.
  "ConsoleSize",
]);

/**
 * The path of the first part of `v` that asks for something, or undefined
 * when all of it is Go's zero value (null, false, 0, "", and empty or
 * all-zero arrays and maps).
 */
function nonZeroPath(v: unknown, path: string): string | undefined {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return undefined;
  if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) {
      const found = nonZeroPath(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isObject(v)) {
    for (const [k, item] of Object.entries(v)) {
      const found = nonZeroPath(item, `${path}.${k}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return path;
}

/** Refuses any field of `obj` outside `known` that asks for something. */
function refuseUnknown(obj: Json, known: ReadonlySet<string>, prefix: string, ignore: Json = {}) {
  for (const [key, value] of Object.entries(obj)) {
    if (known.has(key) || Object.hasOwn(ignore, key)) continue;
    const path = nonZeroPath(value, `${prefix}${key}`);
    if (path !== undefined) {
      throw new InvalidArgError(
        `${path} is not supported by berth (got ${JSON.stringify(value)}); leave it unset`,
      );
    }
  }
}

function str(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw bad(field, "a string is expected");
  return v;
}

function bool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw bad(field, "true or false is expected");
  return v;
}

function int(v: unknown, field: string, min = 0): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad(field, "an integer is expected");
  if (v < min) throw bad(field, `${v} is below ${min}`);
  return v;
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
    throw bad(field, "an array of strings is expected");
  return v;
}

/** Docker's StrSlice: a string or an array of strings. */
function strSlice(v: unknown, field: string): string[] | undefined {
  if (typeof v === "string") return [v];
  return strings(v, field);
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || !Object.values(v).every((s) => typeof s === "string"))
    throw bad(field, "an object of strings is expected");
  return v as Record<string, string>;
}

function object(v: unknown, field: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(field, "an object is expected");
  return v;
}

/** Leaves out what is undefined, so the body carries only the fields asked for. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const nonEmpty = <T>(v: T[] | undefined) => (v !== undefined && v.length > 0 ? v : undefined);
const nonBlank = (v: string | undefined) => (v === "" ? undefined : v);

/**
 * Entrypoint: null keeps the image's; `[]` or `[""]` (the CLI's
 * `--entrypoint ""`) clears it; a string is one program path.
 */
function entrypoint(v: unknown): string[] | undefined {
  const argv = strSlice(v, "Entrypoint");
  if (argv === undefined) return undefined;
  if (argv.length === 0 || (argv.length === 1 && argv[0] === "")) return [];
  return argv;
}

/** Cmd: null or `[]` keeps the image's. */
function command(v: unknown): string[] | undefined {
  const argv = nonEmpty(strSlice(v, "Cmd"));
  if (argv !== undefined && argv[0] === "")
    throw bad("Cmd", "its program (first element) is empty");
  return argv;
}

function env(v: unknown): string[] | undefined {
  const entries = nonEmpty(strings(v, "Env"));
  for (const e of entries ?? []) {
    // A bare KEY asks Docker to drop the image's variable; berth can only set one.
    if (!/^[^=\0]+=/.test(e))
      throw bad("Env", `${JSON.stringify(e)} is not KEY=value (berth cannot unset a variable)`);
  }
  return entries;
}

/** A duration in nanoseconds as the Go duration berth's health fields take; 0 keeps the default. */
function nsDuration(v: unknown, field: string): string | undefined {
  const ns = int(v, field);
  if (!ns) return undefined;
  return ns % 1_000_000 === 0 ? `${ns / 1_000_000}ms` : `${ns}ns`;
}

function healthcheck(v: unknown): Partial<BerthCreateBody> {
  const hc = object(v, "Healthcheck");
  if (hc === undefined) return {};
  refuseUnknown(
    hc,
    new Set(["Test", "Interval", "Timeout", "StartPeriod", "Retries"]),
    "Healthcheck.",
  );
  const test = nonEmpty(strings(hc["Test"], "Healthcheck.Test"));
  let fromTest: Partial<BerthCreateBody> = {};
  if (test !== undefined) {
    const [kind, ...rest] = test;
    if (kind === "NONE") fromTest = { noHealthcheck: true };
    else if ((kind === "CMD" || kind === "CMD-SHELL") && rest.length > 0)
      // berth's healthCmd takes Docker's own array form as it is.
      fromTest = { healthCmd: JSON.stringify(test) };
    else
      throw bad(
        "Healthcheck.Test",
        'use ["NONE"], ["CMD", prog, args...] or ["CMD-SHELL", "command"]',
      );
  }
  const retries = int(hc["Retries"], "Healthcheck.Retries");
  return defined({
    ...fromTest,
    healthInterval: nsDuration(hc["Interval"], "Healthcheck.Interval"),
    healthTimeout: nsDuration(hc["Timeout"], "Healthcheck.Timeout"),
    healthStartPeriod: nsDuration(hc["StartPeriod"], "Healthcheck.StartPeriod"),
    healthRetries: retries === 0 ? undefined : retries,
  });
}

function restart(v: unknown): string | undefined {
  const policy = object(v, "HostConfig.RestartPolicy");
  if (policy === undefined) return undefined;
  const name = str(policy["Name"], "HostConfig.RestartPolicy.Name") ?? "";
  const count = int(policy["MaximumRetryCount"], "HostConfig.RestartPolicy.MaximumRetryCount") ?? 0;
  if (!["", "no", "always", "unless-stopped", "on-failure"].includes(name))
    throw bad(
      "HostConfig.RestartPolicy.Name",
      `${JSON.stringify(name)}: use no, always, unless-stopped or on-failure`,
    );
  if (count > 0 && name !== "on-failure")
    throw bad(
      "HostConfig.RestartPolicy.MaximumRetryCount",
      `a retry count needs on-failure, not ${JSON.stringify(name || "no")}`,
    );
  if (name === "" || name === "no") return undefined;
  return name === "on-failure" && count > 0 ? `on-failure:${count}` : name;
}

/** PortBindings `{"80/tcp": [{HostIp, HostPort}]}` as `-p [IP:][HOST:]CTR/proto` specs. */
function publish(v: unknown): string[] | undefined {
  const field = "HostConfig.PortBindings";
  const bindings = object(v, field);
  if (bindings === undefined) return undefined;
  const specs: string[] = [];
  for (const [key, list] of Object.entries(bindings)) {
    const m = /^(\d{1,5})(?:\/([a-z]+))?$/.exec(key);
    if (!m)
      throw bad(field, `${JSON.stringify(key)} is not PORT/PROTOCOL (ranges are not supported)`);
    const [, ctr, proto = "tcp"] = m;
    if (proto !== "tcp" && proto !== "udp")
      throw bad(field, `${JSON.stringify(key)}: berth publishes tcp and udp ports only`);
    if (list === null) continue;
    if (!Array.isArray(list)) throw bad(`${field}.${key}`, "an array of bindings is expected");
    for (const [i, b] of list.entries()) {
      const at = `${field}.${key}[${i}]`;
      const binding = object(b, at) ?? {};
      refuseUnknown(binding, new Set(["HostIp", "HostPort"]), `${at}.`);
      const ip = str(binding["HostIp"], `${at}.HostIp`) ?? "";
      const host = str(binding["HostPort"], `${at}.HostPort`) ?? "";
      if (!/^\d*$/.test(host))
        throw bad(
          `${at}.HostPort`,
          `${JSON.stringify(host)} is not a port (ranges are not supported)`,
        );
      const hostIp = ip.includes(":") ? `[${ip}]` : ip;
      const prefix = hostIp !== "" ? `${hostIp}:${host}:` : host !== "" ? `${host}:` : "";
      specs.push(`${prefix}${ctr}/${proto}`);
    }
  }
  return nonEmpty(specs);
}

/** NetworkMode: "default" and "" are berth's default; named networks and container: are not offered. */
function network(v: unknown): string | undefined {
  const mode = str(v, "HostConfig.NetworkMode");
  if (mode === undefined || mode === "" || mode === "default") return undefined;
  if (mode === "bridge" || mode === "host" || mode === "none") return mode;
  throw bad(
    "HostConfig.NetworkMode",
    `${JSON.stringify(mode)}: berth offers bridge, host and none (no user-defined networks or container:)`,
  );
}

function tmpfs(v: unknown): string[] | undefined {
  const mounts = stringMap(v, "HostConfig.Tmpfs");
  if (mounts === undefined) return undefined;
  return nonEmpty(Object.entries(mounts).map(([path, opts]) => (opts ? `${path}:${opts}` : path)));
}

function ulimits(v: unknown): BerthCreateBody["ulimits"] {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v))
    throw bad("HostConfig.Ulimits", "an array of {Name, Soft, Hard} is expected");
  const limits: Partial<Record<UlimitName, RlimitPair>> = {};
  for (const [i, u] of v.entries()) {
    const at = `HostConfig.Ulimits[${i}]`;
    const limit = object(u, at) ?? {};
    const name = str(limit["Name"], `${at}.Name`) ?? "";
    if (!isUlimitName(name))
      throw bad(`${at}.Name`, `${JSON.stringify(name)} is not a ulimit name`);
    const soft = int(limit["Soft"], `${at}.Soft`) ?? 0;
    const hard = int(limit["Hard"], `${at}.Hard`) ?? 0;
    limits[name] = { soft, hard };
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}

function seccomp(v: unknown): "unconfined" | undefined {
  const opts = nonEmpty(strings(v, "HostConfig.SecurityOpt"));
  if (opts === undefined) return undefined;
  for (const opt of opts) {
    if (opt !== "seccomp=unconfined" && opt !== "seccomp:unconfined")
      throw bad(
        "HostConfig.SecurityOpt",
        `${JSON.stringify(opt)} is not supported: berth offers only seccomp=unconfined`,
      );
  }
  return "unconfined";
}

/** The HostConfig fields of the berth body. */
function hostConfig(v: unknown): Partial<BerthCreateBody> {
  const hc = object(v, "HostConfig");
  if (hc === undefined) return {};
  // The CLI sends -1 for "not set"; nothing else of it can be honoured.
  const ignore = hc["MemorySwappiness"] === -1 ? { MemorySwappiness: -1 } : {};
  refuseUnknown(hc, HOST_CONFIG_KEYS, "HostConfig.", ignore);
  const memorySwap = int(hc["MemorySwap"], "HostConfig.MemorySwap", -1);
  const nanoCpus = int(hc["NanoCpus"], "HostConfig.NanoCpus");
  return defined({
    autoRemove: bool(hc["AutoRemove"], "HostConfig.AutoRemove") || undefined,
    restart: restart(hc["RestartPolicy"]),
    volumes: nonEmpty(strings(hc["Binds"], "HostConfig.Binds")),
    publish: publish(hc["PortBindings"]),
    network: network(hc["NetworkMode"]),
    memory: int(hc["Memory"], "HostConfig.Memory") || undefined,
    memorySwap: memorySwap === 0 ? undefined : memorySwap,
    cpus: nanoCpus ? nanoCpus / 1e9 : undefined,
    cpuShares: int(hc["CpuShares"], "HostConfig.CpuShares") || undefined,
    capAdd: nonEmpty(strings(hc["CapAdd"], "HostConfig.CapAdd")),
    capDrop: nonEmpty(strings(hc["CapDrop"], "HostConfig.CapDrop")),
    privileged: bool(hc["Privileged"], "HostConfig.Privileged") || undefined,
    readOnly: bool(hc["ReadonlyRootfs"], "HostConfig.ReadonlyRootfs") || undefined,
    tmpfs: tmpfs(hc["Tmpfs"]),
    dns: nonEmpty(strings(hc["Dns"], "HostConfig.Dns")),
    ulimits: ulimits(hc["Ulimits"]),
    // null leaves berth's default; 0 and -1 are no limit in both APIs.
    pidsLimit: int(hc["PidsLimit"], "HostConfig.PidsLimit", -1),
    seccomp: seccomp(hc["SecurityOpt"]),
  });
}

/** ExposedPorts `{"80/tcp": {}}`: checked, then left to the image and the published ports. */
function checkExposedPorts(v: unknown) {
  const ports = object(v, "ExposedPorts");
  for (const key of Object.keys(ports ?? {})) {
    if (!/^\d{1,5}(?:\/[a-z]+)?$/.test(key))
      throw bad("ExposedPorts", `${JSON.stringify(key)} is not PORT/PROTOCOL`);
  }
}

/**
 * berth's create body for a Docker create request: `body` as sent to
 * `POST /containers/create`, `name` from its `name` query parameter. Zero
 * fields are skipped; malformed ones, and ones berth cannot honour, are
 * refused with InvalidArgError naming the field. The result is still
 * checked by berth's own schema and service, as any create body is.
 */
export function createBodyFromDocker(body: unknown, name: string | undefined): BerthCreateBody {
  if (!isObject(body)) throw new InvalidArgError("the create body must be a JSON object");
  refuseUnknown(body, CONFIG_KEYS, "");
  const image = str(body["Image"], "Image");
  if (image === undefined || image === "") throw bad("Image", "an image is required");
  for (const key of ["AttachStdin", "AttachStdout", "AttachStderr", "StdinOnce"])
    bool(body[key], key);
  checkExposedPorts(body["ExposedPorts"]);
  // Volumes' meaning is in its keys (each value is {}), so its zero is an empty map.
  const anonymous = Object.keys(object(body["Volumes"], "Volumes") ?? {});
  if (anonymous.length > 0)
    throw new InvalidArgError(
      `Volumes.${anonymous[0]} is not supported by berth: anonymous volumes are not offered; name a volume or bind a path in HostConfig.Binds`,
    );
  const networking = object(body["NetworkingConfig"], "NetworkingConfig");
  if (networking !== undefined) refuseUnknown(networking, new Set(), "NetworkingConfig.");
  const workingDir = nonBlank(str(body["WorkingDir"], "WorkingDir"));
  if (workingDir !== undefined && !workingDir.startsWith("/"))
    throw bad("WorkingDir", `${JSON.stringify(workingDir)} is not an absolute path`);
  const labels = stringMap(body["Labels"], "Labels");
  const stopTimeout = int(body["StopTimeout"], "StopTimeout");
  return defined({
    image,
    // Docker's names are written with a leading slash, and moby takes one in the query too.
    name: nonBlank(name?.replace(/^\//, "")),
    command: command(body["Cmd"]),
    entrypoint: entrypoint(body["Entrypoint"]),
    env: env(body["Env"]),
    workingDir,
    user: nonBlank(str(body["User"], "User")),
    labels: labels !== undefined && Object.keys(labels).length > 0 ? { ...labels } : undefined,
    terminal: bool(body["Tty"], "Tty") || undefined,
    stdin: bool(body["OpenStdin"], "OpenStdin") || undefined,
    stopSignal: nonBlank(str(body["StopSignal"], "StopSignal")),
    stopTimeout,
    hostname: nonBlank(str(body["Hostname"], "Hostname")),
    ...healthcheck(body["Healthcheck"]),
    ...hostConfig(body["HostConfig"]),
  }) as BerthCreateBody;
}
