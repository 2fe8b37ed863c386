/**
 * The control API over NATS request/reply: an operator drives a host through
 * NATS with the same verbs, errors and audit records as over the socket, and
 * the requests never end up in the event stream. The API is off unless asked
 * for, and then every request must be signed by an allowed NKey whose role
 * allows the verb; the verified identity is the actor.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, headers, nkeys, type NatsConnection } from "@nats-io/transport-node";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { FleetClient } from "../../src/client/index.js";
import {
  AnswerTooLargeError,
  BusyError,
  ForbiddenError,
  InvalidArgError,
  NatsUnavailableError,
  NoSuchCtrError,
} from "../../src/errors.js";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import {
  busyboxTar,
  CLI,
  startBerth,
  startNats,
  tempDir,
  until,
  type Berth,
} from "../../src/harness/index.js";
import { RequestSigner, signedText } from "../../src/nats/index.js";
import { actorOf, testKeys, type TestIdentity } from "../support/nats-keys.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

/** A NATS server, a daemon serving the API with fresh keys (unless `api` is false), and an operator's client. */
async function setup(options: { args?: string[]; api?: boolean; natsArgs?: string[] } = {}) {
  const nats = await startNats({ args: options.natsArgs ?? [] });
  running.push(nats);
  const keys = await testKeys();
  running.push(keys);
  const args = [...(options.api === false ? [] : keys.args), ...(options.args ?? [])];
  const berth = await startBerth({ nats: nats.url, host: "h1", args });
  running.push(berth);
  await berth.ok("image", "import", busyboxTar(), "busybox");
  const fleet = await clientOf(nats.url, keys.operator, "root@admin-console");
  return { nats, berth, fleet, keys };
}

/** A fleet client that signs as `who`, declaring some other actor. */
async function clientOf(url: string, who: TestIdentity, actor = "someone-else") {
  const fleet = await FleetClient.connect({ servers: url, actor, nkeySeed: who.seed });
  running.push({ stop: () => fleet.close() });
  return fleet;
}

type Wire = { ok: true; result: unknown } | { error: { code: string; message: string } };

/** A raw request, so a test controls exactly what travels: headers and payload as given. */
async function raw(
  nc: NatsConnection,
  verb: string,
  payload: string,
  hdrs: Record<string, string>,
) {
  const h = headers();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  const msg = await nc.request(`berth.h1.api.v1.${verb}`, payload, { headers: h, timeout: 10_000 });
  return msg.json<Wire>();
}

const journalHead = async (berth: Berth) =>
  (JSON.parse(await berth.ok("status")) as { journal: { seq: number } }).journal.seq;

