/**
 * The fleet: a three-node JetStream cluster on loopback holds the event stream
 * as R3, two daemons (two roots, two host ids) relay into it, and one
 * subscriber sees both hosts' events. The stream's leader is killed in the
 * middle of the workload; no event is lost, none lands twice, and each host's
 * events stay in order.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  BerthClient,
  FleetClient,
  natsSubscribe,
  type NatsDelivery,
} from "../../src/client/index.js";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import {
  busyboxTar,
  startBerth,
  startNatsCluster,
  until,
  type Berth,
} from "../../src/harness/index.js";
import { testKeys } from "../support/nats-keys.js";

const running: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

// The socket API directly: the CLI's process start per call would only slow the workload down.
const api = (berth: Berth) => new BerthClient({ socketPath: berth.socket });

async function journal(berth: Berth): Promise<CloudEvent[]> {
  const all: CloudEvent[] = [];
  for await (const e of api(berth).events({ follow: false })) all.push(e);
  return all;
}

type Status = { journal: { seq: number }; relay: { lag: number; connected: boolean } };
const status = (berth: Berth) => api(berth).call<Status>("GET", "/status");

/** Container lifecycles, one after the other, on one host. */
async function workload(berth: Berth, rounds: number, done: { rounds: number }) {
  const c = api(berth);
  for (let i = 0; i < rounds; i++) {
    const { id } = await c.call<ContainerRecord>("POST", "/containers", {
      image: "busybox",
      command: ["sleep", "1000"],
    });
    await c.call("POST", `/containers/${id}/start`, {});
    await c.call("POST", `/containers/${id}/stop`, { timeout: 0 });
    await c.call("DELETE", `/containers/${id}`);
    done.rounds += 1;
  }
}

describe("fleet", () => {
  it("delivers both hosts' events to one subscriber, in order and once, when a NATS node dies mid-workload", async () => {
    const cluster = await startNatsCluster(3);
    running.push(cluster);
    const servers = cluster.urls.join(",");
    const hosts: Record<string, Berth> = {};
    const keys = await testKeys();
    running.push(keys);
    for (const host of ["h1", "h2"]) {
      const berth = await startBerth({
        nats: servers,
        host,
        args: ["--stream-replicas", "3", ...keys.args],
      });
      running.push(berth);
      await berth.ok("image", "import", busyboxTar(), "busybox");
      hosts[host] = berth;
    }
    const [h1, h2] = [hosts.h1!, hosts.h2!];

    // The stream exists once a relay has connected; then one subscriber follows it.
    await until(async () => (await status(h1)).relay.connected, 15_000, "h1's relay");
    await until(async () => (await status(h2)).relay.connected, 15_000, "h2's relay");
    const abort = new AbortController();
    const seen: NatsDelivery[] = [];
    const statuses: string[] = [];
    const t0 = Date.now();
    const subscribing = (async () => {
      for await (const d of natsSubscribe({
        servers: cluster.urls,
        heartbeatMs: 1_000,
        onStatus: (st) => statuses.push(`${Date.now() - t0}ms ${JSON.stringify(st)}`),
        signal: abort.signal,
      })) {
        seen.push(d);
      }
    })().catch((err: unknown) => {
      if (!abort.signal.aborted) throw err;
    });

    const done1 = { rounds: 0 };
    const done2 = { rounds: 0 };
    const working = Promise.all([workload(h1, 5, done1), workload(h2, 5, done2)]);
    await until(() => done1.rounds >= 2 && done2.rounds >= 2, 30_000, "the workload under way");
    const leader = await cluster.streamLeader("BERTH");
    statuses.push(`${Date.now() - t0}ms killing ${leader.name}`);
    await leader.kill();
    await working;

    // Both daemons kept serving; their relays drain into the surviving majority.
    for (const berth of [h1, h2]) {
      await until(async () => (await status(berth)).relay.lag === 0, 30_000, "relay lag 0");
    }
    const expected = { h1: await journal(h1), h2: await journal(h2) };
    // The journals are the expected answer, so first check they hold the workload at all: with
    // both empty (a broken read), every comparison below would hold.
    for (const host of ["h1", "h2"] as const) {
      const removed = expected[host].filter((e) => e.type === "io.berth.container.remove");
      expect(removed, host).toHaveLength(5);
    }
    await until(
      () => seen.length >= expected.h1.length + expected.h2.length,
      30_000,
      () =>
        `every event at the subscriber: h1 ${seen.filter((d) => d.host === "h1").length} of ${expected.h1.length}, h2 ${seen.filter((d) => d.host === "h2").length} of ${expected.h2.length}; consumer: ${statuses.slice(-12).join("; ")}`,
    );
    abort.abort();
    await subscribing;

    for (const host of ["h1", "h2"] as const) {
      const mine = seen.filter((d) => d.host === host);
      expect(mine.map((d) => d.event)).toEqual(expected[host]);
      expect(mine.every((d) => d.event.source === `berth://${host}`)).toBe(true);
    }
    expect(seen).toHaveLength(expected.h1.length + expected.h2.length);
    expect(new Set(seen.map((d) => d.event.id)).size).toBe(seen.length);
    expect(seen.map((d) => d.streamSeq)).toEqual(
      [...seen.map((d) => d.streamSeq)].sort((a, b) => a - b),
    );

    // The fleet is also driven through the cluster, host by host.
    const fleet = await FleetClient.connect({
      servers: cluster.urls,
      nkeySeed: keys.readOnly.seed,
    });
    running.push({ stop: () => fleet.close() });
    for (const host of ["h1", "h2"]) {
      expect(await fleet.call(host, "ping")).toMatchObject({ host });
    }
  }, 90_000);
});
