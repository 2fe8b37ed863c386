/**
 * Idempotency keys and optimistic concurrency over the real API.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import { runcStatus } from "../support/runc-view.js";

let berth: Berth;

function call(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath: berth.socket,
        method,
        path,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const history = async (id: string) =>
  (await call("GET", `/containers/${id}/history`, {})).json as CloudEvent[];

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

describe("idempotency keys", () => {
  it("answers a retried create with the first container and creates no second one", async () => {
    const body = { image: "busybox", command: ["sleep", "1000"] };
    const key = { "idempotency-key": "create-1" };
    const [a, b] = await Promise.all([
      call("POST", "/containers", body, key),
      call("POST", "/containers", body, key),
    ]);
    const c = await call("POST", "/containers", body, key);
    const ids = [a, b, c].map((r) => (r.json as ContainerRecord).id);
    expect(new Set(ids).size).toBe(1);
    const all = (await call("GET", "/containers?all=1", {})).json as ContainerRecord[];
    expect(all.filter((r) => r.id === ids[0])).toHaveLength(1);
    expect(all).toHaveLength(1);
  });

  it("answers a retried command with the first answer and runs its effect once", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", id);
    const key = { "idempotency-key": "pause-1" };
    const first = await call("POST", `/containers/${id}/pause`, {}, key);
    const retry = await call("POST", `/containers/${id}/pause`, {}, key);
    expect(first.status).toBe(200);
    expect(retry).toEqual(first);
    const pauses = (await history(id)).filter((e) => e.type.endsWith(".pause"));
    expect(pauses).toHaveLength(1);
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("answers a retried refused request with the same refusal, after a daemon restart too", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    const key = { "idempotency-key": "pause-refused" };
    const first = await call("POST", `/containers/${id}/pause`, {}, key);
    expect(first.status).toBe(409);
    await berth.kill("SIGKILL");
    await berth.start();
    await berth.ok("start", id);
    const retry = await call("POST", `/containers/${id}/pause`, {}, key);
    expect(retry).toEqual(first);
    expect((JSON.parse(await berth.ok("inspect", id)) as ContainerRecord[])[0]!.state).toBe(
      "running",
    );
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("refuses a key reused for a different request", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await call("POST", `/containers/${id}/start`, {}, { "idempotency-key": "k-2" });
    const other = await call(
      "POST",
      `/containers/${id}/stop`,
      { timeout: 0 },
      { "idempotency-key": "k-2" },
    );
    expect(other.status).toBe(400);
    expect(other.json).toMatchObject({ error: { code: "INVALID_ARG" } });
    expect((JSON.parse(await berth.ok("inspect", id)) as ContainerRecord[])[0]!.state).toBe(
      "running",
    );
    await berth.ok("rm", "-f", "-t", "0", id);
  });
});

/** Every event in the journal, read back through the CLI as JSON Lines. */
async function journal(): Promise<CloudEvent[]> {
  const out = await berth.ok("events", "--stream=false", "--format", "json");
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as CloudEvent);
}

const actionOf = (e: CloudEvent) => e.type.replace("io.berth.container.", "");
const intentsOf = (events: CloudEvent[], command: string) =>
  events.filter(
    (e) => actionOf(e) === "request" && (e.data as { command?: string }).command === command,
  );
const record = (r: { json: unknown }) => r.json as ContainerRecord;
const errorOf = (r: { json: unknown }) =>
  (r.json as { error: { code: string; message: string } }).error;

