/**
 * The relay against a real nats-server: the stream it creates or fixes,
 * CloudEvents in structured mode with the event id as Nats-Msg-Id, order and
 * exactly-once across a server killed mid-stream (also with a thousand
 * publishes in flight), no republish after a lost cursor, two hosts whose
 * pipelined publishes interleave in one stream, and the server refusing
 * every publish after a lost one.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { startNats, tempDir, until, type Nats } from "../../src/harness/index.js";
import { NatsRelay, type RelayOptions } from "../../src/nats/index.js";
import { PublishWindow } from "../../src/nats/publish-window.js";
import { LevelJournal } from "../../src/store/index.js";
import { EventWriter } from "../support/events.js";
import { readJetStream } from "../support/jetstream.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(options: Partial<RelayOptions> = {}) {
  const nats = await startNats();
  cleanup.push(() => nats.stop());
  const dir = await tempDir("berth-relay-");
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const journal = await LevelJournal.open(join(dir, "journal"));
  const errors: string[] = [];
  const relay = (extra: Partial<RelayOptions> = {}) =>
    new NatsRelay({
      journal,
      servers: nats.url,
      prefix: "berth",
      host: "h1",
      stream: "BERTH",
      onError: (e) => errors.push(e instanceof Error ? e.message : String(e)),
      ...options,
      ...extra,
    });
  cleanup.push(() => journal.close());
  return { nats, journal, relay, errors, writer: new EventWriter(journal, "h1") };
}

async function all(journal: LevelJournal): Promise<CloudEvent[]> {
  const out: CloudEvent[] = [];
  for await (const e of journal.read()) out.push(e);
  return out;
}

async function streamInfo(nats: Nats, name = "BERTH") {
  const nc = await connect({ servers: nats.url });
  try {
    return await (await jetstreamManager(nc)).streams.info(name);
  } finally {
    await nc.close();
  }
}

describe("relay", () => {
  it("creates the stream on four-token subjects with file storage and a ten-minute duplicate window", async () => {
    const { nats, relay, writer, journal } = await setup();
    const r = relay();
    cleanup.push(() => r.stop());
    r.start();
    const id = await writer.create("web");
    await writer.put(id, "start");
    expect(await r.drained(journal.head().seq)).toBe(true);
    const info = await streamInfo(nats);
    expect(info.config).toMatchObject({
      name: "BERTH",
      subjects: ["berth.*.*.*"],
      storage: StorageType.File,
      duplicate_window: nanos(10 * 60_000),
      num_replicas: 1,
    });
    const delivered = await readJetStream(nats.url, 2);
    expect(delivered.map((d) => d.subject)).toEqual([
      `berth.h1.${id}.create`,
      `berth.h1.${id}.start`,
    ]);
    expect(delivered.map((d) => d.msgId)).toEqual((await all(journal)).map((e) => e.id));
    expect(delivered.map((d) => d.contentType)).toEqual([
      "application/cloudevents+json",
      "application/cloudevents+json",
    ]);
  });

  it("fixes an existing stream whose catch-all subject would capture the NATS API", async () => {
    const { nats, relay, writer, journal } = await setup();
    const nc = await connect({ servers: nats.url });
    await (
      await jetstreamManager(nc)
    ).streams.add({
      name: "BERTH",
      subjects: ["berth.>"],
      storage: StorageType.File,
      duplicate_window: nanos(120_000),
    });
    await nc.close();
    const r = relay();
    cleanup.push(() => r.stop());
    r.start();
    await writer.create("web");
    expect(await r.drained(journal.head().seq)).toBe(true);
    expect((await streamInfo(nats)).config).toMatchObject({
      subjects: ["berth.*.*.*"],
      duplicate_window: nanos(10 * 60_000),
    });
  });

  it("refuses a memory stream with a clear error, keeps the events in the journal and retries", async () => {
    const { nats, relay, writer, journal, errors } = await setup();
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: "BERTH",
      subjects: ["berth.*.*.*"],
      storage: StorageType.Memory,
    });
    const r = relay();
    cleanup.push(() => r.stop());
    r.start();
    await writer.create("web");
    await until(() => r.status().lastError !== undefined, 5_000, "the relay's error");
    expect(r.status()).toMatchObject({ lag: 1, cursor: 0 });
    expect(r.status().lastError).toContain("uses memory storage; berth needs file storage");
    expect(errors.length).toBeGreaterThan(0);
    // Once the operator replaces the stream, the waiting event goes out.
    await jsm.streams.delete("BERTH");
    await nc.close();
    expect(await r.drained(journal.head().seq, 15_000)).toBe(true);
  });

  it("keeps order and exactly-once when nats-server is killed mid-stream and comes back", async () => {
    const { nats, relay, writer, journal } = await setup();
    const r = relay();
    cleanup.push(() => r.stop());
    r.start();
    const writing = writer.many(3_000, 8);
    await until(() => r.status().cursor > 300, 10_000, "the relay under way");
    await nats.kill();
    await writing;
    expect(r.status().connected).toBe(false);
    await nats.start();
    expect(await r.drained(journal.head().seq, 30_000)).toBe(true);
    const delivered = await readJetStream(nats.url, 3_000);
    expect(delivered.map((d) => d.event.seq)).toEqual((await all(journal)).map((e) => e.seq));
    expect(new Set(delivered.map((d) => d.msgId)).size).toBe(3_000);
  });

  it("publishes nothing again after a crash lost its cursor, however long ago the events landed", async () => {
    const { nats, relay, writer, journal } = await setup();
    const first = relay();
    first.start();
    await writer.many(50, 5);
    expect(await first.drained(journal.head().seq)).toBe(true);
    await first.stop();
    // A crash before the cursor reached the disk: the stored cursor is far behind.
    await journal.setMeta("relay.cursor", "0");
    const nc = await connect({ servers: nats.url });
    const republished: string[] = [];
    const sub = nc.subscribe("berth.>", { callback: (_e, m) => void republished.push(m.subject) });
    await nc.flush();
    const second = relay();
    cleanup.push(() => second.stop());
    second.start();
    await until(() => second.status().connected && second.status().cursor === 50, 10_000, "resume");
    const id = await writer.create("after");
    expect(await second.drained(journal.head().seq)).toBe(true);
    await nc.flush();
    // Only the new event went out; the 50 that had landed were skipped, not sent to be deduplicated.
    expect(republished).toEqual([`berth.h1.${id}.create`]);
    sub.unsubscribe();
    await nc.close();
    expect((await readJetStream(nats.url, 51)).map((d) => d.event.seq)).toEqual(
      Array.from({ length: 51 }, (_, i) => i + 1),
    );
  });

  it("keeps order and exactly-once when nats-server is killed with hundreds of publishes in flight", async () => {
    const { nats, relay, writer, journal } = await setup();
    await writer.bulk(30_000);
    const r = relay();
    cleanup.push(() => r.stop());
    r.start();
    // Killed in the middle of a window, not between two publishes.
    await until(() => r.status().inFlight >= 200, 20_000, "a window under way");
    await nats.kill();
    const cut = r.status();
    expect(cut.cursor).toBeLessThan(30_000);
    await until(() => !r.status().connected, 10_000, "the relay to notice");
    await nats.start();
    expect(await r.drained(journal.head().seq, 60_000)).toBe(true);
    const delivered = await readJetStream(nats.url, 30_000, 30_000);
    expect(delivered.map((d) => d.event.seq)).toEqual((await all(journal)).map((e) => e.seq));
    expect(new Set(delivered.map((d) => d.msgId)).size).toBe(30_000);
  }, 120_000);

  it("keeps each host's order and every event once when two hosts' pipelined publishes interleave in one stream", async () => {
    const { nats, relay, writer, journal } = await setup();
    const dir2 = await tempDir("berth-relay-");
    cleanup.push(() => rm(dir2, { recursive: true, force: true }));
    const journal2 = await LevelJournal.open(join(dir2, "journal"));
    cleanup.push(() => journal2.close());
    await writer.bulk(10_000);
    await new EventWriter(journal2, "h2").bulk(10_000);
    const r1 = relay();
    const r2 = relay({ journal: journal2, host: "h2" });
    cleanup.push(
      () => r1.stop(),
      () => r2.stop(),
    );
    r1.start();
    r2.start();
    expect(await r1.drained(journal.head().seq, 60_000)).toBe(true);
    expect(await r2.drained(journal2.head().seq, 60_000)).toBe(true);
    const delivered = await readJetStream(nats.url, 20_000, 30_000);
    expect(delivered).toHaveLength(20_000);
    const hostOf = (d: { subject: string }) => d.subject.split(".")[1];
    expect(delivered.filter((d) => hostOf(d) === "h1").map((d) => d.event.id)).toEqual(
      (await all(journal)).map((e) => e.id),
    );
    expect(delivered.filter((d) => hostOf(d) === "h2").map((d) => d.event.id)).toEqual(
      (await all(journal2)).map((e) => e.id),
    );
    // The hosts really did publish at the same time: the stream switches host often, each
    // switch a broken chain for the host that had publishes in flight.
    const switches = delivered.filter((d, i) => i > 0 && hostOf(d) !== hostOf(delivered[i - 1]!));
    expect(switches.length).toBeGreaterThan(10);
  }, 120_000);

  it("has the stream refuse every publish after one that was lost, so none lands out of order", async () => {
    const { nats, writer, journal } = await setup();
    await writer.many(50, 5);
    const events = await all(journal);
    const nc = await connect({ servers: nats.url });
    cleanup.push(() => nc.close());
    await (
      await jetstreamManager(nc)
    ).streams.add({ name: "BERTH", subjects: ["berth.*.*.*"], storage: StorageType.File });
    const acked: number[] = [];
    const window = new PublishWindow(nc, {
      // The tenth event goes where no stream listens: lost, as to a stream leader that just stepped down.
      subjectOf: (e) => (e.seq === 10 ? "elsewhere.h1.x.start" : `berth.h1.${e.subject}.start`),
      size: 1_024,
      timeoutMs: 5_000,
      onAck: (e) => acked.push(e.seq),
      onChange: () => undefined,
    });
    for (const e of events) await window.send(e);
    await until(() => window.failure !== undefined, 10_000, "the lost publish to fail");
    window.close();
    // The stream takes this connection's publishes in order: once this one is acknowledged,
    // the fifty before it have all been decided.
    await jetstream(nc).publish("berth.h1.x.sentinel", JSON.stringify({ seq: 0 }));
    // Only the nine before the gap landed; the forty after it were each refused.
    expect((await readJetStream(nats.url, 10)).map((d) => d.event.seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 0,
    ]);
    expect(acked).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
