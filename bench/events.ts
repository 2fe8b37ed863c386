/**
 * Event delivery, measured against floors taken in the same run:
 *
 * 1. Latency at 1,000 and 5,000 events/s from a transition to a JetStream
 *    subscriber in another thread, through the real relay (LevelJournal +
 *    NatsRelay in process, nats-server with file storage): from the append
 *    resolving (when the API answers) and from the append being called (its
 *    fsync included). Floor: plain JetStream publishes of the same events to
 *    the same subscriber, up to 1,024 in flight.
 * 2. Drain: a backlog (appended while NATS was away) published by the relay.
 *    Floor: the same number of ready events published as fast as JetStream
 *    takes them, up to 1,024 in flight. Then JetStream replaying the stream to
 *    a new ordered consumer, for scale.
 * 3. Catch-up: how fast a new subscriber replays the journal, through the
 *    feed, the HTTP route and `subscribe()` from berth/client in another
 *    thread. Floor: raw LevelDB iteration of the same events.
 *
 *   npm run bench:events
 *   (BENCH_SECONDS=10 BENCH_RATES=1000,5000 BENCH_DRAIN_EVENTS=100000 BENCH_REPLAY_EVENTS=200000)
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import { ClassicLevel } from "classic-level";
import { eventsRoute } from "../src/api/index.js";
import { eventBatches, type UnplacedEvent } from "../src/events/index.js";
import { startNats, tempDir, until, type Nats } from "../src/harness/index.js";
import { NatsRelay } from "../src/nats/index.js";
import { LevelJournal, type Journal } from "../src/store/index.js";
import { RawPublisher } from "./raw-publish.js";
import { median, percentile, printTable } from "./stats.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATES = (process.env.BENCH_RATES ?? "1000,5000").split(",").map(Number);
const REPLAY = Number(process.env.BENCH_REPLAY_EVENTS ?? 200_000);
const DRAIN = Number(process.env.BENCH_DRAIN_EVENTS ?? 100_000);
const WARMUP_S = 1;

const now = () => process.hrtime.bigint();
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
const say = (s: string) => process.stdout.write(`${s}\n`);

function worker<T>(job: unknown): { w: Worker; next: () => Promise<T> } {
  const w = new Worker(new URL("./events-worker.js", import.meta.url), { workerData: job });
  const next = () =>
    new Promise<T>((resolve, reject) => {
      w.once("message", (m: T & { error?: string }) =>
        m.error ? reject(new Error(m.error)) : resolve(m),
      );
      w.once("error", reject);
    });
  return { w, next };
}

/** An event like a real `start`, for `container`. */
function unplaced(container: string): UnplacedEvent {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: "berth://bench",
    type: "io.berth.container.start",
    subject: container,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data: { startedAt: new Date().toISOString(), restartCount: 0, outcome: "success" },
    actor: "declared:uid=0(root)",
    requestid: randomUUID(),
  };
}

/** Appends one-event transitions, each on its own promise, spread over containers. */
class Transitions {
  private readonly versions = new Map<string, number>();
  private readonly chains = new Map<string, Promise<unknown>>();
  readonly containers = Array.from({ length: 64 }, () => randomBytes(32).toString("hex"));

  constructor(private readonly journal: Journal) {}

  /** Resolves with the event id and the time its append resolved. */
  one(i: number, eventsPerAppend = 1): Promise<{ ids: string[]; committed: bigint }> {
    const c = this.containers[i % this.containers.length]!;
    const run = (this.chains.get(c) ?? Promise.resolve()).then(async () => {
      const v = this.versions.get(c) ?? 0;
      const events = Array.from({ length: eventsPerAppend }, () => unplaced(c));
      await this.journal.append({ stream: c, expectedVersion: v, events, projection: { id: c } });
      this.versions.set(c, v + eventsPerAppend);
      return { ids: events.map((e) => e.id), committed: now() };
    });
    this.chains.set(c, run);
    return run;
  }
}

