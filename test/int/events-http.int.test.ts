/**
 * `GET /events` over a real unix socket on a real LevelDB journal: NDJSON and
 * Server-Sent Events, resume points, slow and stalled consumers, and the
 * client library's reconnection.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/api/client.js";
import { eventsRoute, type EventsRouteOptions } from "../../src/api/events-route.js";
import { subscribe } from "../../src/client/index.js";
import { SlowConsumerError } from "../../src/errors.js";
import type { CloudEvent } from "../../src/events/index.js";
import { tempDir, until } from "../../src/harness/index.js";
import { LevelJournal } from "../../src/store/index.js";
import { EventWriter } from "../support/events.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function serve(journal: LevelJournal, socketPath: string, options: EventsRouteOptions = {}) {
  const route = eventsRoute(journal, options);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://berth");
    route({ req, res, url, ref: "", name: "", meta: { actor: "t", requestId: "r" } }).catch(
      (err: unknown) => {
        const e = err as { status?: number; toJSON?: () => unknown };
        res.writeHead(e.status ?? 500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: e.toJSON?.() ?? String(err) }));
      },
    );
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return server;
}

const close = (server: Server) =>
  new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });

async function setup(options: EventsRouteOptions = {}) {
  const dir = await tempDir("berth-events-");
  const journal = await LevelJournal.open(join(dir, "journal"));
  const socketPath = join(dir, "events.sock");
  let server = await serve(journal, socketPath, options);
  cleanup.push(async () => {
    await close(server);
    await journal.close();
  });
  return {
    journal,
    socketPath,
    writer: new EventWriter(journal),
    client: new BerthClient({ socketPath }),
    async restart() {
      await close(server);
      server = await serve(journal, socketPath, options);
    },
    stop: () => close(server),
  };
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

describe("GET /events", () => {
  it("streams NDJSON: the history, then live events, with no gap and no duplicate at the seam", async () => {
    const { writer, client } = await setup();
    await writer.many(500);
    const abort = new AbortController();
    const got: number[] = [];
    const reading = (async () => {
      try {
        for await (const e of client.events({}, abort.signal)) {
          got.push(e.seq);
          if (got.length === 1_500) abort.abort();
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();
    // Appends race the seam between history and live.
    await writer.many(1_000, 5);
    await reading;
    expect(got).toEqual(range(1, 1_500));
  });

  it("serves Server-Sent Events whose ids are sequences, and resumes after Last-Event-ID", async () => {
    const { writer, socketPath } = await setup();
    await writer.many(10);
    const res = await get(socketPath, "/events?stream=0", { accept: "text/event-stream" });
    expect(res.headers["content-type"]).toBe("text/event-stream");
    const frames = (await text(res)).split("\n\n").filter(Boolean);
    expect(frames).toHaveLength(10);
    const first = frames[0]!.split("\n");
    expect(first[0]).toBe("id: 1");
    expect((JSON.parse(first[1]!.slice("data: ".length)) as CloudEvent).seq).toBe(1);

    const resumed = await get(socketPath, "/events?stream=0&after=2", {
      accept: "text/event-stream",
      "last-event-id": "7",
    });
    const ids = (await text(resumed)).match(/^id: \d+$/gm);
    expect(ids).toEqual(["id: 8", "id: 9", "id: 10"]);
  });

  it("keeps a slow reader supplied from the journal once it falls behind its live buffer", async () => {
    const { writer, client } = await setup({ liveBuffer: 32 });
    await writer.many(5);
    const abort = new AbortController();
    const got: number[] = [];
    const total = 5_005;
    const reading = (async () => {
      try {
        for await (const batch of client.eventBatches({}, abort.signal)) {
          got.push(...batch.map((e) => e.seq));
          // A reader far slower than the writer.
          await new Promise((r) => setTimeout(r, 5));
          if (got.length >= total) abort.abort();
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();
    await writer.many(5_000, 16);
    await reading;
    expect(got).toEqual(range(1, total));
  });

  it("disconnects a reader that stops reading, ending its stream with SLOW_CONSUMER, and it can resume", async () => {
    const { writer, socketPath, client } = await setup({ stallMs: 300 });
    // Far more history than the socket buffers hold, for a reader that reads nothing.
    await writer.bulk(30_000);
    const res = await get(socketPath, "/events");
    res.pause();
    await new Promise((r) => setTimeout(r, 500));
    const lines = (await text(res)).split("\n").filter(Boolean);
    const last = JSON.parse(lines[lines.length - 1]!) as {
      error: { code: string; message: string };
    };
    expect(last.error.code).toBe("SLOW_CONSUMER");
    expect(last.error.message).toContain("read nothing for 300 ms");
    const received = lines.slice(0, -1).map((l) => (JSON.parse(l) as CloudEvent).seq);
    expect(received).toEqual(range(1, received.length));
    expect(received.length).toBeLessThan(30_000);

    const rest: number[] = [];
    for await (const e of client.events({ afterSeq: received.length, follow: false }))
      rest.push(e.seq);
    expect([...received, ...rest]).toEqual(range(1, 30_000));
  });

  it("throws SlowConsumerError from the client when the daemon ends a stalled stream", async () => {
    const { writer, client } = await setup({ stallMs: 200 });
    await writer.bulk(30_000);
    const events = client.events({ follow: false });
    const first = await events.next();
    expect((first.value as CloudEvent).seq).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    let seen = 1;
    await expect(
      (async () => {
        for await (const e of events) seen = e.seq;
      })(),
    ).rejects.toBeInstanceOf(SlowConsumerError);
    expect(seen).toBeLessThan(30_000);
  });

  it("answers a bad query with a typed 400 before any event", async () => {
    const { socketPath, client } = await setup();
    const res = await get(socketPath, "/events?filter=colour%3Dred");
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(await text(res))).toMatchObject({ error: { code: "INVALID_ARG" } });
    await expect(client.events({ since: "yesterday" }).next()).rejects.toThrow(/invalid --since/);
  });
});

describe("subscribe() from berth/client", () => {
  it("reconnects after the daemon goes away and resumes with no gap and no duplicate", async () => {
    const daemon = await setup();
    const { writer, socketPath } = daemon;
    await writer.many(100);
    const abort = new AbortController();
    const got: CloudEvent[] = [];
    let reconnects = 0;
    const reading = (async () => {
      for await (const e of subscribe({
        socketPath,
        signal: abort.signal,
        backoff: { initialMs: 20 },
        onReconnect: () => (reconnects += 1),
      })) {
        got.push(e);
        if (got.length === 400) abort.abort();
      }
    })();
    await until(() => got.length >= 100, 10_000, "the history");
    await daemon.stop();
    await writer.many(200, 4);
    await new Promise((r) => setTimeout(r, 100));
    await daemon.restart();
    await writer.many(100, 4);
    await reading;
    expect(reconnects).toBeGreaterThanOrEqual(1);
    expect(got.map((e) => e.seq)).toEqual(range(1, 400));
  });

  it("validates events against the schema and applies filters and times given once at the start", async () => {
    const { writer, socketPath } = await setup();
    const web = await writer.create("web", "nginx");
    await writer.create("db", "postgres");
    await writer.put(web, "start");
    const got: CloudEvent[] = [];
    for await (const e of subscribe({
      socketPath,
      follow: false,
      filters: ["container=web"],
      since: "1h",
    })) {
      got.push(e);
    }
    expect(got.map((e) => e.type)).toEqual([
      "io.berth.container.create",
      "io.berth.container.start",
    ]);
    await expect(subscribe({ socketPath, filters: ["nope"] }).next()).rejects.toThrow(
      /invalid filter/,
    );
  });
});
