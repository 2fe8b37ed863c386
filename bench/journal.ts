/**
 * The journal's figures, each against a baseline measured in the same run, over
 * interleaved rounds (the order of the contenders rotates from round to round),
 * reported as medians with the spread across rounds:
 *   - durable appends/s at 1, 8 and 64 concurrent writers: berth's LevelJournal
 *     against a raw classic-level group commit that batches the same way (writers
 *     queue; one synced batch of the same keys per group of whatever is waiting).
 *     A raw one-synced-batch-per-append row is shown for scale, without a ratio;
 *     and the raw group commit again keeping berth's Merkle tree (hashing each
 *     event into it and writing the stored nodes it completes in the same batch),
 *     against the raw group commit: what the audit tree costs an append;
 *   - replay: berth's fold against a raw LevelDB read of the same events, both
 *     on a freshly opened database in every round;
 *   - daemon start time and memory on a root with many containers and events,
 *     against the same daemon on an empty root.
 *
 *   npm run bench:journal
 *     BENCH_ROUNDS          rounds of the append rows (default 7)
 *     BENCH_APPENDS         appends per append sample (default 500 at 1 writer, 2000 at 8,
 *                           8000 at 64: each sample a second or two of fsyncs)
 *     BENCH_REPLAY_ROUNDS   rounds of the replay rows (default 5)
 *     BENCH_START_ROUNDS    rounds of daemon starts (default 5)
 *     BENCH_EVENTS, BENCH_CONTAINERS   the large root (default 1,000,000 and 10,000)
 *     BENCH_APPENDS_ONLY=1  stop after the append rows
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { ClassicLevel } from "classic-level";
import { eventLeafHash, extendTree, MerkleFrontier, type TreeNode } from "../src/audit/index.js";
import { envelope } from "../src/events/index.js";
import { CLI, tempDir } from "../src/harness/index.js";
import { applyFacts, DEFAULT_SANDBOX, evolve, fact, type Fact } from "../src/machines/index.js";
import { foldJournal } from "../src/service/index.js";
import { LevelJournal, STORED_TREE_LEVEL } from "../src/store/index.js";
import { rssKb } from "./proc.js";
import { median, printTable } from "./stats.js";

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ROUNDS = num("BENCH_ROUNDS", 7);
const APPENDS: Record<number, number> = { 1: 500, 8: 2_000, 64: 8_000 };
if (process.env.BENCH_APPENDS) for (const w of [1, 8, 64]) APPENDS[w] = num("BENCH_APPENDS", 0);
const REPLAY_ROUNDS = num("BENCH_REPLAY_ROUNDS", 5);
const START_ROUNDS = num("BENCH_START_ROUNDS", 5);
const EVENTS = num("BENCH_EVENTS", 1_000_000);
const CONTAINERS = num("BENCH_CONTAINERS", 10_000);
const WRITERS = [1, 8, 64] as const;

const meta = { actor: "bench", requestId: "bench" };
const streamId = (n: number) => n.toString(16).padStart(64, "0");
const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
type Db = ClassicLevel<string, string>;
const openDb = async (location: string): Promise<Db> => {
  const db: Db = new ClassicLevel(location, { keyEncoding: "utf8", valueEncoding: "utf8" });
  await db.open();
  return db;
};
/** Distinct event hashes (hex, as events carry them) for the tree contender's leaves. */
const EVENT_HASHES = Array.from({ length: 1024 }, (_, i) =>
  createHash("sha256").update(String(i)).digest("hex"),
);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

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
    sandbox: DEFAULT_SANDBOX,
  });
}
const syncFact = () => fact("request", { command: "SYNC", args: {} });

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

/** One append sample: how many appends, in how long, with how many synced batches. */
interface Sample {
  appends: number;
  ms: number;
  syncs: number;
}
const rate = (s: Sample) => s.appends / (s.ms / 1000);

// ---------------------------------------------------------------------------------------------
// Appends

/**
 * berth: each writer owns a container; per append it builds the event (envelope) and the next
 * projection (applyFacts), as the service does, and awaits LevelJournal.append (sequence, hash
 * chain, JSON, stream index, projection and head in one synced batch per group).
 */
