/**
 * A running container's processes as `podman top` shows them by default
 * (`user pid ppid pcpu etime tty time args`), plus the `group` column, read
 * from /proc. runc names the pids (`runc ps`), so only the container's own
 * processes are ever read.
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { OciRuntimeError } from "../errors.js";
import { idNames, readIdNames, type IdNames } from "./id-names.js";

/** Clock ticks per second of /proc's times; Linux exports USER_HZ as 100 on every arch berth runs on. */
const TICKS = 100;

/** Podman's default descriptors' headers, in their order. */
export const TOP_HEADERS = ["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"];

/** Every column top answers: Podman's default ones, then those only a descriptor asks for. */
export const TOP_ALL_HEADERS = [...TOP_HEADERS, "GROUP"];

/** The fields of /proc/<pid>/stat that top needs. */
export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  ttyNr: number;
  /** utime + stime, in ticks. */
  cpuTicks: number;
  /** Since boot, in ticks. */
  startTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name sits in parentheses and may hold
 * spaces and parentheses itself, so the fields are counted from its last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${text.slice(0, 80)}`);
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const field = (n: number): number => {
    const value = Number(rest[n - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc stat field ${n} is missing`);
    return value;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: field(4),
    ttyNr: field(7),
    cpuTicks: field(14) + field(15),
    startTicks: field(22),
  };
}

/** A process's effective ids, as Podman's `user` and `group` descriptors show them. */
export interface ProcIds {
  uid?: number;
  gid?: number;
}

/**
 * The effective uid and gid from /proc/<pid>/status (the second of each
 * `Uid:`/`Gid:` line's real, effective, saved and filesystem ids); undefined
 * where a line is missing.
 */
export function parseStatusIds(text: string): ProcIds {
  const effective = (key: string) => {
    const match = new RegExp(`^${key}:\\s+\\d+\\s+(\\d+)`, "m").exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  const uid = effective("Uid");
  const gid = effective("Gid");
  return { ...(uid !== undefined && { uid }), ...(gid !== undefined && { gid }) };
}

/** A terminal device number as ps names it; 0 is no terminal (`?`). */
export function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return "?";
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return `tty${minor}`;
  return `${major}:${minor}`;
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** Seconds as ps's `[[DD-]HH:]MM:SS` (etime) or, with `hours`, `[DD-]HH:MM:SS` (time). */
export function formatDuration(seconds: number, hours = false): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const clock = `${pad(m)}:${pad(s % 60)}`;
  const prefix = days > 0 ? `${days}-` : "";
  return days > 0 || h > 0 || hours ? `${prefix}${pad(h)}:${clock}` : clock;
}

/** A /proc/<pid>/cmdline as words; a kernel thread's is empty and shows as `[comm]`. */
export function commandLine(cmdline: string, comm: string): string {
  const words = cmdline.split("\0").filter((w, i, all) => w !== "" || i < all.length - 1);
  return words.length === 0 ? `[${comm}]` : words.join(" ");
}

/**
 * One row of top, as strings in TOP_ALL_HEADERS order; user and group are
 * named by `names` (the container's files), else shown as numbers.
 */
export function topRow(
  stat: ProcStat,
  ids: ProcIds,
  cmdline: string,
  uptime: number,
  names: IdNames = idNames(),
) {
  const elapsed = uptime - stat.startTicks / TICKS;
  const cpu = stat.cpuTicks / TICKS;
  const pcpu = elapsed > 0 ? (cpu / elapsed) * 100 : 0;
  return [
    names.user(ids.uid),
    String(stat.pid),
    String(stat.ppid),
    pcpu.toFixed(3),
    formatDuration(elapsed),
    ttyName(stat.ttyNr),
    formatDuration(cpu, true),
    commandLine(cmdline, stat.comm),
    names.group(ids.gid),
  ];
}

/** Reads one process's row; undefined when it exited meanwhile (its /proc entry is gone). */
async function readRow(pid: number, uptime: number, names: IdNames): Promise<string[] | undefined> {
  try {
    const [stat, status, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, "utf8"),
      readFile(`/proc/${pid}/status`, "utf8"),
      readFile(`/proc/${pid}/cmdline`, "utf8"),
    ]);
    return topRow(parseProcStat(stat), parseStatusIds(status), cmdline, uptime, names);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** A process that exited between listing and reading leaves ENOENT or ESRCH behind. */
export function isGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ESRCH";
}

/** Parses `runc ps --format json`: a JSON array of pids (null when there are none). */
export function parseRuncPids(stdout: string): number[] {
  const parsed: unknown = JSON.parse(stdout.trim() === "" ? "null" : stdout);
  if (parsed === null) return [];
  if (!Array.isArray(parsed) || !parsed.every((p) => Number.isInteger(p) && (p as number) > 0)) {
    throw new OciRuntimeError(`runc ps: unexpected output ${stdout.slice(0, 200)}`);
  }
  return parsed as number[];
}

/**
 * The container's processes, pid order, from runc's list of its cgroup's
 * pids; users and groups named from the passwd and group files in `rootfs`.
 */
export async function readTop(
  runcPath: string,
  runcRoot: string,
  id: string,
  rootfs: string,
): Promise<{ headers: string[]; processes: string[][] }> {
  const ps = await execa(runcPath, ["--root", runcRoot, "ps", "--format", "json", id], {
    reject: false,
    stdin: "ignore",
    timeout: 10_000,
  });
  if (ps.failed) throw new OciRuntimeError(`runc ps ${id}: ${ps.stderr || ps.shortMessage}`);
  const pids = parseRuncPids(ps.stdout).sort((a, b) => a - b);
  const uptime = Number((await readFile("/proc/uptime", "utf8")).split(" ")[0]);
  const names = await readIdNames(rootfs);
  const rows = await Promise.all(pids.map((pid) => readRow(pid, uptime, names)));
  return { headers: TOP_ALL_HEADERS, processes: rows.filter((r) => r !== undefined) };
}
