/**
 * `GET /events` of the real daemon (`berth serve`, real LevelDB journal),
 * spoken to over its socket: NDJSON and Server-Sent Events, resume points,
 * slow and stalled consumers, keep-alives, typed 400s for bad queries, and the
 * client library's reconnection. Every event comes from a real request: busybox
 * containers are created and synced, many syncs per batch request where a case
 * needs many events.
 *
 * Two daemons, because their `GET /events` settings conflict: the first has a
 * tiny live buffer (so a slow reader overflows it) and the default 30 s stall
 * limit (so a reader may pause while events pile up); the second disconnects
 * readers that stall for a second, and sends keep-alives every 100 ms.
 */
import { request, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/client/index.js";
import { subscribe } from "../../src/client/index.js";
import { InvalidArgError, SlowConsumerError } from "../../src/errors.js";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";

const LIVE_BUFFER = 32;
const STALL_MS = 1_000;
const HEARTBEAT_MS = 100;

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const api = (b: Berth) => new BerthClient({ socketPath: b.socket });
const head = async (b: Berth) =>
  (await api(b).call<{ journal: { seq: number } }>("GET", "/status")).journal.seq;

/** Configured busybox containers (no process), whose syncs journal without touching runc. */
async function containers(b: Berth, n: number, names: string[] = []): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = names[i];
    const body = { image: "busybox", command: ["true"], ...(name ? { name } : {}) };
    ids.push((await api(b).call<ContainerRecord>("POST", "/containers", body)).id);
  }
  return ids;
}

/** `n` syncs on each container, one batch request per container, all at once: events fast. */
async function syncs(b: Berth, ids: string[], n: number): Promise<void> {
  const commands = Array.from({ length: n }, () => ({ type: "SYNC" }));
  await Promise.all(ids.map((id) => api(b).call("POST", `/containers/${id}/batch`, { commands })));
}

function get(socketPath: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ socketPath, path, headers }, resolve);
    req.on("error", reject);
    req.end();
  });
}

async function text(res: IncomingMessage): Promise<string> {
  res.setEncoding("utf8");
  let s = "";
  for await (const c of res as AsyncIterable<string>) s += c;
  return s;
}

