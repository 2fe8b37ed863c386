/**
 * HTTP and NATS are adapters over one operation table: the same request, with
 * the same If-Match and Idempotency-Key, gets the same answer through either,
 * and an idempotency key is one key whichever transport carries it.
 */
import { request } from "node:http";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, startNats, until, type Berth } from "../../src/harness/index.js";
import { apiSubject } from "../../src/events/index.js";
import { RequestSigner } from "../../src/nats/index.js";
import { testKeys, type TestKeys } from "../support/nats-keys.js";

interface Meta {
  ifMatch?: number | string;
  key?: string;
}
type Wire = { ok: true; result: unknown } | { error: { code: string; message: string } };
/** One answer in a transport-neutral form: the result, or the error as the wire carries it. */
type Answer = { result: unknown } | { error: { code: string; message: string } };

const running: { stop(): Promise<void> }[] = [];
let berth: Berth;
let nc: NatsConnection;
let keys: TestKeys;

/** An HTTP request on the daemon's socket, as the same client (actor) as over NATS. */
function overHttp(method: string, path: string, body: unknown, meta: Meta = {}) {
  return new Promise<Answer & { status: number }>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath: berth.socket,
        method,
        path,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          "x-berth-actor": "ops",
          ...(meta.ifMatch !== undefined ? { "if-match": String(meta.ifMatch) } : {}),
          ...(meta.key ? { "idempotency-key": meta.key } : {}),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          const json = JSON.parse(text) as Record<string, unknown>;
          const status = res.statusCode ?? 0;
          resolve(
            "error" in json
              ? { status, error: json.error as { code: string; message: string } }
              : { status, result: json },
          );
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A NATS request with raw headers, so the test sees exactly what travels. */
async function overNats(verb: string, body: unknown, meta: Meta = {}): Promise<Answer> {
  const h = headers();
  h.set("Berth-Actor", "ops");
  if (meta.ifMatch !== undefined) h.set("If-Match", String(meta.ifMatch));
  if (meta.key) h.set("Idempotency-Key", meta.key);
  const subject = apiSubject("berth", "h1", verb);
  const payload = new TextEncoder().encode(JSON.stringify(body));
  const signed = new RequestSigner(keys.operator.seed).headers(
    subject,
    payload,
    (name) => h.get(name) || undefined,
  );
  for (const [name, value] of Object.entries(signed)) h.set(name, value);
  const msg = await nc.request(subject, payload, {
    headers: h,
    timeout: 30_000,
  });
  const wire = msg.json<Wire>();
  return "error" in wire ? { error: wire.error } : { result: wire.result };
}

const resultOf = (a: Answer) => {
  if ("error" in a) throw new Error(`${a.error.code}: ${a.error.message}`);
  return a.result as ContainerRecord;
};

/** What two containers run the same way share: everything but identity, times and pids. */
function comparable(r: ContainerRecord) {
  const {
    id: _i,
    name: _n,
    createdAt,
    startedAt,
    finishedAt,
    pid,
    conmonPid,
    version: _v,
    ...rest
  } = r;
  return {
    ...rest,
    createdAt: typeof createdAt,
    startedAt: typeof startedAt,
    finishedAt: typeof finishedAt,
    pid: typeof pid,
    conmonPid: typeof conmonPid,
    // The generated /etc files live in the container's own folder, named by its id.
    ...(rest.networkAttachment
      ? {
          networkAttachment: {
            ...rest.networkAttachment,
            etcDir: rest.networkAttachment.etcDir.replace(r.id, "<id>"),
          },
        }
      : {}),
  };
}

const inspect = async (ref: string) => resultOf(await overHttp("GET", `/containers/${ref}`, {}));
const history = async (ref: string) =>
  resultOf(await overHttp("GET", `/containers/${ref}/history`, {})) as unknown as CloudEvent[];
const intents = (events: CloudEvent[], command: string) =>
  events.filter(
    (e) =>
      e.type === "io.berth.container.request" &&
      (e.data as { command?: string }).command === command,
  );

beforeAll(async () => {
  const nats = await startNats();
  running.push(nats);
  keys = await testKeys();
  running.push(keys);
  berth = await startBerth({ nats: nats.url, host: "h1", args: keys.args });
  running.push(berth);
  await berth.ok("image", "import", busyboxTar(), "busybox");
  nc = await connect({ servers: nats.url });
  running.push({ stop: () => nc.close() });
  // The NATS API connects in the background: wait until it answers.
  await until(
    async () => {
      try {
        return "result" in (await overNats("ping", {}));
      } catch {
        return false;
      }
    },
    10_000,
    "the NATS API of h1",
  );
});

afterAll(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

const create = (name: string) => ({ name, image: "busybox", command: ["sleep", "1000"] });

describe("one operation table behind HTTP and NATS", () => {
  it("answers the same requests, with If-Match and Idempotency-Key, with the same records", async () => {
    const viaHttp = await overHttp("POST", "/containers", create("t-http"), { key: "c-http" });
    const viaNats = await overNats("create", create("t-nats"), { key: "c-nats" });
    expect(viaHttp.status).toBe(201);
    let a = resultOf(viaHttp);
    let b = resultOf(viaNats);
    expect(comparable(b)).toEqual(comparable(a));
    expect(b.version).toBe(a.version);

    const steps: [verb: string, path: string, body: object][] = [
      ["start", "start", {}],
      ["pause", "pause", {}],
      ["unpause", "unpause", {}],
      ["kill", "kill", { signal: "15" }],
    ];
    for (const [verb, path, body] of steps) {
      // The same request on each transport, each with its own container's version and key.
      const send = () =>
        Promise.all([
          overHttp("POST", `/containers/${a.id}/${path}`, body, {
            ifMatch: a.version,
            key: `http-${verb}`,
          }),
          overNats(verb, { ref: b.id, ...body }, { ifMatch: b.version, key: `nats-${verb}` }),
        ]);
      const [http, nats] = await send();
      expect(http.status, verb).toBe(200);
      const [nextA, nextB] = [resultOf(http), resultOf(nats)];
      expect(comparable(nextB), verb).toEqual(comparable(nextA));
      expect(nextB.version - b.version, verb).toBe(nextA.version - a.version);
      // A retry with the same key gets the first answer, on either transport.
      const [againHttp, againNats] = await send();
      expect(resultOf(againHttp), verb).toEqual(nextA);
      expect(resultOf(againNats), verb).toEqual(nextB);
      [a, b] = [nextA, nextB];
    }
    // kill 15 went through the one signal normaliser on both paths.
    for (const ref of [a.id, b.id]) {
      const kills = intents(await history(ref), "KILL");
      expect(kills.map((e) => (e.data as { args?: { signal?: string } }).args?.signal)).toEqual([
        "SIGTERM",
      ]);
    }
    // sleep as pid 1 ignores SIGTERM, so both are still running, and go with a forced removal.
    for (const ref of [a.id, b.id]) {
      const removed = await overHttp("DELETE", `/containers/${ref}?force=1&timeout=0`, {});
      expect(resultOf(removed).state).toBe("removed");
    }
  });

  it("refuses a stale If-Match with the same VERSION_CONFLICT on both, and changes nothing", async () => {
    const id = resultOf(await overHttp("POST", "/containers", create("t-stale"), {})).id;
    resultOf(await overHttp("POST", `/containers/${id}/start`, {}));
    // The example: If-Match 2 against a container that has moved on.
    const conflict = (version: number) => ({
      error: {
        code: "VERSION_CONFLICT",
        message: `container ${id} is at version ${version}, the request expected 2`,
      },
    });
    const before = await inspect(id);
    expect(before.version).toBeGreaterThan(2);
    const http = await overHttp("POST", `/containers/${id}/pause`, {}, { ifMatch: 2 });
    expect(http.status).toBe(409);
    expect({ error: "error" in http ? http.error : undefined }).toEqual(conflict(before.version));
    // A refusal is journaled as an audit record, so the version moves on by that much.
    const between = await inspect(id);
    expect(await overNats("pause", { ref: id }, { ifMatch: 2 })).toEqual(conflict(between.version));
    expect((await inspect(id)).state).toBe("running");
    // A quoted, weak If-Match is read the same way by both transports.
    const now = await inspect(id);
    const paused = resultOf(
      await overNats("pause", { ref: id }, { ifMatch: `W/"${now.version}"` }),
    );
    expect(paused.state).toBe("paused");
    expect(
      resultOf(
        await overHttp("POST", `/containers/${id}/unpause`, {}, { ifMatch: `"${paused.version}"` }),
      ).state,
    ).toBe("running");
    await berth.ok("rm", "-f", "-t", "0", id);
  });

  it("shares one idempotency key across transports: a retry over NATS replays the HTTP answer", async () => {
    const id = resultOf(await overHttp("POST", "/containers", create("t-key"), {})).id;
    resultOf(await overHttp("POST", `/containers/${id}/start`, {}));
    const first = await overHttp("POST", `/containers/${id}/pause`, {}, { key: "shared-pause" });
    const retry = await overNats("pause", { ref: id }, { key: "shared-pause" });
    expect(resultOf(retry)).toEqual(resultOf(first));
    expect(intents(await history(id), "PAUSE")).toHaveLength(1);
    // The same key for another request is refused the same way by both.
    const misuseHttp = await overHttp(
      "POST",
      `/containers/${id}/unpause`,
      {},
      {
        key: "shared-pause",
      },
    );
    const misuseNats = await overNats("unpause", { ref: id }, { key: "shared-pause" });
    expect(misuseHttp.status).toBe(400);
    expect(misuseNats).toEqual({ error: "error" in misuseHttp ? misuseHttp.error : undefined });
    expect(misuseNats).toMatchObject({ error: { code: "INVALID_ARG" } });
    expect((await inspect(id)).state).toBe("paused");
    await berth.ok("rm", "-f", "-t", "0", id);
  });
});
