/**
 * A running container's resource use, as `podman stats` shows it: read from
 * the cgroup its init process is in (cgroup v1 controllers, or the unified v2
 * hierarchy) and from its network namespace's /proc/<pid>/net/dev.
 */
import { readFile } from "node:fs/promises";
import { totalmem } from "node:os";
import { join } from "node:path";

/** Where the cgroup hierarchies are mounted on the host. */
const CGROUP_MOUNT = "/sys/fs/cgroup";

/** One reading of a container's counters, before any rate is worked out. */
export interface CgroupReading {
  /** CPU time used since the container began, in nanoseconds. */
  cpuNanos: number;
  memUsage: number;
  /** The memory limit; the host's memory when the cgroup sets none. */
  memLimit: number;
  pids: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  /** When it was read (process.hrtime, nanoseconds). */
  at: bigint;
}

/** What /proc/<pid>/cgroup says: each v1 controller's path, and the v2 path if any. */
export interface CgroupPaths {
  v1: Map<string, string>;
  v2: string | undefined;
}

/** Parses /proc/<pid>/cgroup (`id:controllers:path` lines; v2's has empty controllers). */
export function parseProcCgroup(text: string): CgroupPaths {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (controllers === "") v2 = path;
    else for (const c of controllers.split(",")) v1.set(c, path);
  }
  return { v1, v2 };
}

/** Sums the rx and tx bytes of every interface but loopback in a /proc/net/dev table. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === "lo") continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    rx += fields[0] ?? 0;
    tx += fields[8] ?? 0;
  }
  return { rx, tx };
}

/** Sums reads and writes of a v1 blkio.throttle.io_service_bytes table (`8:0 Read 4096`). */
export function parseBlkioV1(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    const [, op, value] = line.trim().split(/\s+/);
    if (op === "Read") read += Number(value);
    else if (op === "Write") write += Number(value);
  }
  return { read, write };
}

/** Sums rbytes and wbytes of a v2 io.stat (`8:0 rbytes=4096 wbytes=0 ...`). */
export function parseIoStatV2(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of text.matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (m[1] === "r") read += Number(m[2]);
    else write += Number(m[2]);
  }
  return { read, write };
}

/** A v2 cpu.stat's usage, in nanoseconds (the file counts microseconds). */
export function parseCpuStatV2(text: string): number {
  const match = /^usage_usec (\d+)/m.exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]) * 1000;
}

/**
 * A memory limit as the cgroup writes it: v2's `max`, or v1's page-rounded
 * 2^63, mean none, which Podman shows as the host's memory.
 */
export function parseMemLimit(text: string, host = totalmem()): number {
  const trimmed = text.trim();
  if (trimmed === "max") return host;
  const value = Number(trimmed);
  return Number.isFinite(value) && value < host ? value : host;
}

/** A counter file's number; a file the host's cgroup setup lacks reads as 0. */
async function counter(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENODEV" || code === "EOPNOTSUPP") return undefined;
    throw err;
  }
}

const num = (text: string | undefined): number => (text === undefined ? 0 : Number(text.trim()));

/** An error as a vanished process leaves it, so callers treat both alike. */
const gone = (pid: number) =>
  Object.assign(new Error(`process ${pid} is no longer the container's`), { code: "ESRCH" });

/**
 * Reads the counters of the cgroup `pid` is in, which must be `berth/<id>`
 * (runc's cgroupsPath): a pid the kernel handed to another process after the
 * container's exit is not read. Throws ENOENT/ESRCH when the process exited
 * (callers treat that as a container no longer running).
 */
export async function readCgroupStats(pid: number, id: string): Promise<CgroupReading> {
  const paths = parseProcCgroup(await readFile(`/proc/${pid}/cgroup`, "utf8"));
  const own = `/berth/${id}`;
  if (![...paths.v1.values(), paths.v2].some((p) => p?.endsWith(own))) throw gone(pid);
  const net = parseNetDev(await readFile(`/proc/${pid}/net/dev`, "utf8"));
  const at = process.hrtime.bigint();
  const v1 = (controller: string, file: string): string | undefined => {
    const path = paths.v1.get(controller);
    return path === undefined ? undefined : join(CGROUP_MOUNT, controller, path, file);
  };
  const memoryV1 = v1("memory", "");
  if (memoryV1 !== undefined || paths.v2 === undefined) {
    const at1 = (c: string, f: string) => {
      const p = v1(c, f);
      return p === undefined ? Promise.resolve(undefined) : counter(p);
    };
    const [cpu, usage, limit, pids, blkio] = await Promise.all([
      at1("cpuacct", "cpuacct.usage"),
      at1("memory", "memory.usage_in_bytes"),
      at1("memory", "memory.limit_in_bytes"),
      at1("pids", "pids.current"),
      at1("blkio", "blkio.throttle.io_service_bytes"),
    ]);
    const block = parseBlkioV1(blkio ?? "");
    return {
      cpuNanos: num(cpu),
      memUsage: num(usage),
      memLimit: parseMemLimit(limit ?? "max"),
      pids: num(pids),
      netRx: net.rx,
      netTx: net.tx,
      blockRead: block.read,
      blockWrite: block.write,
      at,
    };
  }
  const dir = join(CGROUP_MOUNT, paths.v2);
  const [cpu, usage, limit, pids, io] = await Promise.all(
    ["cpu.stat", "memory.current", "memory.max", "pids.current", "io.stat"].map((f) =>
      counter(join(dir, f)),
    ),
  );
  const block = parseIoStatV2(io ?? "");
  return {
    cpuNanos: parseCpuStatV2(cpu ?? ""),
    memUsage: num(usage),
    memLimit: parseMemLimit(limit ?? "max"),
    pids: num(pids),
    netRx: net.rx,
    netTx: net.tx,
    blockRead: block.read,
    blockWrite: block.write,
    at,
  };
}

/** One line of `stats`: a reading with its rates worked out against an earlier one. */
export interface ContainerStats {
  id: string;
  name: string;
  /** CPU use over the interval, percent of one CPU (above 100 when several are busy). */
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  netInput: number;
  netOutput: number;
  blockInput: number;
  blockOutput: number;
  pids: number;
}

/** The stats line of `now` against `before` (the same container's earlier reading). */
export function statsLine(
  id: string,
  name: string,
  before: CgroupReading,
  now: CgroupReading,
): ContainerStats {
  const wall = Number(now.at - before.at);
  const cpu = now.cpuNanos - before.cpuNanos;
  return {
    id,
    name,
    cpuPercent: wall > 0 && cpu > 0 ? (cpu / wall) * 100 : 0,
    memUsage: now.memUsage,
    memLimit: now.memLimit,
    memPercent: now.memLimit > 0 ? (now.memUsage / now.memLimit) * 100 : 0,
    netInput: now.netRx,
    netOutput: now.netTx,
    blockInput: now.blockRead,
    blockOutput: now.blockWrite,
    pids: now.pids,
  };
}