async function berthAppends(writers: number): Promise<Sample> {
  const dir = await tempDir("berth-bench-append-");
  const journal = await LevelJournal.open(dir);
  const perWriter = Math.ceil(APPENDS[writers]! / writers);
  // Each group's listeners run in one synchronous loop, so one microtask boundary = one group.
  let syncs = 0;
  let inGroup = false;
  const time = new Date().toISOString();
  // Each writer's create is set-up, outside the timed part (as the raw side has none).
  const records = await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const id = streamId(w + 1);
      const record = evolve(undefined, createFact(w), { id, time, version: 1 });
      await journal.append({
        stream: id,
        expectedVersion: 0,
        events: [envelope(createFact(w), { host: "bench", subject: id, time, meta })],
        projection: record,
      });
      return record;
    }),
  );
  const unsubscribe = journal.subscribe(() => {
    if (inGroup) return;
    inGroup = true;
    syncs += 1;
    queueMicrotask(() => (inGroup = false));
  });
  const t0 = performance.now();
  await Promise.all(
    records.map(async (first) => {
      let record = first;
      for (let i = 0; i < perWriter; i++) {
        const f = syncFact();
        const at = { id: record.id, time, version: record.version + 1 };
        const next = applyFacts(record, [f], at);
        await journal.append({
          stream: record.id,
          expectedVersion: record.version,
          events: [envelope(f, { host: "bench", subject: record.id, time, meta })],
          projection: next,
        });
        record = next;
      }
    }),
  );
  const ms = performance.now() - t0;
  unsubscribe();
  await journal.close();
  await rm(dir, { recursive: true, force: true });
  return { appends: perWriter * writers, ms, syncs };
}

/** The bytes berth stores for one SYNC append, made once: the raw side writes them as they are. */
function rawValues() {
  const id = streamId(1);
  const time = new Date().toISOString();
  const record = evolve(undefined, createFact(0), { id, time, version: 1 });
  const f = syncFact();
  const event = JSON.stringify({
    ...envelope(f, { host: "bench", subject: id, time, meta }),
    seq: 1_000_000,
    version: 1000,
    prevhash: "0".repeat(64),
    hash: "0".repeat(64),
  });
  const projection = JSON.stringify(applyFacts(record, [f], { id, time, version: 2 }));
  const head = JSON.stringify({ seq: 1_000_000, hash: "0".repeat(64) });
  return { event, projection, head };
}

type Op = { type: "put"; key: string; value: string };

/** The keys one append writes (event, stream index, projection), in berth's layout. */
function appendOps(
  v: ReturnType<typeof rawValues>,
  seq: number,
  stream: string,
  version: number,
): Op[] {
  return [
    { type: "put", key: `e:${hex(seq, 13)}`, value: v.event },
    { type: "put", key: `s:${stream}:${hex(version, 8)}`, value: String(seq) },
    { type: "put", key: `p:${stream}`, value: v.projection },
  ];
}

/**
 * A raw group commit, written here and sharing no code with berth: appends queue; a drain loop
 * yields one turn of the event loop (as berth's does, so answered writers rejoin), takes whatever
 * is waiting and writes it as one synced batch with one head key.
 */
class RawGroupCommit {
  private queue: { stream: string; version: number; done: () => void }[] = [];
  private writing = false;
  private seq = 0;
  syncs = 0;
  constructor(
    private readonly db: Db,
    private readonly v: ReturnType<typeof rawValues>,
    /** Keeps the Merkle tree as berth's journal does, when given. */
    private tree?: MerkleFrontier,
  ) {}
  private unwritten: TreeNode[] = [];

  append(stream: string, version: number): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ stream, version, done });
      void this.drain();
    });
  }

  private async drain() {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        await nextTurn();
        const group = this.queue;
        this.queue = [];
        const first = this.seq + 1;
        const ops = group.flatMap((w) => appendOps(this.v, ++this.seq, w.stream, w.version));
        ops.push({ type: "put", key: "m:head", value: this.v.head });
        if (this.tree) {
          // As berth's journal: the last group's stored nodes and the tree's size go in this
          // batch, and this group's leaves are hashed in while the batch syncs.
          const tree = this.tree;
          for (const n of this.unwritten) {
            const key = `t:${hex(n.level, 2)}:${hex(n.index, 13)}`;
            ops.push({ type: "put", key, value: Buffer.from(n.hash).toString("hex") });
          }
          ops.push({ type: "put", key: "k:tree-size", value: String(tree.size) });
          // Each event's leaf from its hash: the events already carry one (the chain's).
          const hashed = nextTurn().then(() =>
            extendTree(
              tree,
              group.map((_, i) => eventLeafHash(EVENT_HASHES[(first + i) % 1024]!)),
            ),
          );
          const [, grown] = await Promise.all([this.db.batch(ops, { sync: true }), hashed]);
          this.tree = grown.frontier;
          this.unwritten = grown.nodes.filter((n) => n.level >= STORED_TREE_LEVEL);
        } else {
          await this.db.batch(ops, { sync: true });
        }
        this.syncs += 1;
        for (const w of group) w.done();
      }
    } finally {
      this.writing = false;
    }
  }
}

