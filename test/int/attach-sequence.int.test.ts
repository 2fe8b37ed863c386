/**
 * Start-and-attach is one request in the container's queue: requests sent
 * while it runs wait for its whole sequence (init, attach, start), so its
 * events stay contiguous in the container's stream. The real daemon, runc and
 * conmon; plain HTTP on the daemon's socket, so many requests can be in
 * flight at once.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

let berth: Berth;

interface Answer {
  status: number;
  requestId: string;
  /** Resolves with the whole body once the daemon has ended the response. */
  body: Promise<string>;
}

/** A POST on the daemon's socket; resolves at the response head, before the body ends. */
function post(path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: berth.socket,
        path,
        method: "POST",
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        const body = new Promise<string>((done) => res.on("end", () => done(text)));
        resolve({
          status: res.statusCode ?? 0,
          requestId: String(res.headers["x-request-id"]),
          body,
        });
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}

const history = async (id: string) =>
  JSON.parse(await berth.ok("history", id, "--format", "json")) as CloudEvent[];
const action = (e: CloudEvent) => e.type.replace("io.berth.container.", "");

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

describe("start-and-attach holds the container's queue", () => {
  it("lets no sync sent during the sequence in between its init, attach and start", async () => {
    const id = (await berth.ok("create", "busybox", "sh", "-c", "sleep 1; echo done")).trim();
    const attach = post(`/containers/${id}/attach?stream=1&stdout=1&stderr=1&start=1`);
    let attached = false;
    void attach.then(() => (attached = true));
    // Syncs keep arriving until the attach answers, so some are queued behind each of its steps.
    const syncs: Promise<Answer>[] = [];
    while (!attached && syncs.length < 200) {
      syncs.push(post(`/containers/${id}/sync`));
      await new Promise((r) => setTimeout(r, 10));
    }
    const answer = await attach;
    expect(answer.status).toBe(200);
    expect(await answer.body).toContain("done");
    const synced = await Promise.all(syncs);
    expect(synced.length).toBeGreaterThan(1);
    for (const s of synced) expect(s.status).toBe(200);

    const events = await history(id);
    const ours = events.filter((e) => e.requestid === answer.requestId);
    // Exactly what a start --attach journals, in this order.
    expect(ours.map((e) => [action(e), (e.data as { command?: string }).command])).toEqual([
      ["request", "INIT"],
      ["init", undefined],
      ["request", "ATTACH"],
      ["attach", undefined],
      ["request", "START"],
      ["start", undefined],
    ]);
    // Contiguous: no event of another request between the sequence's first and last.
    const versions = ours.map((e) => e.version);
    const first = versions[0] ?? 0;
    expect(versions).toEqual(versions.map((_, i) => first + i));
    // The syncs sent while it ran were journaled, after it.
    const syncRequests = new Set(synced.map((s) => s.requestId));
    const syncEvents = events.filter((e) => syncRequests.has(e.requestid ?? ""));
    expect(syncEvents.length).toBeGreaterThan(0);
    for (const e of syncEvents) expect(e.version).toBeGreaterThan(first + versions.length - 1);
  });
});
