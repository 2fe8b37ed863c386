import { describe, expect, it } from "vitest";
import {
  commandLine,
  formatDuration,
  parseBlkioV1,
  parseCpuStatV2,
  parseIoStatV2,
  parseMemLimit,
  parseNetDev,
  parseProcCgroup,
  parseProcStat,
  parseRuncPids,
  idNames,
  parseStatusIds,
  statsLine,
  topRow,
  ttyName,
  type CgroupReading,
} from "../../src/effects/index.js";
import { humanSize, statsTable, topColumns, topTable } from "../../src/cli/top-stats-verbs.js";

/** A /proc/<pid>/stat line with the fields top reads set, the rest zero. */
function statLine(pid: number, comm: string, f: Record<number, number>): string {
  const fields = Array.from({ length: 50 }, (_, i) => String(f[i + 3] ?? 0));
  fields[0] = "S";
  return `${pid} (${comm}) ${fields.join(" ")}\n`;
}

describe("parseProcStat", () => {
  it("counts fields from the last parenthesis, so a command name with spaces and parentheses parses", () => {
    const text = statLine(42, "we (ird) name", { 4: 7, 7: 34816, 14: 150, 15: 50, 22: 12345 });
    expect(parseProcStat(text)).toEqual({
      pid: 42,
      comm: "we (ird) name",
      ppid: 7,
      ttyNr: 34816,
      cpuTicks: 200,
      startTicks: 12345,
    });
  });

  it("refuses a line without a command name", () => {
    expect(() => parseProcStat("12 S 1 2")).toThrow(/not a \/proc stat line/);
  });

  it("refuses a truncated line", () => {
    expect(() => parseProcStat("12 (sh) S 1")).toThrow(/field/);
  });
});

describe("top columns", () => {
  it("reads the effective uid and gid from status, as Podman's user and group descriptors show them", () => {
    expect(
      parseStatusIds("Name:\tsh\nUid:\t1000\t1001\t1000\t1000\nGid:\t50\t51\t50\t50\n"),
    ).toEqual({ uid: 1001, gid: 51 });
    expect(parseStatusIds("Name:\tsh\n")).toEqual({});
  });

  it("names terminals as ps does", () => {
    expect(ttyName(0)).toBe("?");
    expect(ttyName((136 << 8) | 3)).toBe("pts/3");
    expect(ttyName((4 << 8) | 1)).toBe("tty1");
  });

  it("formats elapsed and cpu time as ps's etime and time", () => {
    expect(formatDuration(65)).toBe("01:05");
    expect(formatDuration(3725)).toBe("01:02:05");
    expect(formatDuration(90_061)).toBe("1-01:01:01");
    expect(formatDuration(5, true)).toBe("00:00:05");
    expect(formatDuration(-3)).toBe("00:00");
  });

  it("joins cmdline's words and shows a kernel thread's name in brackets", () => {
    expect(commandLine("sleep\x00100\x00", "sleep")).toBe("sleep 100");
    expect(commandLine("sh\x00-c\x00\x00", "sh")).toBe("sh -c ");
    expect(commandLine("", "kworker")).toBe("[kworker]");
  });

  it("works out %CPU over the process's life", () => {
    // Started 10 s after boot, uptime 20 s: 10 s of life, 5 s of CPU.
    const stat = parseProcStat(statLine(9, "x", { 4: 1, 14: 300, 15: 200, 22: 1000 }));
    expect(topRow(stat, { uid: 0, gid: 0 }, "x\x00", 20)).toEqual([
      "0",
      "9",
      "1",
      "50.000",
      "00:10",
      "?",
      "00:00:05",
      "x",
      "0",
    ]);
    expect(topRow(stat, {}, "x\x00", 20)[0]).toBe("?");
  });

  it("names user and group from the container's entries, and an id without one by its number", () => {
    const stat = parseProcStat(statLine(9, "x", {}));
    const names = idNames(
      [
        { name: "app", uid: 1000, gid: 1000, home: "/" },
        { name: "shadowed", uid: 1000, gid: 1000, home: "/" },
      ],
      [{ name: "staff", gid: 50, members: [] }],
    );
    const row = topRow(stat, { uid: 1000, gid: 50 }, "x\x00", 0, names);
    expect([row[0], row[8]]).toEqual(["app", "staff"]);
    const unnamed = topRow(stat, { uid: 1, gid: 1 }, "x\x00", 0, names);
    expect([unnamed[0], unnamed[8]]).toEqual(["1", "1"]);
  });

  it("parses runc ps's pids and refuses anything else", () => {
    expect(parseRuncPids("[3,1,2]\n")).toEqual([3, 1, 2]);
    expect(parseRuncPids("null")).toEqual([]);
    expect(parseRuncPids("")).toEqual([]);
    expect(() => parseRuncPids('["1"]')).toThrow(/unexpected output/);
    expect(() => parseRuncPids("[0]")).toThrow(/unexpected output/);
  });

  it("chooses columns by Podman's descriptors and refuses unknown ones", () => {
    expect(topColumns([]).join(" ")).toBe("USER PID PPID %CPU ELAPSED TTY TIME COMMAND");
    expect(topColumns(["user,group"])).toEqual(["USER", "GROUP"]);
    expect(topColumns(["pid,args", "user"])).toEqual(["PID", "COMMAND", "USER"]);
    expect(() => topColumns(["pid", "rm -rf"])).toThrow(/unknown top descriptor/);
    const text = topTable({ headers: ["PID", "COMMAND"], processes: [["1", "sleep\x1b[2J 1"]] }, [
      "COMMAND",
      "PID",
    ]);
    expect(text.split("\n")[1]).toBe("sleep\\x1b[2J 1  1");
  });
});

