/**
 * Steady state (issue 15): many lifecycles (create, start, pause, unpause,
 * kill, wait, rm) through berth's HTTP API with a real nats-server attached,
 * watching the daemon's resident memory and open file descriptors. The
 * baseline is the daemon after the first 100 lifecycles, measured in the same
 * run; it is sampled again, under load, every tenth of the run, and at the end.
 * The baseline and the end are both taken after the lifecycles under way have
 * ended and the daemon has idled 30 s, so the two compare like with like:
 * under load the fd count moves with the containers in flight. No
 * garbage collection is forced; the figure is what the daemon holds on its
 * own. Then the journal's hash chain is verified and the JetStream stream must
 * hold every journaled event.
 *
 *   npm run bench:soak   (BENCH_SOAK_N=10000 lifecycles, BENCH_SOAK_C=8 at once)
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { BerthClient } from "../src/client/index.js";
import { busyboxTar, startBerth, startNats, until, type Berth } from "../src/harness/index.js";
import type { RelayStatus } from "../src/nats/index.js";
import { berthRound } from "./berth-round.js";
import { openFds, rssKb } from "./proc.js";
import { printTable } from "./stats.js";

const N = Number(process.env.BENCH_SOAK_N ?? 10_000);
const C = Number(process.env.BENCH_SOAK_C ?? 8);
/** Lifecycles before the baseline: the daemon's caches, JIT and pools have filled by then. */
const BASELINE = 100;
/**
 * Seconds of idle at which RSS is read before the baseline and the last
 * sample; the last one is compared. V8 shrinks its heap only after some
 * seconds of low allocation (its memory reducer), so a reading taken soon
 * after a burst holds garbage a later one does not: both ends wait alike.
 */
const SETTLE_AT_S = [5, 10, 20, 30] as const;
const SETTLED_S = SETTLE_AT_S.at(-1)!;
/** How far above the baseline RSS and fds may end for steady state; below is fine. */
const TOLERANCE = 0.1;

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  label: string;
  done: number;
  elapsedS: number;
  /** Seconds of the window before this sample spent idling, not running lifecycles. */
  idleS: number;
  rssKb: number;
  fds: number;
}

/** The lifecycle counts, after the baseline, at which the daemon is sampled under load. */
function checkpoints(): Set<number> {
  const at = new Set<number>();
  for (let k = 1; k <= 10; k++) {
    const n = Math.round((k * N) / 10);
    if (n > BASELINE) at.add(n);
  }
  return at;
}

/**
 * Runs lifecycles `from`+1 to `to` on C drivers, calling `each` with the count
 * finished so far after each one. The first failure (a lifecycle's or `each`'s)
 * stops every driver from starting another lifecycle; it is thrown once the
 * ones under way have ended, so nothing is left running against a stopping daemon.
 */
async function lifecycles(
  client: BerthClient,
  from: number,
  to: number,
  each: (done: number) => void,
): Promise<void> {
  let started = from;
  let done = from;
  let failure: Error | undefined;
  const driver = async () => {
    while (started < to && failure === undefined) {
      const n = ++started;
      try {
        await berthRound(client, new Map());
        each(++done);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        failure ??= new Error(`lifecycle ${n} of ${N} failed: ${why}`, { cause: err });
      }
    }
  };
  await Promise.all(Array.from({ length: C }, driver));
  if (failure) throw failure;
}

/** Samples the daemon's RSS and fds, and says so on stderr: a long run shows how far it is. */
function sampler(pid: number, t0: number) {
  const samples: Sample[] = [];
  const take = (label: string, done: number, idleS = 0) => {
    let rss: number;
    let fds: number;
    try {
      rss = rssKb(pid);
      fds = openFds(pid);
    } catch (err) {
      throw new Error(`the daemon's /proc entries (pid ${pid}) are unreadable: has it exited?`, {
        cause: err,
      });
    }
    const s = { label, done, elapsedS: (performance.now() - t0) / 1000, idleS, rssKb: rss, fds };
    samples.push(s);
    process.stderr.write(
      `soak: ${done}/${N} lifecycles, ${s.elapsedS.toFixed(0)} s, RSS ${(rss / 1024).toFixed(1)} MB, ${fds} fds\n`,
    );
  };
  /** Idles through SETTLE_AT_S, says what RSS was at each, then takes the settled sample. */
  const settle = async (done: number) => {
    const series: string[] = [];
    let idled = 0;
    for (const at of SETTLE_AT_S) {
      await sleep((at - idled) * 1000);
      idled = at;
      series.push(`${at} s ${(rssKb(pid) / 1024).toFixed(1)} MB`);
    }
    process.stderr.write(`soak: idle after ${done} lifecycles: ${series.join(", ")}\n`);
    take(`${done} +${SETTLED_S}s idle`, done, SETTLED_S);
    return series;
  };
  return { samples, take, settle };
}

