/**
 * The journal's figures, each against a baseline measured in the same run:
 *   - durable appends/s at 1, 8 and 64 concurrent writers, against raw
 *     LevelDB synced batches of the same size at the same concurrency;
 *   - replay (the pure fold) events/s, against a raw LevelDB iteration;
 *   - daemon start time and memory on a root with many containers and events,
 *     against the same daemon on an empty root.
 *
 *   npm run bench:journal   (BENCH_EVENTS, BENCH_CONTAINERS to change the large root)
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { envelope } from "../src/events/index.js";
import { CLI, tempDir } from "../src/harness/index.js";
import { applyFacts, evolve, fact, type Fact } from "../src/machines/index.js";
import { foldJournal } from "../src/service/index.js";
import { LevelJournal } from "../src/store/index.js";
import { median, printTable } from "./stats.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 10_000);
const APPENDS = 2_000;
const meta = { actor: "bench", requestId: "bench" };
const streamId = (n: number) => n.toString(16).padStart(64, "0");

function createFact(n: number) {
  return fact("create", {
    name: `c${n}`,
    image: "busybox",
    command: ["sleep", "1000"],
    stopSignal: "SIGTERM",
    stopTimeout: 10,
    terminal: false,
    stdin: false,
    restartPolicy: { name: "no", maxRetries: 0 },
    requires: [],
    labels: {},
  });
}

/** One container's lifecycle, repeated: the facts a busy container produces. */
const cycle: Fact[] = [
  fact("request", { command: "START", args: {} }),
  fact("init", { pid: 100, conmonPid: 99 }),
  fact("start", { startedAt: new Date(0).toISOString(), restartCount: 0 }),
  fact("request", { command: "STOP", args: {} }),
  fact("stop", { signal: "SIGTERM", timeout: 10, escalated: false }),
  fact("died", { exitCode: 0, exitedAt: new Date(0).toISOString(), oomKilled: false }),
  fact("cleanup", {}),
];

async function appendRate(writers: number): Promise<number> {
  const dir = await tempDir("berth-bench-append-");
  const journal = await LevelJournal.open(dir);
  const perWriter = Math.ceil(APPENDS / writers);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const id = streamId(w + 1);
      const time = new Date().toISOString();
      let record = evolve(undefined, createFact(w), { id, time, version: 1 });
      await journal.append({
        stream: id,
        expectedVersion: 0,
        events: [envelope(createFact(w), { host: "bench", subject: id, time, meta })],
        projection: record,
      });
      for (let i = 0; i < perWriter; i++) {
        const f = fact("request", { command: "SYNC", args: {} });
        const at = { id, time, version: record.version + 1 };
        const next = applyFacts(record, [f], at);
        await journal.append({
          stream: id,
          expectedVersion: record.version,
          events: [envelope(f, { host: "bench", subject: id, time, meta })],
          projection: next,
        });
        record = next;
      }
    }),
  );
  const rate = (perWriter * writers) / ((performance.now() - t0) / 1000);
  await journal.close();
  await rm(dir, { recursive: true, force: true });
  return rate;
}

/** The floor: one synced LevelDB batch per append (event + index + projection + head), no berth. */
async function rawRate(writers: number): Promise<number> {
  const dir = await tempDir("berth-bench-raw-");
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: "utf8", valueEncoding: "utf8" });
  await db.open();
  const value = JSON.stringify({
    ...envelope(createFact(0), { host: "bench", subject: streamId(1), time: "", meta }),
    hash: "0".repeat(64),
  });
  const projection = JSON.stringify(
    evolve(undefined, createFact(0), { id: streamId(1), time: "", version: 1 }),
  );
  const perWriter = Math.ceil(APPENDS / writers);
  let seq = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        seq += 1;
        await db.batch(
          [
            { type: "put", key: `e:${seq}`, value },
            { type: "put", key: `s:${w}:${i}`, value: String(seq) },
            { type: "put", key: `p:${w}`, value: projection },
            { type: "put", key: "m:head", value: String(seq) },
          ],
          { sync: true },
        );
      }
    }),
  );
  const rate = (perWriter * writers) / ((performance.now() - t0) / 1000);
  await db.close();
  await rm(dir, { recursive: true, force: true });
  return rate;
}