describe("idempotency keys across a daemon crash", () => {
  it("answers a start retried after a SIGKILL with the original record, rebuilt from the journal, and does not start the container again", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    const key = { "idempotency-key": "start-crash", "x-request-id": "start-crash-first" };
    const first = await call("POST", `/containers/${id}/start`, {}, key);
    expect(first.status).toBe(200);
    expect(record(first)).toMatchObject({ id, state: "running" });
    expect(await runcStatus(berth.root, id)).toBe("running");

    // A crash wipes whatever the daemon kept in memory about the key.
    await berth.kill("SIGKILL");
    await berth.start();
    // Stopping the container after the acknowledgement makes a re-run visible
    // (runc would show it running again) and makes "the current record" a wrong answer.
    await berth.ok("stop", "-t", "0", id);
    const stopped = (await call("GET", `/containers/${id}`, {})).json as ContainerRecord;
    expect(stopped.state).not.toBe("running");
    expect(await runcStatus(berth.root, id)).toBe("absent");

    const retry = await call(
      "POST",
      `/containers/${id}/start`,
      {},
      { "idempotency-key": "start-crash", "x-request-id": "start-crash-retry" },
    );
    expect(retry).toEqual(first);

    // No second effect: runc still has nothing, and the record has not moved.
    expect(await runcStatus(berth.root, id)).toBe("absent");
    expect((await call("GET", `/containers/${id}`, {})).json).toEqual(stopped);
    // The journal holds one intent and one set of facts for the request, and nothing for the retry.
    const events = await journal();
    expect(events.filter((e) => e.requestid === "start-crash-first").map(actionOf)).toEqual([
      "request",
      "init",
      "start",
    ]);
    expect(
      intentsOf(
        events.filter((e) => e.subject === id),
        "START",
      ),
    ).toHaveLength(1);
    expect(events.filter((e) => e.subject === id && actionOf(e) === "start")).toHaveLength(1);
    expect(events.filter((e) => e.requestid === "start-crash-retry")).toEqual([]);
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("answers a retried stop whose daemon died before its outcome with REQUEST_INTERRUPTED and does not stop the container", async () => {
    // The process ignores SIGTERM and the stop waits 1000 s before SIGKILL, so the daemon is
    // certain to be inside the stop effect, with the intent journaled and no outcome, when it dies.
    const id = (await berth.ok("create", "busybox", "sh", "-c", "trap '' TERM; sleep 1000")).trim();
    await berth.ok("start", id);
    const key = "stop-interrupted";
    // Settled at once into a value, so its rejection when the daemon dies is never unhandled.
    const pending = call(
      "POST",
      `/containers/${id}/stop`,
      { timeout: 1000 },
      { "idempotency-key": key, "x-request-id": "stop-interrupted-first" },
    ).then(
      () => "answered",
      () => "never answered",
    );
    const ofFirst = async () =>
      (await history(id)).filter((e) => e.requestid === "stop-interrupted-first");
    await until(async () => (await ofFirst()).length > 0, 15_000, "the stop's intent");
    await berth.kill("SIGKILL");
    // The first attempt was never acknowledged.
    expect(await pending).toBe("never answered");
    await berth.start();

    // `berth history` shows the intent and no outcome for it.
    const before = JSON.parse(await berth.ok("history", id, "--format", "json")) as CloudEvent[];
    expect(before.filter((e) => e.requestid === "stop-interrupted-first").map(actionOf)).toEqual([
      "request",
    ]);
    expect(before.some((e) => ["stop", "died", "cleanup"].includes(actionOf(e)))).toBe(false);
    expect(await runcStatus(berth.root, id)).toBe("running");

    const retry = await call(
      "POST",
      `/containers/${id}/stop`,
      { timeout: 1000 },
      { "idempotency-key": key, "x-request-id": "stop-interrupted-retry" },
    );
    expect(retry.status).toBe(409);
    const error = errorOf(retry);
    expect(error.code).toBe("REQUEST_INTERRUPTED");
    expect(error.message).toContain("stop-interrupted-first");
    expect(error.message).toMatch(/interrupted before its outcome was recorded/);

    // Nothing ran twice: the container still runs, and the retry journaled nothing.
    expect(await runcStatus(berth.root, id)).toBe("running");
    const after = await history(id);
    expect(after).toEqual(before);
    expect(intentsOf(after, "STOP")).toHaveLength(1);
    expect((await journal()).filter((e) => e.requestid === "stop-interrupted-retry")).toEqual([]);
    const now = (await call("GET", `/containers/${id}`, {})).json as ContainerRecord;
    expect(now.state).toBe("running");
    await berth.ok("rm", "-f", "-t", "0", id);
  });
});

describe("idempotency keys reused for something else", () => {
  it("refuses a key reused for the same command with different arguments, and runs nothing for it", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", id);
    const key = { "idempotency-key": "stop-args" };
    const first = await call("POST", `/containers/${id}/stop`, { timeout: 0 }, key);
    expect(first.status).toBe(200);
    await berth.ok("start", id);
    const other = await call("POST", `/containers/${id}/stop`, { timeout: 5 }, key);
    expect(other.status).toBe(400);
    expect(errorOf(other).code).toBe("INVALID_ARG");
    expect(errorOf(other).message).toMatch(/already used for a different request/);
    expect(await runcStatus(berth.root, id)).toBe("running");
    expect(intentsOf(await history(id), "STOP")).toHaveLength(1);
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("refuses a create key reused with different options, and creates no second container", async () => {
    const key = { "idempotency-key": "create-args" };
    const first = await call("POST", "/containers", { image: "busybox", command: ["true"] }, key);
    expect(first.status).toBe(201);
    const other = await call("POST", "/containers", { image: "busybox", command: ["false"] }, key);
    expect(other.status).toBe(400);
    expect(other.json).toMatchObject({ error: { code: "INVALID_ARG" } });
    const all = (await call("GET", "/containers?all=1", {})).json as ContainerRecord[];
    expect(all.filter((r) => r.command[0] === "false")).toEqual([]);
    await berth.ok("rm", record(first).id);
  });

  it("refuses a key reused for the same command on a different container, and leaves that container alone", async () => {
    const a = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    const b = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", a);
    await berth.ok("start", b);
    const key = { "idempotency-key": "pause-other-container" };
    const first = await call("POST", `/containers/${a}/pause`, {}, key);
    expect(first.status).toBe(200);
    expect(record(first)).toMatchObject({ id: a, state: "paused" });

    const other = await call("POST", `/containers/${b}/pause`, {}, key);
    expect(other.status).toBe(400);
    expect(errorOf(other).code).toBe("INVALID_ARG");
    expect(errorOf(other).message).toMatch(/already used for a different request/);
    expect(await runcStatus(berth.root, b)).toBe("running");
    expect(intentsOf(await history(b), "PAUSE")).toEqual([]);
    for (const id of [a, b]) await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("gives a key sent for two containers at once to one of them only", async () => {
    const a = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    const b = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", a);
    await berth.ok("start", b);
    const key = { "idempotency-key": "pause-race" };
    // Whichever arrives first owns the key; the other must be refused, not handed its answer.
    const answers = await Promise.all(
      [a, b].map(async (id) => ({
        id,
        ...(await call("POST", `/containers/${id}/pause`, {}, key)),
      })),
    );
    const won = answers.filter((r) => r.status === 200);
    const lost = answers.filter((r) => r.status !== 200);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(record(won[0]!)).toMatchObject({ id: won[0]!.id, state: "paused" });
    expect(lost[0]!.status).toBe(400);
    expect(lost[0]!.json).toMatchObject({ error: { code: "INVALID_ARG" } });
    expect(await runcStatus(berth.root, won[0]!.id)).toBe("paused");
    expect(await runcStatus(berth.root, lost[0]!.id)).toBe("running");
    expect(intentsOf(await history(lost[0]!.id), "PAUSE")).toEqual([]);
    for (const id of [a, b]) await berth.ok("rm", "-f", "-t", "0", id);
  });
});

describe("optimistic concurrency", () => {
  it("refuses a command whose If-Match version is stale, with a typed conflict, and changes nothing", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    const { version } = (await call("GET", `/containers/${id}`, {})).json as ContainerRecord;
    await berth.ok("start", id);
    const stale = await call(
      "POST",
      `/containers/${id}/pause`,
      {},
      { "if-match": String(version) },
    );
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ error: { code: "VERSION_CONFLICT" } });
    const now = (await call("GET", `/containers/${id}`, {})).json as ContainerRecord;
    expect(now.state).toBe("running");
    const fresh = await call(
      "POST",
      `/containers/${id}/pause`,
      {},
      { "if-match": String(now.version) },
    );
    expect(fresh.status).toBe(200);
    await berth.ok("rm", "-f", "-t", "0", id);
  });
});
