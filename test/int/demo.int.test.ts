/**
 * The README's first command: `npm run demo` runs `node dist/src/demo/main.js`
 * after bootstrap and build. This test runs that program as a user would and
 * judges its output against what the README promises: a container's life
 * printed as NATS JetStream delivers it, every event in order and once, then
 * the history, and nothing left behind on the host.
 */
import { readdir, readFile, readlink, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanRoot, repoRoot, tempDir } from "../../src/harness/index.js";

interface NatsLine {
  subject: string;
  seq: number;
  version: number;
  action: string;
  exitCode?: number;
  signal?: string;
  actor: string;
}

interface HistoryRow {
  version: number;
  seq: number;
  action: string;
  outcome: string;
}

/** A process still alive after the demo, with what ties it to the demo. */
interface Leftover {
  pid: number;
  why: string;
}

// The demo keeps its daemon root and nats-server store in the temporary folder,
// so giving it a folder of its own shows exactly what it left behind.
let work: string;
let result: { exitCode: number | undefined; stdout: string; stderr: string };
let root: string | undefined;
let natsPort: string | undefined;
let id: string | undefined;
let leftovers: Leftover[] = [];
let leftoverMounts: string[] = [];
let leftoverFiles: string[] = [];
let leftoverCgroups: string[] = [];

const NATS_LINE =
  /^\s*\[nats (\S+)\] seq=(\d+) v(\d+) (\S+)(?: exitCode=(-?\d+)| signal=(\S+))? actor=(\S+)$/;

function natsLines(stdout: string): NatsLine[] {
  return stdout.split("\n").flatMap((line) => {
    const m = NATS_LINE.exec(line);
    if (!m) return [];
    return [
      {
        subject: m[1]!,
        seq: Number(m[2]),
        version: Number(m[3]),
        action: m[4]!,
        ...(m[5] !== undefined ? { exitCode: Number(m[5]) } : {}),
        ...(m[6] !== undefined ? { signal: m[6] } : {}),
        actor: m[7]!,
      },
    ];
  });
}

/** The rows of the table printed under `$ berth history <id>`. */
/** The NATS lines of the demo's container (the image's import is not one of them). */
const containerLines = (stdout: string) =>
  natsLines(stdout).filter((l) => id !== undefined && l.subject.includes(`.${id}.`));

function historyRows(stdout: string, container: string): HistoryRow[] {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.trim() === `$ berth history ${container}`);
  if (at < 0) return [];
  const rows: HistoryRow[] = [];
  for (const line of lines.slice(at + 2)) {
    const m = /^(\d+)\s+(\d+)\s+\S+\s+(.+?)\s+(success|failure)\s+\S+$/.exec(line.trim());
    if (!m) break;
    rows.push({
      version: Number(m[1]),
      seq: Number(m[2]),
      action: m[3]!.split(/\s+/)[0]!,
      outcome: m[4]!,
    });
  }
  return rows;
}

/**
 * Every process whose command line, root or working folder points into `dir`,
 * whose arguments name the container `id`, or that is a nats-server on `natsPort`.
 */
async function processesTiedTo(
  dir: string,
  id: string | undefined,
  natsPort: string | undefined,
): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const pid = Number(name);
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0").filter(Boolean);
    const paths = await Promise.all(
      ["root", "cwd"].map((l) => readlink(`/proc/${pid}/${l}`).catch(() => "")),
    );
    const intoDir = [...args, ...paths].some((a) => a.includes(dir));
    const namesId = id !== undefined && args.some((a) => a.includes(id));
    const isNats =
      natsPort !== undefined &&
      args.some((a) => a.endsWith("nats-server")) &&
      args.includes(natsPort);
    if (intoDir || namesId || isNats) found.push({ pid, why: args.join(" ") || paths.join(" ") });
  }
  return found;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map((e) => join(dir, e));
}