async function rawAppends(writers: number, grouped: boolean, tree = false): Promise<Sample> {
  const dir = await tempDir("berth-bench-raw-");
  const db = await openDb(dir);
  const v = rawValues();
  const perWriter = Math.ceil(APPENDS[writers]! / writers);
  const gc = new RawGroupCommit(db, v, tree ? new MerkleFrontier() : undefined);
  let seq = 0;
  let naiveSyncs = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const stream = streamId(w + 1);
      for (let version = 2; version < perWriter + 2; version++) {
        if (grouped) {
          await gc.append(stream, version);
        } else {
          const ops = appendOps(v, ++seq, stream, version);
          ops.push({ type: "put", key: "m:head", value: v.head });
          naiveSyncs += 1;
          await db.batch(ops, { sync: true });
        }
      }
    }),
  );
  const ms = performance.now() - t0;
  await db.close();
  await rm(dir, { recursive: true, force: true });
  return { appends: perWriter * writers, ms, syncs: grouped ? gc.syncs : naiveSyncs };
}

const CONTENDERS = {
  "raw group commit": (w: number) => rawAppends(w, true),
  berth: (w: number) => berthAppends(w),
  "raw, a synced batch per append": (w: number) => rawAppends(w, false),
  "raw group commit + Merkle tree": (w: number) => rawAppends(w, true, true),
  "raw group commit, again": (w: number) => rawAppends(w, true),
} as const;
type Contender = keyof typeof CONTENDERS;
const NAMES = Object.keys(CONTENDERS) as Contender[];

/** Every round runs each contender once, in an order that rotates from round to round. */
async function appendRounds(writers: number) {
  const samples = new Map<Contender, Sample[]>(NAMES.map((n) => [n, []]));
  // One warm-up round, not counted (JIT, first file creation).
  for (const n of NAMES) await CONTENDERS[n](writers);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < NAMES.length; k++) {
      const n = NAMES[(r + k) % NAMES.length]!;
      samples.get(n)!.push(await CONTENDERS[n](writers));
    }
    process.stderr.write(`\rappends, ${writers} writers: round ${r + 1}/${ROUNDS}   `);
  }
  process.stderr.write("\n");
  return samples;
}

// ---------------------------------------------------------------------------------------------
// The large root, replay and start-up

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
        const first = evolve(undefined, facts[0]!, { id, time, version: 1 });
        const record = applyFacts(first, facts.slice(1), { id, time, version: 2 });
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
  process.stderr.write(`\rwriting the large root: ${written}/${EVENTS} events\n`);
  await journal.close();
  return root;
}

/** Raw floor: the same range, read the same way as berth's fold (nextv chunks of 1,000). */
async function rawRead(location: string, parse: boolean) {
  const db = await openDb(location);
  const t0 = performance.now();
  const it = db.values({ gt: "e:", lt: "e;" });
  let n = 0;
  let parsed = 0;
  for (;;) {
    const batch = await it.nextv(1_000);
    if (batch.length === 0) break;
    // Use what was parsed, so the work cannot be skipped.
    if (parse) for (const v of batch) if ((JSON.parse(v) as { seq: number }).seq > 0) parsed += 1;
    n += batch.length;
  }
  await it.close();
  const ms = performance.now() - t0;
  await db.close();
  if (parse && parsed !== n) throw new Error("raw parse saw an event without a seq");
  return { events: n, ms };
}

async function berthFold(location: string) {
  const journal = await LevelJournal.open(location);
  const t0 = performance.now();
  const { events } = await foldJournal(journal);
  const ms = performance.now() - t0;
  await journal.close();
  return { events, ms };
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
  const rss = rssKb(p.pid!);
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
  return { ms, rssMb: rss / 1024 };
}

