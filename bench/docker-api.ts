/**
 * One container lifecycle (create, start, pause, unpause, kill, wait, delete)
 * over the Docker Engine API, against berth (`berth serve --docker-socket`)
 * and against Podman's Docker-compatible service (`podman system service`),
 * in the same run, on the same busybox root filesystem, with the same client
 * code, so the difference is the server. Sequential rounds alternate which
 * server goes first; then each server runs 8 drivers in parallel, in
 * alternating batches, counted in lifecycles per second.
 *
 * Podman is podman-service.ts's (storage of its own, runc). Both sides
 * create with `NetworkMode: none`: berth's bench daemon has no bridge, and
 * Podman's bridge would add netavark to its column.
 * Without podman on the PATH, Podman's column is skipped with the reason.
 *
 *   npm run bench:docker     (BENCH_ROUNDS=N sequential rounds, BENCH_C8_ROUNDS=N batches)
 */
import { readFile, rm } from "node:fs/promises";
import { Agent } from "node:http";
import { join } from "node:path";
import { busyboxTar, startBerth, tempDir } from "../src/harness/index.js";
import { podmanOrReason, type Podman } from "./podman-service.js";
import { median, printTable, timed } from "./stats.js";
import { unixCall, type Answer, type UnixServer } from "./unix-http.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const C8_ROUNDS = Number(process.env.BENCH_C8_ROUNDS ?? 3);
const CONCURRENCY = 8;
/** Lifecycles each driver runs in one concurrent batch. */
const PER_DRIVER = 3;
const TARGET_SEQ = 4;
const TARGET_C8 = 3;
const OPS = ["create", "start", "pause", "unpause", "kill", "wait", "delete"] as const;
const CREATE_BODY = JSON.stringify({
  Image: "busybox",
  Cmd: ["sleep", "1000"],
  HostConfig: { NetworkMode: "none" },
});

/** A Docker API server the bench drives, and its pid. */
interface Target extends UnixServer {
  pid: number;
}

/** CPU time of a process in ms: its own, and that of the children it has waited for (runc, mount). */
interface CpuTime {
  self: number;
  children: number;
}

/** From /proc/PID/stat: utime, stime, cutime and cstime, in clock ticks of 10 ms. */
async function cpuTime(pid: number): Promise<CpuTime> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces), from field 3 on.
  const f = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  const tick = 1000 / CLOCK_TICKS;
  return { self: (f[11]! + f[12]!) * tick, children: (f[13]! + f[14]!) * tick };
}
const CLOCK_TICKS = 100;

/** One request on the Docker API's version path. */
function call(t: Target, method: string, path: string, body?: string): Promise<Answer> {
  return unixCall(t, method, `/v1.47${path}`, body);
}

/** One lifecycle, each operation timed under its name, the whole under `lifecycle`. */
async function lifecycle(t: Target, samples: Map<string, number[]>): Promise<void> {
  const t0 = performance.now();
  const created = await timed(samples, "create", () =>
    call(t, "POST", "/containers/create", CREATE_BODY),
  );
  const id = (JSON.parse(created.body) as { Id: string }).Id;
  for (const op of ["start", "pause", "unpause", "kill"] as const)
    await timed(samples, op, () => call(t, "POST", `/containers/${id}/${op}`));
  const waited = await timed(samples, "wait", () => call(t, "POST", `/containers/${id}/wait`));
  const code = (JSON.parse(waited.body) as { StatusCode: number }).StatusCode;
  // Podman's kill of SIGKILL waits for the exit itself (berth's returns once signalled), so the
  // pair is what compares.
  const killed = samples.get("kill") ?? [];
  const waitedMs = samples.get("wait") ?? [];
  samples.set("kill+wait", [
    ...(samples.get("kill+wait") ?? []),
    killed[killed.length - 1]! + waitedMs[waitedMs.length - 1]!,
  ]);
  if (code !== 137) throw new Error(`${t.label}: wait gave ${code}, not 137 (SIGKILL)`);
  await timed(samples, "delete", () => call(t, "DELETE", `/containers/${id}`));
  samples.set("lifecycle", [...(samples.get("lifecycle") ?? []), performance.now() - t0]);
}

/** Lifecycles per second with CONCURRENCY drivers, PER_DRIVER lifecycles each. */
async function concurrentBatch(t: Target): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < PER_DRIVER; i++) await lifecycle(t, new Map());
    }),
  );
  return (CONCURRENCY * PER_DRIVER) / ((performance.now() - t0) / 1000);
}

const target = (label: string, socket: string, pid: number): Target => ({
  label,
  socket,
  agent: new Agent({ keepAlive: true }),
  pid,
});