describe("cgroup parsers", () => {
  it("maps each v1 controller to its path and finds the v2 path", () => {
    const paths = parseProcCgroup(
      "12:pids:/berth/abc\n4:cpu,cpuacct:/berth/abc\n1:name=systemd:/x\n0::/unified\n",
    );
    expect(paths.v1.get("cpuacct")).toBe("/berth/abc");
    expect(paths.v1.get("cpu")).toBe("/berth/abc");
    expect(paths.v1.get("pids")).toBe("/berth/abc");
    expect(paths.v2).toBe("/unified");
  });

  it("sums rx and tx bytes of every interface except loopback", () => {
    const text = [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo:  999 9 0 0 0 0 0 0  999 9 0 0 0 0 0 0",
      "  eth0: 1000 5 0 0 0 0 0 0  200 2 0 0 0 0 0 0",
      "  eth1:   24 1 0 0 0 0 0 0    6 1 0 0 0 0 0 0",
    ].join("\n");
    expect(parseNetDev(text)).toEqual({ rx: 1024, tx: 206 });
  });

  it("sums block reads and writes of v1 and v2 files", () => {
    expect(
      parseBlkioV1("8:0 Read 4096\n8:0 Write 10\n8:16 Read 4\n8:0 Total 4110\nTotal 4110\n"),
    ).toEqual({
      read: 4100,
      write: 10,
    });
    expect(
      parseIoStatV2("8:0 rbytes=100 wbytes=7 rios=1 wios=1\n8:16 rbytes=1 wbytes=2\n"),
    ).toEqual({
      read: 101,
      write: 9,
    });
  });

  it("reads v2 CPU usage in nanoseconds", () => {
    expect(parseCpuStatV2("usage_usec 1500\nuser_usec 1000\n")).toBe(1_500_000);
    expect(parseCpuStatV2("")).toBe(0);
  });

  it("shows no memory limit as the host's memory", () => {
    expect(parseMemLimit("67108864\n", 1e12)).toBe(67_108_864);
    expect(parseMemLimit("max\n", 8e9)).toBe(8e9);
    expect(parseMemLimit("9223372036854771712\n", 8e9)).toBe(8e9);
    expect(parseMemLimit("garbage", 8e9)).toBe(8e9);
  });
});

describe("stats lines", () => {
  const reading = (cpuNanos: number, at: bigint): CgroupReading => ({
    cpuNanos,
    memUsage: 16e6,
    memLimit: 64e6,
    pids: 2,
    netRx: 1500,
    netTx: 20,
    blockRead: 0,
    blockWrite: 4096,
    at,
  });

  it("rates CPU over the wall time between readings", () => {
    const line = statsLine("id", "n", reading(1e9, 0n), reading(1.5e9, 1_000_000_000n));
    expect(line.cpuPercent).toBeCloseTo(50, 10);
    expect(line.memPercent).toBeCloseTo(25, 10);
    expect(statsLine("id", "n", reading(5, 7n), reading(5, 7n)).cpuPercent).toBe(0);
  });

  it("prints Podman's stats table with decimal sizes", () => {
    expect(humanSize(999)).toBe("999B");
    expect(humanSize(67_108_864)).toBe("67.1MB");
    expect(humanSize(1500)).toBe("1.5kB");
    const line = statsLine("0123456789abcdef", "web", reading(0, 0n), reading(2e8, 1_000_000_000n));
    const [header, row] = statsTable([line]).split("\n");
    expect(header).toMatch(
      /^ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET IO\s+BLOCK IO\s+PIDS$/,
    );
    expect(row).toMatch(
      /^0123456789ab\s+web\s+20\.00%\s+16MB \/ 64MB\s+25\.00%\s+1\.5kB \/ 20B\s+0B \/ 4\.1kB\s+2$/,
    );
  });
});
