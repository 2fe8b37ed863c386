/**
 * Idempotency keys and optimistic concurrency over the real API.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

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
    expect((JSON.parse(await berth.ok("inspect", id)) as ContainerRecord).state).toBe("running");
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
    expect((JSON.parse(await berth.ok("inspect", id)) as ContainerRecord).state).toBe("running");
    await berth.ok("rm", "-f", "-t", "0", id);
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