async function main() {
  const socketDir = await tempDir("berth-bench-docker-");
  const dockerSocket = join(socketDir, "docker.sock");
  const berth = await startBerth({ host: "bench", args: ["--docker-socket", dockerSocket] });
  let podman: Podman | string = "not started";
  try {
    await berth.ok("image", "import", busyboxTar(), "busybox");
    podman = await podmanOrReason();
    const pid = berth.pid();
    if (pid === undefined) throw new Error("the berth daemon is not running");
    const targets = [target("berth", dockerSocket, pid)];
    if (typeof podman !== "string") targets.push(target("podman", podman.socket, podman.pid));
    const seq = new Map(targets.map((t) => [t.label, new Map<string, number[]>()]));
    // One warm-up lifecycle each, not counted.
    for (const t of targets) await lifecycle(t, new Map());
    const cpuBefore = await Promise.all(targets.map((t) => cpuTime(t.pid)));
    for (let i = 0; i < ROUNDS; i++) {
      // Which server goes first alternates, so neither always follows the other's teardown.
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) await lifecycle(t, seq.get(t.label)!);
    }
    // Less at the mercy of a busy machine than the wall clock: what each server itself spent.
    const cpuAfter = await Promise.all(targets.map((t) => cpuTime(t.pid)));
    const cpu = new Map(
      targets.map((t, i) => [
        t.label,
        {
          self: (cpuAfter[i]!.self - cpuBefore[i]!.self) / ROUNDS,
          children: (cpuAfter[i]!.children - cpuBefore[i]!.children) / ROUNDS,
        },
      ]),
    );
    const c8 = new Map(targets.map((t) => [t.label, [] as number[]]));
    for (let i = 0; i < C8_ROUNDS; i++) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) c8.get(t.label)!.push(await concurrentBatch(t));
    }
    report(targets, seq, cpu, c8, podman);
  } finally {
    if (typeof podman !== "string") await podman.stop();
    await berth.stop();
    await rm(socketDir, { recursive: true, force: true });
  }
}

function report(
  targets: Target[],
  seq: Map<string, Map<string, number[]>>,
  cpu: Map<string, CpuTime>,
  c8: Map<string, number[]>,
  podman: Podman | string,
) {
  const out = (s: string) => process.stdout.write(s);
  const med = (label: string, op: string) => median(seq.get(label)?.get(op) ?? []);
  const both = targets.length === 2;
  out(`\nDocker API lifecycle, berth vs Podman, ${ROUNDS} interleaved rounds, medians in ms\n`);
  out(
    typeof podman === "string"
      ? `Podman skipped: ${podman}\n\n`
      : `${podman.version}, runtime ${podman.runtime}; the same client, NetworkMode none on both\n\n`,
  );
  const rows = [...OPS, "kill+wait", "lifecycle"].map((op) => {
    const b = med("berth", op);
    if (!both) return [op, b.toFixed(1)];
    const p = med("podman", op);
    return [op, b.toFixed(1), p.toFixed(1), (p / b).toFixed(2)];
  });
  printTable(
    both ? ["operation", "berth", "podman", "podman/berth"] : ["operation", "berth"],
    rows,
  );
  out(
    `\nCPU per sequential lifecycle, ms (/proc stat, 10 ms ticks; conmon and runc create not counted)\n\n`,
  );
  const cpuRow = (label: string, pick: (c: CpuTime) => number) => {
    const b = pick(cpu.get("berth")!);
    if (!both) return [label, b.toFixed(0)];
    const p = pick(cpu.get("podman")!);
    return [label, b.toFixed(0), p.toFixed(0), (p / b).toFixed(2)];
  };
  printTable(both ? ["", "berth", "podman", "podman/berth"] : ["", "berth"], [
    cpuRow("server process", (c) => c.self),
    cpuRow("its waited children", (c) => c.children),
  ]);
  out(
    `\nconcurrency ${CONCURRENCY}, ${C8_ROUNDS} batches of ${CONCURRENCY * PER_DRIVER} lifecycles each, median lifecycles/s\n\n`,
  );
  const rate = (label: string) => median(c8.get(label) ?? []);
  printTable(both ? ["", "berth", "podman", "berth/podman"] : ["", "berth"], [
    both
      ? [
          "lifecycles/s",
          rate("berth").toFixed(1),
          rate("podman").toFixed(1),
          (rate("berth") / rate("podman")).toFixed(2),
        ]
      : ["lifecycles/s", rate("berth").toFixed(1)],
  ]);
  if (!both) return;
  const seqRatio = med("podman", "lifecycle") / med("berth", "lifecycle");
  const c8Ratio = rate("berth") / rate("podman");
  out(
    `\nsequential: Podman takes ${seqRatio.toFixed(2)}x berth's time (target >= ${TARGET_SEQ}): ${seqRatio >= TARGET_SEQ ? "met" : "NOT met"}\n`,
  );
  out(
    `concurrency ${CONCURRENCY}: berth runs ${c8Ratio.toFixed(2)}x Podman's lifecycles/s (target >= ${TARGET_C8}): ${c8Ratio >= TARGET_C8 ? "met" : "NOT met"}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
