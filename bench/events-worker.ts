/**
 * The subscriber side of bench/events.ts, in its own thread so it does not
 * share an event loop with the relay it measures. Times are
 * `process.hrtime.bigint()`, one monotonic clock for every thread.
 *
 *   role "jetstream": an ordered consumer on each stream; records when each
 *     message arrives, by its Nats-Msg-Id, until told to stop.
 *   role "socket": one `subscribe()` (berth/client) over the daemon socket,
 *     history only; reports how many events arrived and how long it took.
 *   role "replay": an ordered consumer that reads a whole stream from the start.
 */
import { parentPort, workerData } from "node:worker_threads";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { subscribe } from "../src/client/index.js";

type Job =
  | { role: "jetstream"; url: string; streams: string[] }
  | { role: "socket"; socketPath: string; validate: boolean }
  | { role: "replay"; url: string; stream: string; count: number };

const job = workerData as Job;
const port = parentPort!;
const now = () => process.hrtime.bigint();

async function jetstreamRole(j: Extract<Job, { role: "jetstream" }>) {
  const nc = await connect({ servers: j.url });
  const js = jetstream(nc);
  const arrivals = new Map<string, bigint>();
  const closers: (() => Promise<void>)[] = [];
  for (const stream of j.streams) {
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume();
    closers.push(() => messages.close().then(() => undefined));
    void (async () => {
      for await (const m of messages) {
        const id = m.headers?.get("Nats-Msg-Id");
        if (id) arrivals.set(id, now());
      }
    })();
  }
  port.postMessage({ ready: true });
  port.once("message", () => {
    void (async () => {
      for (const close of closers) await close();
      await nc.close();
      port.postMessage({ arrivals: [...arrivals].map(([id, t]) => [id, t.toString()]) });
    })();
  });
}

async function socketRole(j: Extract<Job, { role: "socket" }>) {
  const t0 = now();
  let n = 0;
  for await (const e of subscribe({
    socketPath: j.socketPath,
    follow: false,
    validate: j.validate,
  })) {
    if (e.seq > 0) n += 1;
  }
  port.postMessage({ count: n, ns: (now() - t0).toString() });
}

async function replayRole(j: Extract<Job, { role: "replay" }>) {
  const nc = await connect({ servers: j.url });
  const js = jetstream(nc);
  const t0 = now();
  const consumer = await js.consumers.get(j.stream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  let n = 0;
  for await (const m of messages) {
    m.json<unknown>();
    if (++n >= j.count) break;
  }
  const ns = now() - t0;
  await messages.close();
  await nc.close();
  port.postMessage({ count: n, ns: ns.toString() });
}

const run =
  job.role === "jetstream"
    ? jetstreamRole(job)
    : job.role === "socket"
      ? socketRole(job)
      : replayRole(job);
run.catch((err: unknown) => {
  port.postMessage({ error: err instanceof Error ? err.stack : String(err) });
});