beforeAll(async () => {
  work = await tempDir("berth-demo-test-");
  const r = await execa("node", [join(repoRoot(), "dist", "src", "demo", "main.js")], {
    cwd: repoRoot(),
    env: { TMPDIR: work },
    reject: false,
    timeout: 100_000,
  });
  result = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  root = /\(root (\S+)\)/.exec(r.stdout)?.[1];
  natsPort = /nats-server with JetStream on nats:\/\/[^:\s]+:(\d+)/.exec(r.stdout)?.[1];
  id = /^([0-9a-f]{64})$/m.exec(r.stdout)?.[1];

  // Look for leftovers before tidying anything, so the assertions see what the demo really left.
  leftovers = await processesTiedTo(work, id, natsPort);
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  leftoverMounts = mountinfo.split("\n").filter((l) => l.includes(work));
  leftoverFiles = await filesUnder(work);
  leftoverCgroups = id
    ? (await execa("find", ["/sys/fs/cgroup", "-type", "d", "-name", id], { reject: false })).stdout
        .split("\n")
        .filter(Boolean)
    : [];

  // Tidy up after a broken demo, so one failure does not leak into other tests.
  for (const p of leftovers) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (root) await cleanRoot(root);
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("exits 0 without an error", () => {
    expect(result.stderr).not.toMatch(/demo failed/);
    expect(result.exitCode).toBe(0);
    expect(id, "the id printed by create").toBeDefined();
  });

  it("prints the image's import first: image events share the journal and the stream", () => {
    const [first] = natsLines(result.stdout);
    expect(first?.action).toBe("import");
    expect(first?.seq).toBe(1);
    expect(first?.subject).toMatch(/^berth\.[^.]+\.[0-9a-f]{64}\.import$/);
    expect(first?.subject).not.toContain(id);
  });

  it("prints each lifecycle event of the container as JetStream delivers it, in order", () => {
    const lines = containerLines(result.stdout);
    // The facts of create, start, pause, unpause, stop and rm, in the order the
    // README's lifecycle gives them (init precedes start; a stop's exit is died, then cleanup).
    expect(lines.filter((l) => l.action !== "request").map((l) => l.action)).toEqual([
      "create",
      "init",
      "start",
      "pause",
      "unpause",
      "stop",
      "died",
      "cleanup",
      "remove",
    ]);
    // Each command after create is journaled as an intent before its facts.
    const actions = lines.map((l) => l.action);
    for (const first of ["init", "pause", "unpause", "stop", "remove"]) {
      expect(actions[actions.indexOf(first) - 1], `the intent before ${first}`).toBe("request");
    }
    // In order and once: the global sequence counts on from the import's, the container's version 1, 2, 3...
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 2));
    expect(lines.map((l) => l.version)).toEqual(lines.map((_, i) => i + 1));
    // NATS subjects are <prefix>.<host>.<containerId>.<action>, prefix "berth" by default.
    for (const l of lines) {
      expect(l.subject).toMatch(new RegExp(`^berth\\.[^.]+\\.${id}\\.${l.action}$`));
      expect(l.actor).not.toBe("");
    }
    expect(new Set(lines.map((l) => l.subject.split(".")[1])).size).toBe(1);
    // died carries the exit code; the demo's container exits 0 on the SIGTERM that stop sends.
    const died = lines.find((l) => l.action === "died");
    expect(lines.find((l) => l.action === "stop")?.signal).toBe("SIGTERM");
    expect(died?.exitCode).toBe(0);
  });

  it("says how many events were journaled and received, matching the events it printed", () => {
    const seqs = natsLines(result.stdout).map((l) => l.seq);
    const m = /^(\d+) events journaled and received over NATS, in order: ([\d,]+)$/m.exec(
      result.stdout,
    );
    expect(m, "the closing summary line").not.toBeNull();
    expect(Number(m![1])).toBe(seqs.length);
    expect(m![2]!.split(",").map(Number)).toEqual(seqs);
  });

  it("prints the container's history with a version, an action and an outcome for every event", () => {
    const rows = historyRows(result.stdout, id ?? "<no id>");
    const lines = containerLines(result.stdout);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.action)).toEqual(lines.map((l) => l.action));
    expect(rows.map((r) => r.seq)).toEqual(lines.map((l) => l.seq));
    expect(rows.map((r) => r.version)).toEqual(lines.map((l) => l.version));
    expect(rows.every((r) => r.outcome === "success")).toBe(true);
  });

  it("leaves no process, mount, cgroup or temporary folder behind", () => {
    expect(root, "the daemon root printed at start").toBeDefined();
    expect(root!.startsWith(work)).toBe(true);
    expect(natsPort, "the nats-server port printed at start").toBeDefined();
    expect(leftovers).toEqual([]);
    expect(leftoverMounts).toEqual([]);
    expect(leftoverCgroups).toEqual([]);
    expect(leftoverFiles).toEqual([]);
  });
});