/** Calls `fn(i)` for i < count at `rate` per second, without waiting for the calls. */
async function paced(count: number, rate: number, fn: (i: number) => void): Promise<void> {
  const t0 = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.min(count, Math.floor(((performance.now() - t0) * rate) / 1_000) + 1);
    for (; i < due; i++) fn(i);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function latencyRow(name: string, samples: number[]): (string | number)[] {
  return [
    name,
    samples.length,
    median(samples).toFixed(2),
    percentile(samples, 99).toFixed(2),
    percentile(samples, 99.9).toFixed(2),
    Math.max(...samples).toFixed(2),
  ];
}

async function latency(nats: Nats, rate: number) {
  const dir = await tempDir("berth-bench-events-");
  const journal = await LevelJournal.open(join(dir, "journal"));
  const stream = `BENCH_${rate}`;
  const floorStream = `FLOOR_${rate}`;
  const relay = new NatsRelay({
    journal,
    servers: nats.url,
    prefix: `bench${rate}`,
    host: "b1",
    stream,
  });
  relay.start();
  await until(() => relay.status().connected, 10_000, "relay connection");
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: floorStream,
    subjects: [`floor${rate}.*.*.*`],
    storage: StorageType.File,
    duplicate_window: nanos(600_000),
  });
  const raw = new RawPublisher(nc);
  const sub = worker<{ ready?: boolean; arrivals?: [string, string][] }>({
    role: "jetstream",
    url: nats.url,
    streams: [stream, floorStream],
  });
  await sub.next();

  const count = SECONDS * rate;
  const warm = WARMUP_S * rate;
  // Floor: a plain JetStream publisher at the same rate, same payload, same headers.
  const floorSent = new Map<string, bigint>();
  const floorSends: Promise<unknown>[] = [];
  await paced(count, rate, (i) => {
    const e = { ...unplaced("f".repeat(64)), seq: i + 1 };
    if (i >= warm) floorSent.set(e.id, now());
    floorSends.push(raw.publish(`floor${rate}.b1.x.start`, e.id, JSON.stringify(e)));
  });
  await Promise.all(floorSends);
  await raw.flush();

  // berth: transitions appended to the journal; the relay publishes them.
  const tx = new Transitions(journal);
  const called = new Map<string, bigint>();
  const committed = new Map<string, bigint>();
  const appends: Promise<unknown>[] = [];
  await paced(count, rate, (i) => {
    const t = now();
    appends.push(
      tx.one(i).then(({ ids, committed: c }) => {
        if (i < warm) return;
        called.set(ids[0]!, t);
        committed.set(ids[0]!, c);
      }),
    );
  });
  await Promise.all(appends);
  if (!(await relay.drained(journal.head().seq, 30_000))) throw new Error("relay did not drain");
  await new Promise((r) => setTimeout(r, 500));
  sub.w.postMessage("stop");
  const { arrivals } = await sub.next();
  await sub.w.terminate();
  const arrived = new Map((arrivals ?? []).map(([id, t]) => [id, BigInt(t)]));
  const lat = (sent: Map<string, bigint>) =>
    [...sent].map(([id, t]) => {
      const a = arrived.get(id);
      if (a === undefined) throw new Error(`event ${id} never reached the subscriber`);
      return ms(t, a);
    });
  await relay.stop();
  await nc.close();
  await journal.close();
  return {
    floor: lat(floorSent),
    fromCommit: lat(committed),
    fromCall: lat(called),
  };
}

async function fill(journal: Journal, total: number, perAppend = 100) {
  const tx = new Transitions(journal);
  const rounds = Math.ceil(total / perAppend);
  for (let r = 0; r < rounds; r += tx.containers.length) {
    const batch = Array.from({ length: Math.min(tx.containers.length, rounds - r) }, (_, k) =>
      tx.one(r + k, perAppend),
    );
    await Promise.all(batch);
  }
}

async function rate(label: string, run: () => Promise<number>) {
  const t0 = now();
  const n = await run();
  const s = ms(t0, now()) / 1_000;
  return { label, n, perSec: n / s };
}

async function catchUp() {
  const dir = await tempDir("berth-bench-replay-");
  const location = join(dir, "journal");
  let journal = await LevelJournal.open(location);
  await fill(journal, REPLAY);
  const total = journal.head().seq;
  await journal.close();

  const rows: { label: string; n: number; perSec: number }[] = [];
  const db = new ClassicLevel<string, string>(location, {
    keyEncoding: "utf8",
    valueEncoding: "utf8",
  });
  await db.open();
  const range = { gt: "e:", lt: "e;" };
  rows.push(
    await rate("floor: LevelDB iteration (raw JSON strings)", async () => {
      let n = 0;
      for await (const v of db.values(range)) if (v.length > 0) n++;
      return n;
    }),
  );
  rows.push(
    await rate("floor: LevelDB iteration + JSON.parse", async () => {
      let n = 0;
      for await (const v of db.values(range)) if ((JSON.parse(v) as { seq: number }).seq > 0) n++;
      return n;
    }),
  );
  await db.close();

  journal = await LevelJournal.open(location);
  rows.push(
    await rate("journal.read", async () => {
      let n = 0;
      for await (const e of journal.read()) if (e.seq > 0) n++;
      return n;
    }),
  );
  rows.push(
    await rate("event feed (batches, no filter)", async () => {
      let n = 0;
      const signal = new AbortController().signal;
      for await (const b of eventBatches(journal, { afterSeq: 0, follow: false, signal })) {
        n += b.length;
      }
      return n;
    }),
  );

  const route = eventsRoute(journal);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://berth");
    void route({ req, res, url, ref: "", name: "", meta: { actor: "bench", requestId: "b" } });
  });
  const socketPath = join(dir, "bench.sock");
  await new Promise<void>((r) => server.listen(socketPath, r));
  for (const validate of [false, true]) {
    const sub = worker<{ count: number; ns: string }>({ role: "socket", socketPath, validate });
    const r = await sub.next();
    await sub.w.terminate();
    if (r.count !== total) throw new Error(`socket subscriber got ${r.count} of ${total}`);
    rows.push({
      label: `GET /events -> subscribe() in another thread${validate ? ", zod-validated" : ""}`,
      n: r.count,
      perSec: r.count / (Number(r.ns) / 1e9),
    });
  }
  await new Promise<void>((r) => server.close(() => r()));
  await journal.close();

  return rows;
}