/** The NATS API connects in the background: wait until it answers. */
async function ready(fleet: FleetClient, host: string) {
  await until(
    async () => {
      try {
        await fleet.call(host, "ping", {}, { timeoutMs: 500 });
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    `the NATS API of ${host}`,
  );
}

const history = async (berth: Berth, ref: string) =>
  JSON.parse(await berth.ok("history", "--format", "json", ref)) as CloudEvent[];

describe("NATS API", () => {
  it("lets an operator create, start, inspect, stop and remove a container on a host", async () => {
    const { berth, fleet } = await setup();
    await ready(fleet, "h1");
    const created = await fleet.call<ContainerRecord>("h1", "create", {
      name: "remote",
      image: "busybox",
      command: ["sleep", "1000"],
    });
    expect(created.state).toBe("configured");
    expect((await fleet.call<ContainerRecord>("h1", "start", { ref: "remote" })).state).toBe(
      "running",
    );
    expect((await fleet.call<ContainerRecord>("h1", "inspect", { ref: created.id })).state).toBe(
      "running",
    );
    const listed = await fleet.call<ContainerRecord[]>("h1", "ps", {});
    expect(listed.map((r) => r.name)).toEqual(["remote"]);
    expect(
      (await fleet.call<ContainerRecord>("h1", "stop", { ref: "remote", timeout: 0 })).state,
    ).toMatch(/stopped|exited/);
    expect(await fleet.call<{ exitCode: number }>("h1", "wait", { ref: "remote" })).toEqual({
      exitCode: 137,
    });
    await fleet.call("h1", "rm", { ref: "remote" });
    // The socket sees what NATS did.
    expect(JSON.parse(await berth.ok("ps", "-a", "--format", "json"))).toEqual([]);
  });

  it("answers with the HTTP API's typed errors and records the verified key as the actor, not the declared one", async () => {
    const { berth, fleet, keys } = await setup();
    await ready(fleet, "h1");
    await expect(fleet.call("h1", "start", { ref: "nope" })).rejects.toBeInstanceOf(NoSuchCtrError);
    await expect(fleet.call("h1", "start", {})).rejects.toThrow(/invalid request: ref/);
    await expect(fleet.call("h1", "explode", { ref: "x" })).rejects.toBeInstanceOf(InvalidArgError);
    await expect(fleet.call("h2", "ping", {}, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(
      NatsUnavailableError,
    );

    const r = await fleet.call<ContainerRecord>("h1", "create", {
      name: "audited",
      image: "busybox",
      command: ["true"],
    });
    await fleet.call("h1", "rm", { ref: "audited" }, { requestId: "req-42" });
    const events = await history(berth, r.id);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.actor === actorOf(keys.operator))).toBe(true);
    expect(JSON.stringify(events)).not.toContain("admin-console");
    const rm = events.find(
      (e) => e.requestid === "req-42" && e.type === "io.berth.container.request",
    );
    expect(rm?.data).toMatchObject({ command: "REMOVE" });
    expect(JSON.stringify(rm?.data)).toContain("nats");
  });

  it("keeps API requests out of the event stream", async () => {
    const { nats, berth, fleet } = await setup();
    await ready(fleet, "h1");
    for (let i = 0; i < 5; i++) await fleet.call("h1", "ps", {});
    await fleet.call("h1", "create", { image: "busybox", command: ["true"] });
    const head = (JSON.parse(await berth.ok("status")) as { journal: { seq: number } }).journal.seq;
    await until(
      async () =>
        (JSON.parse(await berth.ok("status")) as { relay: { lag: number } }).relay.lag === 0,
    );
    const nc = await connect({ servers: nats.url });
    const info = await (await jetstreamManager(nc)).streams.info("BERTH");
    await nc.close();
    expect(info.state.messages).toBe(head);
  });

  it("is not served without --nats-api, while events still flow", async () => {
    const { berth, fleet } = await setup({ api: false });
    await berth.ok("create", "busybox", "true");
    await until(
      async () =>
        (JSON.parse(await berth.ok("status")) as { relay: { lag: number } }).relay.lag === 0,
    );
    await expect(fleet.call("h1", "ping", {}, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(
      NatsUnavailableError,
    );
  });

  it("refuses unsigned, unknown-key, tampered, stale and replayed requests with UNAUTHENTICATED and journals none of them", async () => {
    const { nats, berth, fleet, keys } = await setup();
    await ready(fleet, "h1");
    const nc = await connect({ servers: nats.url });
    running.push({ stop: () => nc.close() });
    const subject = "berth.h1.api.v1.create";
    const body = JSON.stringify({ name: "intruder", image: "busybox", command: ["true"] });
    const sign = (who: TestIdentity, payload: string) =>
      new RequestSigner(who.seed).headers(
        subject,
        new TextEncoder().encode(payload),
        () => undefined,
      );
    /** Signed correctly, but two minutes ago. */
    const stale = (who: TestIdentity, payload: string) => {
      const time = String(Date.now() - 120_000);
      const nonce = "stale-nonce";
      const text = signedText({
        subject,
        time,
        nonce,
        meta: () => undefined,
        payload: new TextEncoder().encode(payload),
      });
      const pair = nkeys.fromSeed(new TextEncoder().encode(who.seed));
      return {
        "Berth-Key": who.publicKey,
        "Berth-Time": time,
        "Berth-Nonce": nonce,
        "Berth-Signature": Buffer.from(pair.sign(text)).toString("base64url"),
      };
    };
    const before = await journalHead(berth);

    const refused: Record<string, Wire> = {
      unsigned: await raw(nc, "create", body, { "Berth-Actor": "root@admin-console" }),
      unknownKey: await raw(nc, "create", body, sign(keys.stranger, body)),
      tampered: await raw(
        nc,
        "create",
        body.replace("intruder", "tampered"),
        sign(keys.operator, body),
      ),
      stale: await raw(nc, "create", body, stale(keys.operator, body)),
    };
    for (const [what, answer] of Object.entries(refused))
      expect(answer, what).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    expect(await journalHead(berth)).toBe(before);

    const once = sign(keys.operator, body);
    expect(await raw(nc, "create", body, once)).toMatchObject({ ok: true });
    const afterOne = await journalHead(berth);
    expect(afterOne).toBeGreaterThan(before);
    // The same signed request again, as an eavesdropper would send it.
    expect(await raw(nc, "create", body, once)).toMatchObject({
      error: { code: "UNAUTHENTICATED" },
    });
    expect(await journalHead(berth)).toBe(afterOne);
    const ps = await fleet.call<ContainerRecord[]>("h1", "ps", { all: true });
    expect(ps.map((r) => r.name)).toEqual(["intruder"]);
  });

  it("lets each role do what it allows and refuses the rest with FORBIDDEN", async () => {
    const { nats, berth, keys } = await setup();
    const viewer = await clientOf(nats.url, keys.readOnly);
    const operator = await clientOf(nats.url, keys.operator);
    const admin = await clientOf(nats.url, keys.admin);
    await ready(viewer, "h1");
    const spec = { image: "busybox", command: ["true"] };

    expect(await viewer.call("h1", "ps", {})).toEqual([]);
    await expect(viewer.call("h1", "create", spec)).rejects.toBeInstanceOf(ForbiddenError);
    const created = await operator.call<ContainerRecord>("h1", "create", spec);
    expect(created.state).toBe("configured");
    await expect(
      operator.call("h1", "import", { path: busyboxTar(), name: "again", forceLocal: true }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(operator.call("h1", "checkpoint", { ref: created.id })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(
      await admin.call("h1", "import", { path: busyboxTar(), name: "again", forceLocal: true }),
    ).toMatchObject([{ names: expect.arrayContaining(["localhost/again:latest"]) as unknown }]);
    const events = await history(berth, created.id);
    expect(events.every((e) => e.actor === actorOf(keys.operator))).toBe(true);
  });

  it("lets only an admin create a privileged container or add capabilities over NATS, journaling nothing for an operator who asks", async () => {
    const { nats, berth, keys } = await setup();
    const operator = await clientOf(nats.url, keys.operator);
    const admin = await clientOf(nats.url, keys.admin);
    await ready(operator, "h1");
    const spec = { image: "busybox", command: ["true"] };
    const before = await journalHead(berth);
    for (const extra of [{ privileged: true }, { capAdd: ["NET_RAW"] }]) {
      await expect(operator.call("h1", "create", { ...spec, ...extra })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
    }
    expect(await journalHead(berth)).toBe(before);
    const dropped = await operator.call<ContainerRecord>("h1", "create", {
      ...spec,
      capDrop: ["ALL"],
    });
    expect(dropped.security?.capabilities).toEqual([]);
    const privileged = await admin.call<ContainerRecord>("h1", "create", {
      ...spec,
      privileged: true,
    });
    expect(privileged.security?.privileged).toBe(true);
  });

  it("refuses to start with --nats-api but no --nats-api-keys, and says why", async () => {
    const nats = await startNats();
    running.push(nats);
    const dir = await tempDir("berth-nokeys-");
    running.push({ stop: () => rm(dir, { recursive: true, force: true }) });
    const r = await execa(
      "node",
      [
        CLI,
        "serve",
        "--root",
        join(dir, "root"),
        "--socket",
        join(dir, "s.sock"),
        "--nats",
        nats.url,
        "--nats-api",
      ],
      { reject: false, timeout: 15_000 },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("--nats-api-keys");
    expect(existsSync(join(dir, "root"))).toBe(false);
  });

  it("answers BUSY at once to a flood beyond the in-flight bound, runs the rest, and still answers after", async () => {
    const { fleet, berth } = await setup({ args: ["--nats-api-max-inflight", "2"] });
    await ready(fleet, "h1");
    const answers = await Promise.allSettled(
      Array.from({ length: 40 }, () =>
        fleet.call("h1", "create", { image: "busybox", command: ["true"] }),
      ),
    );
    const busy = answers.filter((a) => a.status === "rejected" && a.reason instanceof BusyError);
    const done = answers.filter((a) => a.status === "fulfilled");
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.length + done.length).toBe(40);
    const ps = JSON.parse(await berth.ok("ps", "-a", "--format", "json")) as unknown[];
    expect(ps).toHaveLength(done.length);
    expect(await fleet.call("h1", "ping", {})).toMatchObject({ host: "h1" });
  });

  it("refuses an answer larger than NATS's max_payload with ANSWER_TOO_LARGE, keeps serving, and answers a tail of the same log", async () => {
    const conf = await tempDir("berth-natsconf-");
    running.push({ stop: () => rm(conf, { recursive: true, force: true }) });
    await writeFile(join(conf, "nats.conf"), "max_payload: 8192\n");
    const { fleet, berth } = await setup({ natsArgs: ["-c", join(conf, "nats.conf")] });
    await ready(fleet, "h1");
    const id = (await berth.ok("create", "busybox", "sh", "-c", "seq 1 5000")).trim();
    await berth.ok("start", id);
    await fleet.call("h1", "wait", { ref: id });
    await expect(
      fleet.call("h1", "logs", { ref: id }, { timeoutMs: 10_000 }),
    ).rejects.toBeInstanceOf(AnswerTooLargeError);
    // The connection and the daemon are fine: a small answer still comes.
    expect((await fleet.call<ContainerRecord>("h1", "inspect", { ref: id })).id).toBe(id);
    // The daemon selects the lines, so asking for fewer makes the answer fit.
    const tail = await fleet.call<{ text: string }[]>("h1", "logs", { ref: id, tail: 3 });
    expect(tail.map((l) => l.text)).toEqual(["4998", "4999", "5000"]);
    await expect(fleet.call("h1", "logs", { ref: id, follow: true })).rejects.toThrow(
      /follow: unknown field/,
    );
  });
});
