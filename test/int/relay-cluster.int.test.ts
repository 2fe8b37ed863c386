/**
 * The relay against a three-node JetStream cluster, its stream R3: the
 * stream's leader is killed while two hosts each have hundreds of publishes
 * in flight. A leader change is where a publish can be lost while a later one
 * is stored; the stream must still hold every event once, each host's in
 * journal order.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { startNatsCluster, tempDir, until } from "../../src/harness/index.js";
import { NatsRelay } from "../../src/nats/index.js";
import { LevelJournal } from "../../src/store/index.js";
import { EventWriter } from "../support/events.js";
import { readJetStream } from "../support/jetstream.js";

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function all(journal: LevelJournal): Promise<CloudEvent[]> {
  const out: CloudEvent[] = [];
  for await (const e of journal.read()) out.push(e);
  return out;
}

describe("relay in a cluster", () => {
  it("keeps each host's order and every event once when the stream's leader dies with publishes in flight", async () => {
    const cluster = await startNatsCluster(3);
    cleanup.push(() => cluster.stop());
    const hosts = ["h1", "h2"] as const;
    const journals: Record<string, LevelJournal> = {};
    const relays: Record<string, NatsRelay> = {};
    const errors: string[] = [];
    for (const host of hosts) {
      const dir = await tempDir("berth-relay-cluster-");
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const journal = await LevelJournal.open(join(dir, "journal"));
      cleanup.push(() => journal.close());
      await new EventWriter(journal, host).bulk(15_000);
      journals[host] = journal;
      const relay = new NatsRelay({
        journal,
        servers: cluster.urls,
        prefix: "berth",
        host,
        stream: "BERTH",
        replicas: 3,
        onError: (e) => errors.push(`${host}: ${e instanceof Error ? e.message : String(e)}`),
      });
      cleanup.push(() => relay.stop());
      relays[host] = relay;
    }
    const [r1, r2] = [relays.h1!, relays.h2!];
    r1.start();
    await until(() => r1.status().cursor > 0, 30_000, "the stream and h1's first event");
    r2.start();
    await until(
      () => r1.status().inFlight >= 100 && r2.status().inFlight >= 100,
      30_000,
      "both hosts with a window under way",
    );
    const leader = await cluster.streamLeader("BERTH");
    await leader.kill();
    const cut = [r1.status(), r2.status()];
    expect(cut.every((s) => s.cursor < 15_000)).toBe(true);

    for (const relay of [r1, r2]) {
      expect(await relay.drained(15_000, 90_000), JSON.stringify(relay.status())).toBe(true);
    }
    const survivor = cluster.nodes.find((n) => n !== leader)!;
    // Right after the election a new consumer may time out: ask again.
    let delivered: Awaited<ReturnType<typeof readJetStream>> = [];
    await until(
      () =>
        readJetStream(survivor.url, 30_000, 10_000).then(
          (d) => ((delivered = d), true),
          () => false,
        ),
      60_000,
      "the stream read back",
    );
    expect(delivered).toHaveLength(30_000);
    for (const host of hosts) {
      const mine = delivered.filter((d) => d.subject.split(".")[1] === host);
      expect(
        mine.map((d) => d.event.id),
        host,
      ).toEqual((await all(journals[host]!)).map((e) => e.id));
    }
    // The leader change was felt: at least one relay lost its connection or a publish.
    expect(errors.length, errors.join("; ")).toBeGreaterThan(0);
  }, 180_000);
});