/**
 * A backlog of DRAIN events, appended while NATS was away (before the relay
 * connects), drained by the relay; against ready events published as fast as
 * JetStream takes them; then the stream replayed to a new consumer.
 */
async function drain(nats: Nats) {
  const rows: { label: string; n: number; perSec: number }[] = [];
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: "RAW",
    subjects: ["raw.*.*.*"],
    storage: StorageType.File,
    duplicate_window: nanos(600_000),
  });
  const ready = Array.from({ length: DRAIN }, (_, i) => ({
    ...unplaced("r".repeat(64)),
    seq: i + 1,
  }));
  const raw = new RawPublisher(nc);
  rows.push(
    await rate("floor: JetStream publish, 1,024 in flight (ready events, no journal)", async () => {
      for (const e of ready) await raw.publish("raw.b1.x.start", e.id, JSON.stringify(e));
      await raw.flush();
      return ready.length;
    }),
  );
  await nc.close();

  const dir = await tempDir("berth-bench-drain-");
  const journal = await LevelJournal.open(join(dir, "journal"));
  await fill(journal, DRAIN);
  const relay = new NatsRelay({
    journal,
    servers: nats.url,
    prefix: "drain",
    host: "b1",
    stream: "DRAIN",
  });
  rows.push(
    await rate("berth: relay drains the backlog from the journal", async () => {
      relay.start();
      if (!(await relay.drained(journal.head().seq, 600_000))) throw new Error("no drain");
      return journal.head().seq;
    }),
  );
  await relay.stop();
  await journal.close();
  const replay = worker<{ count: number; ns: string }>({
    role: "replay",
    url: nats.url,
    stream: "DRAIN",
    count: DRAIN,
  });
  const r = await replay.next();
  await replay.w.terminate();
  rows.push({
    label: "JetStream: stream replayed to a new ordered consumer",
    n: r.count,
    perSec: r.count / (Number(r.ns) / 1e9),
  });
  return rows;
}

async function main() {
  const nats = await startNats();
  try {
    for (const r of RATES) {
      say(`\nlatency at ${r} events/s for ${SECONDS} s (first ${WARMUP_S} s not counted), ms`);
      const l = await latency(nats, r);
      printTable(
        ["path", "events", "p50", "p99", "p99.9", "max"],
        [
          latencyRow("floor: JetStream publish -> subscriber", l.floor),
          latencyRow("berth: append resolved -> subscriber", l.fromCommit),
          latencyRow("berth: append called (incl. fsync) -> subscriber", l.fromCall),
        ],
      );
      const p99 = percentile(l.fromCall, 99);
      say(
        `transition (append called) -> subscriber p99 ${p99.toFixed(2)} ms (target <= 5 ms at 1000/s): ${p99 <= 5 ? "met" : "NOT met"}`,
      );
    }

    say(`\nbacklog of ${DRAIN} events drained to JetStream`);
    const d = await drain(nats);
    printTable(
      ["path", "events", "events/s"],
      d.map((r) => [r.label, r.n, Math.round(r.perSec)]),
    );
    const relayRate = d[1]?.perSec ?? 0;
    say(
      `\nbacklog drained at ${Math.round(relayRate)} events/s (target >= 50000): ${relayRate >= 50_000 ? "met" : "NOT met"}; ${((relayRate / (d[0]?.perSec ?? 1)) * 100).toFixed(0)}% of the JetStream publish floor`,
    );

    say(`\ncatch-up of ${REPLAY} journal events`);
    const rows = await catchUp();
    printTable(
      ["path", "events", "events/s"],
      rows.map((r) => [r.label, r.n, Math.round(r.perSec)]),
    );
    const client = rows.find((r) => r.label.startsWith("GET /events") && !r.label.includes("zod"));
    const floor = rows[0]!;
    say(
      `\ncatch-up to a new subscriber ${Math.round(client?.perSec ?? 0)} events/s (target >= 100000): ${(client?.perSec ?? 0) >= 100_000 ? "met" : "NOT met"}; ${(((client?.perSec ?? 0) / floor.perSec) * 100).toFixed(0)}% of raw LevelDB iteration`,
    );
  } finally {
    await nats.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