/** A root with CONTAINERS exited containers and EVENTS events, written through the journal. */
async function bigRoot(): Promise<string> {
  const root = join(await tempDir("berth-bench-root-"), "root");
  const journal = await LevelJournal.open(join(root, "journal"));
  const perContainer = Math.max(1, Math.floor(EVENTS / CONTAINERS));
  const time = new Date().toISOString();
  let written = 0;
  const BATCH = 50;
  for (let c0 = 0; c0 < CONTAINERS; c0 += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, CONTAINERS - c0) }, async (_, k) => {
        const n = c0 + k;
        const id = streamId(n + 1);
        const facts: Fact[] = [createFact(n)];
        while (facts.length < perContainer) facts.push(...cycle);
        facts.length = perContainer;
        // End exited, so start-up finds nothing for runc to check.
        const record = applyFacts(
          evolve(undefined, facts[0]!, { id, time, version: 1 }),
          facts.slice(1),
          {
            id,
            time,
            version: 2,
          },
        );
        await journal.append({
          stream: id,
          expectedVersion: 0,
          events: facts.map((f) => envelope(f, { host: "bench", subject: id, time, meta })),
          projection: record,
        });
        written += facts.length;
      }),
    );
    if (c0 % 1000 === 0)
      process.stderr.write(`\rwriting the large root: ${written}/${EVENTS} events`);
  }
  process.stderr.write("\n");
  await journal.close();
  return root;
}

async function replayRates(root: string) {
  const journal = await LevelJournal.open(join(root, "journal"));
  const t0 = performance.now();
  const { events } = await foldJournal(journal);
  const fold = events / ((performance.now() - t0) / 1000);
  await journal.close();
  const db = new ClassicLevel<string, string>(join(root, "journal"), {
    keyEncoding: "utf8",
    valueEncoding: "utf8",
  });
  await db.open();
  const t1 = performance.now();
  let n = 0;
  for await (const _v of db.values({ gt: "e:", lt: "e;" })) n += 1;
  const raw = n / ((performance.now() - t1) / 1000);
  await db.close();
  return { fold, raw, events };
}

const answers = (socket: string) =>
  new Promise<boolean>((resolve) => {
    const s = connect(socket);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

/** Spawns `berth serve` on a root; resolves with ms until its socket answers and its resident memory. */
async function startDaemon(root: string): Promise<{ ms: number; rssMb: number }> {
  const socket = join(root, "..", "bench.sock");
  // A socket left by the previous run would look like a daemon that started at once.
  await rm(socket, { force: true });
  const t0 = performance.now();
  const p = spawn("node", [CLI, "serve", "--root", root, "--socket", socket, "--host", "bench"], {
    stdio: "ignore",
  });
  while (!existsSync(socket) || !(await answers(socket))) {
    if (p.exitCode !== null) throw new Error(`daemon exited with ${p.exitCode}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t0;
  const status = readFileSync(`/proc/${p.pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
  return { ms, rssMb: rssKb / 1024 };
}

async function main() {
  process.stdout.write(
    `\nDurable appends (one event each, synced before it resolves), ${APPENDS} per row\n\n`,
  );
  const rows: (string | number)[][] = [];
  for (const writers of [1, 8, 64]) {
    const raw = await rawRate(writers);
    const berth = await appendRate(writers);
    rows.push([writers, raw.toFixed(0), berth.toFixed(0), (berth / raw).toFixed(2)]);
  }
  printTable(["writers", "raw LevelDB synced batches/s", "berth appends/s", "ratio"], rows);
  const raw1 = Number(rows[0]![1]);
  const b64 = Number(rows[2]![2]);
  process.stdout.write(
    `\n64 writers vs the raw synced-batch rate (1 writer): ${(b64 / raw1).toFixed(2)} (target >= 0.50)\n`,
  );

  const root = await bigRoot();
  const r = await replayRates(root);
  process.stdout.write(`\nReplay of ${r.events} events\n\n`);
  printTable(
    ["raw LevelDB iteration events/s", "berth fold events/s", "ratio"],
    [[r.raw.toFixed(0), r.fold.toFixed(0), (r.fold / r.raw).toFixed(2)]],
  );
  process.stdout.write(`\ntarget: ratio >= 0.50\n`);

  const empty = join(await tempDir("berth-bench-empty-"), "root");
  const startsEmpty: number[] = [];
  const startsBig: number[] = [];
  let rssEmpty = 0;
  let rssBig = 0;
  for (let i = 0; i < 3; i++) {
    const e = await startDaemon(empty);
    startsEmpty.push(e.ms);
    rssEmpty = e.rssMb;
    const b = await startDaemon(root);
    startsBig.push(b.ms);
    rssBig = b.rssMb;
  }
  process.stdout.write(`\nDaemon start until its socket is up (median of 3)\n\n`);
  printTable(
    ["root", "start ms", "resident MB"],
    [
      ["empty", median(startsEmpty).toFixed(0), rssEmpty.toFixed(0)],
      [
        `${CONTAINERS} containers, ${r.events} events`,
        median(startsBig).toFixed(0),
        rssBig.toFixed(0),
      ],
    ],
  );
  process.stdout.write(`\ntarget: start < 2000 ms on the large root\n`);
  await rm(join(root, ".."), { recursive: true, force: true });
  await rm(join(empty, ".."), { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
