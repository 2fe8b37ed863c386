/**
 * Docker's `GET /events` over real HTTP, on a real LevelDB journal written as
 * the daemon writes it (test/support/events.ts), through berth's own feed:
 * replay with `since` (beyond dockerd's 256), resuming from the last timeNano
 * seen, live only without since/until, `until` ending the stream, filters,
 * and the 400s of bad queries. The route runs on a plain node HTTP server
 * here; the lead wires it into the Docker socket server.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerEventsRoute } from "../../src/docker/events-route.js";
import { asBerthError } from "../../src/errors.js";
import { LevelJournal } from "../../src/store/index.js";
import { EventWriter, newId } from "../support/events.js";

interface Line {
  Type: string;
  Action: string;
  status: string;
  id: string;
  from: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  /** Kept as text: it does not fit a double. */
  timeNano: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowSec = () => (Date.now() / 1000).toFixed(3);
/** An until that covers what was stamped in this very millisecond (its timeNano is a little after it). */
const untilNow = () => ((Date.now() + 1) / 1000).toFixed(3);

/** Parses one line, keeping timeNano exact. */
const parse = (line: string) =>
  JSON.parse(line.replace(/"timeNano":(\d+)/, '"timeNano":"$1"')) as Line;

let dir: string;
let journal: LevelJournal;
let writer: EventWriter;
let server: Server;
let port: number;

function get(path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, resolve);
    req.on("error", reject);
    req.end();
  });
}

/** Reads lines off a response as they come. */
class Lines {
  private buf = "";
  private readonly lines: Line[] = [];
  ended = false;
  private wake: (() => void) | undefined;