function report(samples: Sample[]): { rss: number; fds: number } {
  const base = samples[0]!;
  const rows = samples.map((s, i) => {
    const prev = samples[i - 1] ?? { done: 0, elapsedS: 0 };
    // Per window, so a slowdown late in the run shows instead of averaging away.
    const rate =
      s.done === prev.done
        ? "-"
        : ((s.done - prev.done) / (s.elapsedS - prev.elapsedS - s.idleS)).toFixed(2);
    return [
      s.label,
      s.elapsedS.toFixed(0),
      rate,
      (s.rssKb / 1024).toFixed(1),
      s.fds,
      (s.rssKb / base.rssKb).toFixed(3),
      (s.fds / base.fds).toFixed(3),
    ];
  });
  printTable(
    ["lifecycles", "elapsed s", "lifecycles/s", "RSS MB", "fds", "RSS/base", "fds/base"],
    rows,
  );
  const last = samples.at(-1)!;
  return { rss: last.rssKb / base.rssKb, fds: last.fds / base.fds };
}

/** `berth audit verify` on the daemon's journal; the count of events it checked. */
async function verifiedEvents(berth: Berth): Promise<number> {
  const r = await berth.cli("audit", "verify");
  const checked = /^ok: (\d+) events, hash chain intact/.exec(r.stdout)?.[1];
  if (r.code !== 0 || checked === undefined) {
    throw new Error(`berth audit verify exited ${r.code}: ${r.stdout}${r.stderr}`);
  }
  return Number(checked);
}

/** Waits for the relay to have published the whole journal, then counts the stream's messages. */
async function streamed(
  client: BerthClient,
  natsUrl: string,
): Promise<{ relay: RelayStatus; messages: number }> {
  const relay = async () =>
    (await client.call<{ relay: RelayStatus | null }>("GET", "/status")).relay;
  let last: RelayStatus | null = null;
  await until(
    async () => {
      last = await relay();
      return last !== null && last.connected && last.lag === 0;
    },
    60_000,
    () => `the relay to drain (last status ${JSON.stringify(last)})`,
  );
  const status = (await relay())!;
  const nc = await connect({ servers: natsUrl });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(status.stream);
    return { relay: status, messages: info.state.messages };
  } finally {
    await nc.close();
  }
}

async function main() {
  if (!Number.isInteger(N) || N < BASELINE) {
    throw new Error(`BENCH_SOAK_N must be a whole number of at least ${BASELINE}, not ${N}`);
  }
  if (!Number.isInteger(C) || C < 1) throw new Error(`BENCH_SOAK_C must be at least 1, not ${C}`);
  const running: { stop(): Promise<void> }[] = [];
  let berth: Berth | undefined;
  try {
    const nats = await startNats();
    running.push(nats);
    berth = await startBerth({ nats: nats.url, host: "soak" });
    running.push(berth);
    await berth.ok("image", "import", busyboxTar(), "busybox");
    const pid = berth.pid();
    if (pid === undefined) throw new Error("the berth daemon is not running");
    const client = new BerthClient({ socketPath: berth.socket });

    say(`\nberth soak: ${N} lifecycles, ${C} at once, NATS attached; daemon pid ${pid}`);
    say("create, start, pause, unpause, kill SIGKILL, wait, rm; lifecycles/s over each window,");
    say(`idle seconds left out; baseline and end sampled after ${SETTLED_S} s idle\n`);
    const t0 = performance.now();
    const { samples, take, settle } = sampler(pid, t0);
    await lifecycles(client, 0, BASELINE, () => undefined);
    const idleBase = await settle(BASELINE);
    const at = checkpoints();
    await lifecycles(client, BASELINE, N, (done) =>
      at.has(done) ? take(String(done), done) : undefined,
    );
    const idleEnd = await settle(N);
    const ratio = report(samples);
    say(`\nidle RSS after ${BASELINE}: ${idleBase.join(", ")}`);
    say(`idle RSS after ${N}: ${idleEnd.join(", ")}`);

    const events = await verifiedEvents(berth);
    const { relay, messages } = await streamed(client, nats.url);
    say(`\naudit verify: ${events} events, hash chain intact`);
    say(
      `JetStream stream ${relay.stream}: ${messages} messages, journal head seq ${relay.head}, relay lag ${relay.lag}`,
    );
    if (messages !== events || relay.head !== events) {
      throw new Error(
        `the stream holds ${messages} messages and the journal head is seq ${relay.head}, but the journal verified ${events} events`,
      );
    }
    const within = (r: number) => r <= 1 + TOLERANCE;
    const pct = (r: number) => `${((r - 1) * 100).toFixed(1)}%`;
    say(
      `\nsteady state (RSS and fds at most ${TOLERANCE * 100}% above the baseline after ${BASELINE} lifecycles): ${
        within(ratio.rss) && within(ratio.fds) ? "met" : "NOT met"
      } (RSS ${pct(ratio.rss)}, fds ${pct(ratio.fds)})`,
    );
  } catch (err) {
    // The daemon's own words are the likeliest explanation of a failed lifecycle.
    if (berth) process.stderr.write(`daemon log (last 4 kB):\n${berth.log().slice(-4096)}\n`);
    throw err;
  } finally {
    for (const p of running.reverse()) {
      await p
        .stop()
        .catch((err: unknown) => process.stderr.write(`stopping failed: ${String(err)}\n`));
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