describe("GET /events on a daemon with a small live buffer", () => {
  let berth: Berth;
  let ids: string[];

  beforeAll(async () => {
    berth = await startBerth({ args: ["--events-live-buffer", String(LIVE_BUFFER)] });
    await berth.ok("image", "import", busyboxTar(), "busybox");
    ids = await containers(berth, 8);
  });
  afterAll(async () => {
    await berth?.stop();
  });

  it("streams NDJSON: the history, then live events, with no gap and no duplicate at the seam", async () => {
    await syncs(berth, ids.slice(0, 4), 40);
    const abort = new AbortController();
    const got: number[] = [];
    const reading = (async () => {
      try {
        for await (const e of api(berth).events({}, abort.signal)) got.push(e.seq);
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();
    // Appends from eight containers at once race the seam between history and live.
    await syncs(berth, ids, 40);
    const top = await head(berth);
    await until(
      () => got.length >= top,
      30_000,
      () => `${top} events (got ${got.length})`,
    );
    abort.abort();
    await reading;
    expect(got).toEqual(range(1, top));

    const res = await get(berth.socket, `/events?stream=0&after=${top - 1}`);
    expect(res.headers["content-type"]).toBe("application/x-ndjson");
    const lines = (await text(res)).split("\n").filter(Boolean);
    expect(lines.map((l) => (JSON.parse(l) as CloudEvent).seq)).toEqual([top]);
  });

  it("serves Server-Sent Events whose ids are sequences, and resumes after Last-Event-ID in preference to after", async () => {
    const base = await head(berth);
    await syncs(berth, ids.slice(0, 1), 5);
    const top = await head(berth);
    expect(top - base).toBeGreaterThanOrEqual(10);

    const res = await get(berth.socket, `/events?stream=0&after=${base}`, {
      accept: "text/event-stream",
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/event-stream");
    const frames = (await text(res)).split("\n\n").filter(Boolean);
    expect(frames.map((f) => f.split("\n")[0])).toEqual(
      range(base + 1, top).map((n) => `id: ${n}`),
    );
    for (const frame of frames) {
      const [id, data, ...more] = frame.split("\n");
      expect(more).toEqual([]);
      expect(data).toMatch(/^data: \{/);
      expect((JSON.parse(data!.slice("data: ".length)) as CloudEvent).seq).toBe(
        Number(id!.slice("id: ".length)),
      );
    }

    // A reconnecting EventSource sends Last-Event-ID; it wins over the URL's after.
    const resumed = await get(berth.socket, `/events?stream=0&after=${base + 2}`, {
      accept: "text/event-stream",
      "last-event-id": String(base + 7),
    });
    expect((await text(resumed)).match(/^id: \d+$/gm)).toEqual(
      range(base + 8, top).map((n) => `id: ${n}`),
    );

    // ?format=sse asks for the same without the header.
    const byQuery = await get(berth.socket, `/events?stream=0&after=${top - 1}&format=sse`);
    expect(byQuery.headers["content-type"]).toBe("text/event-stream");
    expect((await text(byQuery)).match(/^id: \d+$/gm)).toEqual([`id: ${top}`]);
  });

  it("keeps a slow reader supplied from the journal once it falls behind its live buffer", async () => {
    const base = await head(berth);
    await syncs(berth, ids.slice(0, 1), 3);
    const abort = new AbortController();
    const batches = api(berth).eventBatches({ afterSeq: base }, abort.signal);
    const got: number[] = [];
    const first = await batches.next();
    got.push(...(first.value as CloudEvent[]).map((e) => e.seq));
    // The reader reads nothing while far more lands than its live buffer and the socket hold
    // (about 200 KB here, a few hundred events), so the daemon has to drop its queue and serve
    // it from the journal, or lose events.
    await syncs(berth, ids, 60);
    const top = await head(berth);
    expect(top - base).toBeGreaterThan(20 * LIVE_BUFFER);
    // A lost event would leave the reader waiting forever: give up in time to show the difference.
    const giveUp = setTimeout(() => abort.abort(), 30_000);
    try {
      for await (const batch of batches) {
        got.push(...batch.map((e) => e.seq));
        // And then it reads, slowly.
        await sleep(5);
        if (got[got.length - 1]! >= top) abort.abort();
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearTimeout(giveUp);
    }
    expect(got).toEqual(range(base + 1, top));
  });

  it("answers each bad query parameter with a typed 400 naming it, before any event", async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ["/events?filter=colour%3Dred", {}, /invalid filter "colour=red"/],
      ["/events?filter=event%3Dexplode", {}, /explode/],
      ["/events?after=-1", {}, /invalid after "-1"/],
      ["/events?stream=maybe", {}, /invalid stream "maybe"/],
      ["/events?since=yesterday", {}, /invalid --since "yesterday"/],
      ["/events?until=soon", {}, /invalid --until "soon"/],
      ["/events", { accept: "text/event-stream", "last-event-id": "x" }, /Last-Event-ID "x"/],
    ];
    for (const [path, headers, message] of cases) {
      const res = await get(berth.socket, path, headers);
      expect(res.statusCode, path).toBe(400);
      expect(JSON.parse(await text(res)), path).toEqual({
        error: { code: "INVALID_ARG", message: expect.stringMatching(message) as unknown },
      });
    }
    // The client library turns the answer back into the typed error.
    const bad = api(berth).events({ since: "yesterday" }).next();
    await expect(bad).rejects.toBeInstanceOf(InvalidArgError);
    await expect(bad).rejects.toThrow(/invalid --since "yesterday"/);
  });

  it("validates events against the schema and applies filters and times given once at the start", async () => {
    const [web] = await containers(berth, 2, ["web", "db"]);
    await api(berth).call("POST", `/containers/${web}/sync`, {});
    const got: CloudEvent[] = [];
    for await (const e of subscribe({
      socketPath: berth.socket,
      follow: false,
      filters: ["container=web"],
      since: "1h",
    })) {
      got.push(e);
    }
    expect(got.map((e) => [e.subject, e.type])).toEqual([
      [web, "io.berth.container.create"],
      [web, "io.berth.container.request"],
      [web, "io.berth.container.sync"],
    ]);
    await expect(subscribe({ socketPath: berth.socket, filters: ["nope"] }).next()).rejects.toThrow(
      /invalid filter/,
    );
  });

  // Last on this daemon: it restarts it.
  it("reconnects subscribe() after the daemon goes away and resumes with no gap and no duplicate", async () => {
    const base = await head(berth);
    await syncs(berth, ids.slice(0, 2), 25);
    const before = await head(berth);
    const abort = new AbortController();
    const got: number[] = [];
    const reconnects: unknown[] = [];
    const reading = (async () => {
      for await (const e of subscribe({
        socketPath: berth.socket,
        afterSeq: base,
        signal: abort.signal,
        backoff: { initialMs: 20, maxMs: 200 },
        onReconnect: (err) => reconnects.push(err),
      })) {
        got.push(e.seq);
      }
    })();
    await until(() => got.length >= before - base, 10_000, "the history");
    await berth.kill("SIGTERM");
    await berth.start();
    // Some of these may land before the subscriber is back: it must read them from the journal.
    await syncs(berth, ids.slice(0, 4), 25);
    await syncs(berth, ids.slice(0, 2), 25);
    const top = await head(berth);
    await until(
      () => got.length >= top - base,
      20_000,
      () => `${top - base} events`,
    );
    abort.abort();
    await reading;
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
    expect(got).toEqual(range(base + 1, top));
  });
});

describe("GET /events on a daemon that disconnects stalled readers", () => {
  let berth: Berth;
  let total: number;

  beforeAll(async () => {
    berth = await startBerth({
      args: ["--events-stall-ms", String(STALL_MS), "--events-heartbeat-ms", String(HEARTBEAT_MS)],
    });
    await berth.ok("image", "import", busyboxTar(), "busybox");
    // More history than one write of the route (1000 events) and the socket buffers hold.
    await syncs(berth, await containers(berth, 4), 200);
    total = await head(berth);
  });
  afterAll(async () => {
    await berth?.stop();
  });

  // The reader waits 2.5 stall periods: past the stall limit, and well inside the grace (four
  // more periods) in which the daemon keeps the socket for it to read the error.
  const stalled = () => sleep(2.5 * STALL_MS);

  it("disconnects a reader that stops reading, ending its stream with SLOW_CONSUMER, and it can resume", async () => {
    expect(total).toBeGreaterThan(1_500);
    const res = await get(berth.socket, "/events");
    res.pause();
    await stalled();
    const lines = (await text(res)).split("\n").filter(Boolean);
    const last = JSON.parse(lines[lines.length - 1]!) as {
      error: { code: string; message: string };
    };
    expect(last.error.code).toBe("SLOW_CONSUMER");
    expect(last.error.message).toContain(`read nothing for ${STALL_MS} ms`);
    const received = lines.slice(0, -1).map((l) => (JSON.parse(l) as CloudEvent).seq);
    expect(received).toEqual(range(1, received.length));
    expect(received.length).toBeLessThan(total);

    const rest: number[] = [];
    for await (const e of api(berth).events({ afterSeq: received.length, follow: false }))
      rest.push(e.seq);
    expect([...received, ...rest]).toEqual(range(1, total));
  });

  it("throws SlowConsumerError from the client when the daemon ends a stalled stream", async () => {
    const events = api(berth).events({ follow: false });
    const first = await events.next();
    expect((first.value as CloudEvent).seq).toBe(1);
    await stalled();
    let seen = 1;
    await expect(
      (async () => {
        for await (const e of events) seen = e.seq;
      })(),
    ).rejects.toBeInstanceOf(SlowConsumerError);
    expect(seen).toBeLessThan(total);
  });

  it("sends keep-alives on an idle stream: blank lines in NDJSON, comment lines in SSE", async () => {
    const top = await head(berth);
    const kinds: [Record<string, string>, string][] = [
      [{}, "\n"],
      [{ accept: "text/event-stream" }, ":\n\n"],
    ];
    for (const [headers, keepAlive] of kinds) {
      const res = await get(berth.socket, `/events?after=${top}`, headers);
      res.setEncoding("utf8");
      let body = "";
      res.on("data", (d: string) => (body += d));
      await until(() => body.length >= 2 * keepAlive.length, 10_000, "two keep-alives");
      res.destroy();
      expect(body.replaceAll(keepAlive, "")).toBe("");
    }
  });
});