  constructor(readonly res: IncomingMessage) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.trim() !== "") this.lines.push(parse(line));
      }
      this.wake?.();
    });
    res.on("end", () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** The next `n` lines; fails after `ms`. */
  async take(n: number, ms = 5_000): Promise<Line[]> {
    const deadline = Date.now() + ms;
    while (this.lines.length < n) {
      if (this.ended) throw new Error(`stream ended after ${this.lines.length} of ${n} lines`);
      if (Date.now() > deadline) throw new Error(`${this.lines.length} of ${n} lines in ${ms} ms`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.lines.splice(0, n);
  }

  /** Every line until the stream ends. */
  async rest(ms = 5_000): Promise<Line[]> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`stream still open after ${ms} ms`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.lines.splice(0);
  }

  close(): void {
    this.res.destroy();
  }
}

async function open(query: string): Promise<Lines> {
  const res = await get(`/events${query}`);
  return new Lines(res);
}

/** One container's life as the daemon journals it: create with labels, start, stop by SIGTERM, died, rm. */
async function life(name: string): Promise<string> {
  const id = newId();
  await writer.put(id, "create", { name, image: "busybox:latest", labels: { app: name } });
  await writer.put(id, "request", { command: "START", args: {} });
  await writer.put(id, "init", { pid: 10, conmonPid: 9 });
  await writer.put(id, "start", { startedAt: "", restartCount: 0 });
  await writer.put(id, "stop", { signal: "SIGTERM", timeout: 10, escalated: false });
  await writer.put(id, "died", { exitCode: 143, exitedAt: "", oomKilled: false });
  await writer.put(id, "remove", {});
  return id;
}
const LIFE = ["create", "start", "kill", "stop", "die", "destroy"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-docker-events-"));
  journal = await LevelJournal.open(join(dir, "journal"));
  writer = new EventWriter(journal);
  const route = dockerEventsRoute({ journal });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://docker");
    route({ req, res, url }).catch((err: unknown) => {
      // What the Docker socket server does with a typed error: Docker's {"message"} body.
      const e = asBerthError(err);
      if (res.headersSent) return void res.destroy();
      res.writeHead(e.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: e.message }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  port = typeof address === "object" && address ? address.port : 0;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await journal?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("Docker's GET /events", () => {
  it("replays from since, far beyond dockerd's 256 events, then follows live events", async () => {
    const since = nowSec();
    await sleep(5);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await life(`c${i}`)); // 300 Docker events
    const stream = await open(`?since=${since}`);
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers["content-type"]).toBe("application/json");
    const history = await stream.take(300);
    expect(history.slice(0, 6).map((l) => l.Action)).toEqual(LIFE);
    expect(new Set(history.map((l) => l.id))).toEqual(new Set(ids));
    const first = history[0]!;
    expect(first).toMatchObject({ Type: "container", status: "create", from: "busybox:latest" });
    expect(first.Actor.Attributes).toEqual({ app: "c0", name: "c0", image: "busybox:latest" });
    expect(history[4]?.Actor.Attributes.exitCode).toBe("143");
    expect(history[2]?.Actor.Attributes.signal).toBe("15");
    const live = await writer.create("late");
    const [next] = await stream.take(1);
    expect(next).toMatchObject({ id: live, Action: "create" });
    stream.close();
  });

  it("gives a subscriber that resumes from the last timeNano it saw every later event and none twice", async () => {
    const since = nowSec();
    await sleep(5);
    for (let i = 0; i < 5; i++) await life(`r${i}`);
    const all = await (await open(`?since=${since}&until=${untilNow()}`)).rest();
    expect(all.length).toBe(30);
    const nanos = all.map((l) => BigInt(l.timeNano));
    for (let i = 1; i < nanos.length; i++) expect(nanos[i]! > nanos[i - 1]!).toBe(true);
    const resumed = await (
      await open(
        `?since=${all[12]!.timeNano.slice(0, -9)}.${all[12]!.timeNano.slice(-9)}&until=${untilNow()}`,
      )
    ).rest();
    expect(resumed.map((l) => l.timeNano)).toEqual(all.slice(13).map((l) => l.timeNano));
  });

  it("without since or until sends only what is journaled after the request, with the 200 flushed at once", async () => {
    await life("before");
    const stream = await open("");
    expect(stream.res.statusCode).toBe(200);
    const id = await writer.create("after");
    const [first] = await stream.take(1);
    expect(first).toMatchObject({ id, Action: "create" });
    stream.close();
  });

  it("ends the stream at an until in the future, and at once for one in the past", async () => {
    const started = Date.now();
    const future = await open(`?until=${((Date.now() + 400) / 1000).toFixed(3)}`);
    const id = await writer.create("before-until");
    const lines = await future.rest(3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(lines.map((l) => l.id)).toContain(id);
    const past = await open(`?since=${nowSec()}&until=${untilNow()}`);
    expect(await past.rest(1_000)).toEqual([]);
  });

  it("applies Docker's filters to the replay", async () => {
    const since = nowSec();
    await sleep(5);
    const keep = await life("keep-me");
    await life("other");
    const filters = encodeURIComponent(
      JSON.stringify({ event: { die: true, destroy: true }, label: { "app=keep-me": true } }),
    );
    const lines = await (
      await open(`?since=${since}&until=${untilNow()}&filters=${filters}`)
    ).rest();
    expect(lines.map((l) => [l.id, l.Action])).toEqual([
      [keep, "die"],
      [keep, "destroy"],
    ]);
  });

  it("disconnects a subscriber that stops reading, and it resumes from its last timeNano with nothing lost", async () => {
    const socket = join(dir, "stall.sock");
    const route = dockerEventsRoute({ journal, stallMs: 300 });
    const stallServer = createServer((req, res) => {
      void route({ req, res, url: new URL(req.url ?? "/", "http://docker") });
    });
    await new Promise<void>((r) => stallServer.listen(socket, r));
    try {
      const since = nowSec();
      await sleep(5);
      await writer.many(6_000); // about 2 MB of Docker events, more than the socket holds
      const until = untilNow();
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(
          { socketPath: socket, path: `/events?since=${since}&until=${until}` },
          resolve,
        );
        req.on("error", reject);
        req.end();
      });
      res.pause();
      const closed = new Promise<boolean>((r) => {
        res.on("close", () => r(res.complete));
        res.on("error", () => r(false));
      });
      await sleep(1_000);
      // Read what had been sent before the server gave up.
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.resume();
      expect(await closed).toBe(false);
      // The close may cut the last line: only whole lines count as received.
      const got = text
        .slice(0, text.lastIndexOf("\n"))
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map(parse);
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(6_000);
      const last = got[got.length - 1]!.timeNano;
      const rest = await (
        await open(`?since=${last.slice(0, -9)}.${last.slice(-9)}&until=${until}`)
      ).rest(20_000);
      expect(got.length + rest.length).toBe(6_000);
      expect(new Set([...got, ...rest].map((l) => l.timeNano)).size).toBe(6_000);
    } finally {
      stallServer.closeAllConnections();
      await new Promise((r) => stallServer.close(r));
    }
  });

  it.each([
    ["a bad since", "?since=yesterday"],
    ["since after until", "?since=20&until=10"],
    ["malformed filters", "?filters=%7Bnope"],
  ])("answers %s with 400 and Docker's message body", async (_what, query) => {
    const res = await get(`/events${query}`);
    expect(res.statusCode).toBe(400);
    let body = "";
    res.setEncoding("utf8");
    for await (const c of res as AsyncIterable<string>) body += c;
    expect((JSON.parse(body) as { message: string }).message).toMatch(/since|until|filters/);
  });
});
