/**
 * `GET /events` under subscribers that never read (issue 10, defect 7): the
 * bytes the daemon holds for them stay within the per-subscriber bound, as
 * its own account in `GET /status` shows, a subscriber past the limit is
 * refused at once with a typed 503, other requests are still answered, and
 * nothing is lost for a subscriber that reads.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/client/index.js";
import { TooManySubscribersError } from "../../src/errors.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";

const MAX_SUBSCRIBERS = 24;
const BUFFER_BYTES = 64 * 1024;
const CONTAINERS = 8;

interface Status {
  journal: { seq: number };
  events?: { subscribers: number; bufferedBytes: number; bufferBytesPerSubscriber: number };
}

describe("GET /events with subscribers that never read", () => {
  let berth: Berth;
  let api: BerthClient;
  const ids: string[] = [];
  const sockets: Socket[] = [];

  /** `n` syncs on each container (one batch request each): many events, fast, each about 1 KB. */
  const syncs = (n: number) =>
    Promise.all(
      ids.map((id) =>
        api.call("POST", `/containers/${id}/batch`, {
          commands: Array.from({ length: n }, () => ({ type: "SYNC" })),
        }),
      ),
    );

  /** A raw connection that asks for every event and then never reads a byte. */
  const deafSubscriber = () => {
    const s = connect(berth.socket);
    s.on("error", () => {});
    s.write("GET /events?after=0 HTTP/1.1\r\nHost: berth\r\n\r\n");
    s.pause();
    sockets.push(s);
  };

  beforeAll(async () => {
    berth = await startBerth({
      args: [
        "--events-max-subscribers",
        String(MAX_SUBSCRIBERS),
        "--events-buffer-bytes",
        String(BUFFER_BYTES),
        "--events-stall-ms",
        "600000",
      ],
    });
    api = new BerthClient({ socketPath: berth.socket });
    await berth.ok("image", "import", busyboxTar(), "busybox");
    for (let i = 0; i < CONTAINERS; i++) {
      const body = { image: "busybox", command: ["true"], labels: { pad: "x".repeat(400) } };
      ids.push((await api.call<ContainerRecord>("POST", "/containers", body)).id);
    }
    await syncs(300);
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await berth?.stop();
  });

  it("holds at most the per-subscriber bound for each, refuses one more with TOO_MANY_SUBSCRIBERS, and still answers other requests", async () => {
    for (let i = 0; i < MAX_SUBSCRIBERS; i++) deafSubscriber();
    await until(
      async () =>
        (await api.call<Status>("GET", "/status")).events?.subscribers === MAX_SUBSCRIBERS,
      15_000,
      "every subscriber admitted",
    );
    // Live events while nobody reads: the live queues fill and overflow too.
    await syncs(200);
    const status = await api.call<Status>("GET", "/status");
    expect(status.events?.bufferBytesPerSubscriber).toBe(BUFFER_BYTES);
    expect(status.events?.bufferedBytes).toBeGreaterThan(0);
    expect(status.events?.bufferedBytes).toBeLessThanOrEqual(MAX_SUBSCRIBERS * BUFFER_BYTES);
    // The history alone is far larger than what the daemon holds for all of them.
    expect(status.journal.seq * 500).toBeGreaterThan(MAX_SUBSCRIBERS * BUFFER_BYTES);

    await expect(api.call("GET", "/events?stream=0")).rejects.toBeInstanceOf(
      TooManySubscribersError,
    );
    expect(await api.call<ContainerRecord[]>("GET", "/containers?all=1")).toHaveLength(CONTAINERS);
  });

  it("frees a subscriber's place when it disconnects, and a reader then gets every event", async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await until(
      async () => (await api.call<Status>("GET", "/status")).events?.subscribers === 0,
      15_000,
      "subscribers gone",
    );
    const { seq } = (await api.call<Status>("GET", "/status")).journal;
    const lines = (await api.raw("GET", "/events?stream=0")).toString().split("\n").filter(Boolean);
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(
      Array.from({ length: seq }, (_, i) => i + 1),
    );
  });
});