// ---------------------------------------------------------------------------------------------
// Report

const f0 = (x: number) => x.toFixed(0);
const f2 = (x: number) => x.toFixed(2);
/** The range across rounds: with a handful of rounds, p10-p90 would be the same two samples. */
const spread = (xs: number[], fmt: (x: number) => string) =>
  `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`;
/** Ratios of samples taken in the same round, so a load swing hits both sides of each ratio. */
const paired = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
const say = (s: string) => process.stdout.write(s);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function main() {
  const began = performance.now();
  const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;
  say(
    `\nberth journal bench: ${cpus().length} CPUs, load average at start ${load()}; ` +
      `${ROUNDS} append rounds (${WRITERS.map((w) => `${APPENDS[w]} appends at ${w}`).join(", ")}), ` +
      `${REPLAY_ROUNDS} replay rounds, ` +
      `${START_ROUNDS} start rounds; every round interleaves the contenders, order rotating\n`,
  );

  const appendRows: string[][] = [];
  let naive1: number[] = [];
  let target = NaN;
  for (const writers of WRITERS) {
    const s = await appendRounds(writers);
    const rates = (n: Contender) => s.get(n)!.map(rate);
    const perSync = (n: Contender) => s.get(n)!.map((x) => x.appends / x.syncs);
    const gc = rates("raw group commit");
    const berth = rates("berth");
    const naive = rates("raw, a synced batch per append");
    const withTree = rates("raw group commit + Merkle tree");
    const again = rates("raw group commit, again");
    if (writers === 1) naive1 = naive;
    const ratioText = (r: number[]) => {
      const x = paired(r, gc);
      return `${f2(median(x))} (${spread(x, f2)})`;
    };
    const ratioOf = (name: Contender) =>
      name === "berth"
        ? ratioText(berth)
        : name === "raw group commit + Merkle tree"
          ? ratioText(withTree)
          : name === "raw group commit, again"
            ? ratioText(again)
            : "";
    for (const [name, r] of [
      ["raw group commit", gc],
      ["berth", berth],
      ["raw, a synced batch per append", naive],
      ["raw group commit + Merkle tree", withTree],
      ["raw group commit, again", again],
    ] as const) {
      appendRows.push([
        String(writers),
        name,
        f0(median(r)),
        spread(r, f0),
        f2(median(perSync(name))),
        ratioOf(name),
      ]);
    }
    if (writers === 64) target = median(berth) / median(naive1);
  }
  say(`\nDurable appends (one event each, resolved only after its batch is synced), medians\n\n`);
  printTable(
    ["writers", "", "appends/s", "min-max", "appends/sync", "berth / raw group commit"],
    appendRows,
  );
  say(
    "\n  berth / raw group commit: the median over rounds of berth's rate divided by the raw group\n" +
      "  commit's rate in the same round (min-max of those ratios in brackets). Both batch the same\n" +
      "  way (queue, one turn of the event loop, one synced batch of whatever waits; appends/sync\n" +
      "  shows the group sizes), write the same keys (event, stream index, projection; one head per\n" +
      "  batch) with values of the same size, so the ratio is berth's own cost per append: building\n" +
      "  the event and the next projection, sequencing, the hash chain, JSON.\n" +
      "  'raw, a synced batch per append' batches nothing itself (LevelDB may still merge concurrent\n" +
      "  writes from its 4 libuv threads): shown for scale, it is a different quantity, no ratio.\n" +
      "  'raw group commit + Merkle tree': the raw group commit keeping berth's Merkle tree as the\n" +
      "  journal does (each group's leaves hashed in while its batch syncs, the nodes of level 4 and\n" +
      "  up they complete written with the next batch); its ratio to the raw group commit is what\n" +
      "  the audit tree costs (target >= 0.95).\n" +
      "  'raw group commit, again': the same raw group commit as the first row, run again in each\n" +
      "  round: its ratio is what this machine's noise alone makes of a ratio.\n",
  );
  say(
    `\n  target: berth at 64 writers >= 0.50 x the raw one-batch-per-append rate at 1 writer:` +
      ` ${f2(target)} (medians; the old target, it credits berth's batching)\n`,
  );

  process.stderr.write(`appends done at ${elapsed()}\n`);
  if (process.env.BENCH_APPENDS_ONLY === "1") return;
  const root = await bigRoot();
  process.stderr.write(`large root written at ${elapsed()}\n`);
  const journalDir = join(root, "journal");
  const replay = {
    "raw read": [] as number[],
    "raw read + JSON.parse": [] as number[],
    "berth fold": [] as number[],
  };
  type R = keyof typeof replay;
  const runs: Record<R, () => Promise<{ events: number; ms: number }>> = {
    "raw read": () => rawRead(journalDir, false),
    "raw read + JSON.parse": () => rawRead(journalDir, true),
    "berth fold": () => berthFold(journalDir),
  };
  const replayNames = Object.keys(replay) as R[];
  let events = 0;
  for (let r = 0; r < REPLAY_ROUNDS; r++) {
    for (let k = 0; k < replayNames.length; k++) {
      const n = replayNames[(r + k) % replayNames.length]!;
      const out = await runs[n]();
      events = out.events;
      replay[n].push(out.events / (out.ms / 1000));
    }
    process.stderr.write(`\rreplay: round ${r + 1}/${REPLAY_ROUNDS}   `);
  }
  process.stderr.write("\n");
  const replayRatios = paired(replay["berth fold"], replay["raw read"]);
  const parseRatios = paired(replay["raw read + JSON.parse"], replay["raw read"]);
  say(`\nReplay of ${events} events, medians of ${REPLAY_ROUNDS} interleaved rounds\n\n`);
  printTable(
    ["", "events/s", "min-max", "/ raw read"],
    [
      ["raw read", f0(median(replay["raw read"])), spread(replay["raw read"], f0), ""],
      [
        "raw read + JSON.parse",
        f0(median(replay["raw read + JSON.parse"])),
        spread(replay["raw read + JSON.parse"], f0),
        `${f2(median(parseRatios))} (${spread(parseRatios, f2)})`,
      ],
      [
        "berth fold",
        f0(median(replay["berth fold"])),
        spread(replay["berth fold"], f0),
        `${f2(median(replayRatios))} (${spread(replayRatios, f2)})`,
      ],
    ],
  );
  say(
    "\n  All three read the events' key range in chunks of 1,000 (nextv), as berth's fold does, on a\n" +
      "  database opened afresh in each round (LevelDB's block cache empty; the OS page cache is warm\n" +
      "  for all three alike); the open is not timed. '/ raw read' is the median over rounds of the\n" +
      "  rate divided by the raw read's rate in the same round. The fold parses each event and\n" +
      "  applies evolve; the JSON.parse row shows how much of that is parsing.\n" +
      `  target: berth fold / raw read >= 0.50: ${f2(median(replayRatios))}\n`,
  );

  process.stderr.write(`replay done at ${elapsed()}\n`);
  const empty = join(await tempDir("berth-bench-empty-"), "root");
  const start = { empty: [] as number[], big: [] as number[] };
  const rss = { empty: [] as number[], big: [] as number[] };
  for (let r = 0; r < START_ROUNDS; r++) {
    for (const which of r % 2 ? (["big", "empty"] as const) : (["empty", "big"] as const)) {
      const out = await startDaemon(which === "big" ? root : empty);
      start[which].push(out.ms);
      rss[which].push(out.rssMb);
    }
    process.stderr.write(`\rstart: round ${r + 1}/${START_ROUNDS}   `);
  }
  process.stderr.write("\n");
  say(`\nDaemon start until its socket answers, medians of ${START_ROUNDS} interleaved rounds\n\n`);
  printTable(
    ["root", "start ms", "min-max", "resident MB"],
    [
      ["empty", f0(median(start.empty)), spread(start.empty, f0), f0(median(rss.empty))],
      [
        `${CONTAINERS} containers, ${events} events`,
        f0(median(start.big)),
        spread(start.big, f0),
        f0(median(rss.big)),
      ],
    ],
  );
  say(
    "\n  The same daemon binary on both roots, started alternately; resident memory is read from\n" +
      "  /proc when the socket first answers.\n" +
      `  target: start < 2000 ms on the large root: ${f0(median(start.big))} ms\n`,
  );
  say(`\nload average at end ${load()}; the whole bench took ${elapsed()}\n`);
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
