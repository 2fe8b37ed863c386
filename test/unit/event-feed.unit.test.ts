/**
 * The feed: history then live with no gap and no duplicate at the seam, a
 * bounded live buffer that sends a lagging consumer back to the journal
 * instead of dropping it, resume points, time bounds and filters.
 */
import { describe, expect, it } from "vitest";
import {
  eventBatches,
  eventFeed,
  parseFilters,
  seqBefore,
  type CloudEvent,
  type FeedOptions,
} from "../../src/events/index.js";
import { MemoryJournal } from "../../src/store/index.js";
import { EventWriter } from "../support/events.js";

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Runs the feed until `stop` says so (or it ends), collecting what it yields. */
async function collect(
  journal: MemoryJournal,
  options: Partial<FeedOptions>,
  stop: (got: CloudEvent[]) => boolean = () => false,
): Promise<CloudEvent[]> {
  const abort = new AbortController();
  const got: CloudEvent[] = [];
  for await (const e of eventFeed(journal, {
    afterSeq: 0,
    follow: false,
    signal: abort.signal,
    ...options,
  })) {
    got.push(e);
    if (stop(got)) abort.abort();
  }
  return got;
}

describe("event feed", () => {
  it("delivers history then live events with no gap and no duplicate while appends race the seam", async () => {
    const journal = new MemoryJournal();
    const writer = new EventWriter(journal);
    await writer.many(300);
    const total = 1_300;
    const appending = writer.many(total - 300, 5);
    const got = await collect(journal, { follow: true }, (g) => g.length >= total);
    await appending;
    expect(got.map((e) => e.seq)).toEqual(range(1, total));
  });

  it("stops at the head as it was when the read began, unless following", async () => {
    const journal = new MemoryJournal();
    const writer = new EventWriter(journal);
    await writer.many(50);
    const feed = eventFeed(journal, {
      afterSeq: 0,
      follow: false,
      signal: new AbortController().signal,
    });
    const got: number[] = [];
    for await (const e of feed) {
      got.push(e.seq);
      if (e.seq === 10) await writer.many(20, 2);
    }
    expect(got).toEqual(range(1, 50));
  });

  it("sends a consumer that fell behind its live buffer back to the journal and loses nothing", async () => {
    const journal = new MemoryJournal();
    const writer = new EventWriter(journal);
    await writer.many(20);
    let reads = 0;
    const read = journal.readRawBatches.bind(journal);
    journal.readRawBatches = (o) => {
      reads += 1;
      return read(o);
    };
    const abort = new AbortController();
    const feed = eventBatches(journal, {
      afterSeq: 0,
      follow: true,
      signal: abort.signal,
      liveBuffer: 16,
      batch: 8,
    });
    const got: number[] = [];
    const first = await feed.next();
    got.push(...(first.value as CloudEvent[]).map((e) => e.seq));
    // The consumer stalls while far more than the buffer arrives.
    await writer.many(1_000, 4);
    for await (const batch of feed) {
      got.push(...batch.map((e) => e.seq));
      if (got.length >= 1_020) abort.abort();
    }
    expect(got).toEqual(range(1, 1_020));
    // The overflowing live queue was dropped and the gap read back from the journal.
    expect(reads).toBe(2);
  });

  it("bounds a stalled consumer's live queue and each batch in bytes, and still loses nothing", async () => {
    const journal = new MemoryJournal();
    const writer = new EventWriter(journal);
    const id = await writer.create("big");
    for (let i = 0; i < 30; i++) await writer.put(id, "sync", { pad: "x".repeat(300) });
    let reads = 0;
    const read = journal.readRawBatches.bind(journal);
    journal.readRawBatches = (o) => {
      reads += 1;
      return read(o);
    };
    const meter = { liveBytes: 0 };
    const abort = new AbortController();
    const feed = eventBatches(journal, {
      afterSeq: 0,
      follow: true,
      signal: abort.signal,
      liveBuffer: 100_000, // far more events than the bytes allow: the bytes must be the bound
      liveBufferBytes: 4_096,
      batchBytes: 2_048,
      meter,
    });
    const bytes = (batch: CloudEvent[]) =>
      batch.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
    const got: number[] = [];
    const sizes: number[] = [];
    const first = (await feed.next()).value as CloudEvent[];
    got.push(...first.map((e) => e.seq));
    sizes.push(bytes(first));
    // The consumer stalls while far more than 4 KB of events arrives.
    let most = 0;
    for (let i = 0; i < 200; i++) {
      await writer.put(id, "sync", { pad: "y".repeat(300) });
      most = Math.max(most, meter.liveBytes);
    }
    for await (const batch of feed) {
      got.push(...batch.map((e) => e.seq));
      sizes.push(bytes(batch));
      if (got.length >= 231) abort.abort();
    }
    expect(got).toEqual(range(1, 231));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(4_096);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2_048);
    // The overflowing live queue was dropped and the gap read back from the journal.
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(meter.liveBytes).toBe(0);
  });

  it("resumes exactly after the given sequence", async () => {
    const journal = new MemoryJournal();
    await new EventWriter(journal).many(40);
    const got = await collect(journal, { afterSeq: 17 });
    expect(got.map((e) => e.seq)).toEqual(range(18, 40));
  });

  it("finds the first event at --since by binary search and drops events after --until", async () => {
    const journal = new MemoryJournal();
    const writer = new EventWriter(journal);
    const id = await writer.create("web", "busybox", "2026-01-01T00:00:00.000Z");
    // One event per minute for 100 minutes.
    for (let m = 1; m <= 100; m++) {
      await writer.put(id, "sync", {}, new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString());
    }
    const since = Date.UTC(2026, 0, 1, 0, 50);
    const until = Date.UTC(2026, 0, 1, 0, 60);
    // The search starts a minute early (clock slack) and never skips a wanted event.
    expect(await seqBefore(journal, since)).toBe(49);
    const got = await collect(journal, { sinceMs: since, untilMs: until });
    expect(got.map((e) => e.time)).toEqual(
      range(50, 60).map((m) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString()),
    );
  });

  it("ends a following feed once --until has passed, with the events stamped at or before it", async () => {
    const journal = new MemoryJournal();
    const writer = new EventWriter(journal);
    await writer.many(5);
    const untilMs = Date.now() + 300;
    const at = (ms: number) => new Date(ms).toISOString();
    // Nothing aborts this feed (collect stops only when told to): only --until can end it.
    const feeding = collect(journal, { follow: true, untilMs });
    // Stamped explicitly, so the bound is tested and not the speed of the appends.
    const id = await writer.create("live", "busybox", at(untilMs - 1));
    await writer.put(id, "start", {}, at(untilMs));
    await writer.put(id, "died", {}, at(untilMs + 1));
    const got = await feeding;
    expect(Date.now()).toBeGreaterThan(untilMs);
    expect(got.map((e) => e.seq)).toEqual(range(1, 7));
  });

  it("filters by name and image, learning containers created before the start point and after it", async () => {
    const journal = new MemoryJournal();
    const writer = new EventWriter(journal);
    const web = await writer.create("web", "nginx");
    const db = await writer.create("db", "postgres");
    await writer.put(web, "start");
    await writer.put(db, "start");
    const from = journal.head().seq;
    const filter = parseFilters(["container=web", "container=cache"]);
    const feeding = collect(
      journal,
      { afterSeq: from, follow: true, filter },
      (g) => g.length >= 3,
    );
    await writer.put(db, "stop");
    await writer.put(web, "stop");
    const cache = await writer.create("cache", "redis");
    await writer.put(cache, "start");
    const got = await feeding;
    expect(got.map((e) => [e.subject, e.type])).toEqual([
      [web, "io.berth.container.stop"],
      [cache, "io.berth.container.create"],
      [cache, "io.berth.container.start"],
    ]);
    const byImage = await collect(journal, { filter: parseFilters(["image=postgres"]) });
    expect(new Set(byImage.map((e) => e.subject))).toEqual(new Set([db]));
  });
});
