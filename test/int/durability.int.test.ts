/**
 * Nothing is lost: the journal survives SIGKILL of the daemon, NATS receives
 * every journal event exactly once and in order, also across an outage.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { readJetStream } from "../support/jetstream.js";
import {
  busyboxTar,
  CLI,
  startBerth,
  startNats,
  until,
  type Berth,
} from "../../src/harness/index.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

async function setup(withNats = true) {
  const nats = withNats ? await startNats() : undefined;
  if (nats) running.push(nats);
  const berth = await startBerth({ nats: nats?.url });
  running.push(berth);
  await berth.ok("image", "import", busyboxTar(), "busybox");
  return { nats, berth };
}

const journal = async (berth: Berth) =>
  (await berth.ok("events", "--stream=false", "--format", "json"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CloudEvent);
const inspect = async (berth: Berth, ref: string) =>
  (JSON.parse(await berth.ok("inspect", ref)) as ContainerRecord[])[0]!;

function rawPost(socket: string, path: string, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { socketPath: socket, method: "POST", path, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("durability", () => {
  it("keeps every event and the current state when the daemon is killed with SIGKILL", async () => {
    const { berth } = await setup(false);
    const keep = (await berth.ok("create", "--name", "keep", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", "keep");
    const done = (await berth.ok("create", "busybox", "sh", "-c", "exit 3")).trim();
    await berth.ok("start", done);
    await berth.ok("wait", done);
    const before = await journal(berth);

    await berth.kill("SIGKILL");
    await berth.start();

    expect(await journal(berth)).toEqual(before);
    expect((await inspect(berth, "keep")).state).toBe("running");
    expect((await inspect(berth, done)).exitCode).toBe(3);
    await berth.ok("stop", "-t", "0", "keep");
    expect((await berth.ok("wait", keep)).trim()).toBe("137");
  });

  it("records the exit of a container that ended while the daemon was down", async () => {
    const { berth } = await setup(false);
    const id = (await berth.ok("create", "busybox", "sh", "-c", "sleep 1; exit 5")).trim();
    await berth.ok("start", id);
    await berth.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 1500));
    await berth.start();
    expect((await berth.ok("wait", id)).trim()).toBe("5");
    const record = await inspect(berth, id);
    expect(record.state).toBe("exited");
  });

  it("journals what changed behind its back while it was down, with cause reconcile, and nothing else", async () => {
    const { berth } = await setup(false);
    const quiet = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    const meddled = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", quiet);
    await berth.ok("start", meddled);
    const before = await journal(berth);
    await berth.kill("SIGKILL");
    await execa("runc", ["--root", `${berth.root}/runc`, "pause", meddled]);
    await berth.start();
    await until(
      async () => (await inspect(berth, meddled)).state === "paused",
      10_000,
      "the reconcile",
    );
    const after = await journal(berth);
    const added = after.slice(before.length);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      subject: meddled,
      type: "io.berth.container.sync",
      actor: "berth:reconcile",
      data: { runtime: "paused", state: "paused", cause: "reconcile" },
    });
    expect((await inspect(berth, quiet)).state).toBe("running");
  });

  it("delivers each journal event to JetStream exactly once, in order, with the same id", async () => {
    const { berth, nats } = await setup();
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    for (const verb of ["start", "pause", "unpause"]) await berth.ok(verb, id);
    await berth.ok("rm", "-f", id);
    const events = await journal(berth);
    const delivered = await readJetStream(nats!.url, events.length);
    expect(delivered.map((d) => d.event.id)).toEqual(events.map((e) => e.id));
    expect(delivered.map((d) => d.msgId)).toEqual(events.map((e) => e.id));
    expect(delivered.map((d) => d.event)).toEqual(events);
    // The image's import comes first: image events share the journal and its order.
    const image = delivered[0]?.event.subject ?? "";
    expect(delivered.map((d) => d.subject).slice(0, 4)).toEqual([
      `berth.testhost.${image}.import`,
      ...["create", "request", "init"].map((a) => `berth.testhost.${id}.${a}`),
    ]);
  });

  it("keeps serving while NATS is down and delivers everything once it is back", async () => {
    const { berth, nats } = await setup();
    await nats!.kill();
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", id);
    await berth.ok("stop", "-t", "0", id);
    const status = JSON.parse(await berth.ok("status")) as {
      relay: { lag: number; connected: boolean };
    };
    expect(status.relay.connected).toBe(false);
    expect(status.relay.lag).toBeGreaterThan(0);

    await nats!.start();
    const events = await journal(berth);
    const delivered = await readJetStream(nats!.url, events.length, 20_000);
    expect(delivered.map((d) => d.event.seq)).toEqual(events.map((e) => e.seq));
    await until(
      async () =>
        (JSON.parse(await berth.ok("status")) as { relay: { lag: number } }).relay.lag === 0,
    );
  });

  it("refuses a second daemon on the same root with a clear error", async () => {
    const { berth } = await setup(false);
    const second = await execa(
      "node",
      [CLI, "serve", "--root", berth.root, "--socket", `${berth.socket}.2`],
      { reject: false },
    );
    expect(second.exitCode).toBe(125);
    expect(second.stderr).toContain("another berth daemon owns this root");
    expect(JSON.parse(await berth.ok("ps", "--format", "json"))).toEqual([]);
  });

  it("refuses a second daemon on a live daemon's socket, leaving the first reachable and the second's root untouched", async () => {
    const { berth } = await setup(false);
    const otherRoot = `${berth.root}-second`;
    const second = await execa(
      "node",
      [CLI, "serve", "--root", otherRoot, "--socket", berth.socket],
      { reject: false, timeout: 30_000 },
    );
    expect(second.exitCode).toBe(125);
    expect(second.stderr).toContain(`a daemon already serves ${berth.socket}`);
    expect(existsSync(otherRoot)).toBe(false);
    // The socket was not unlinked: the first daemon still answers on it.
    expect(JSON.parse(await berth.ok("ps", "--format", "json"))).toEqual([]);
  });

  it("refuses a --socket path that is not a socket instead of deleting it", async () => {
    const { berth } = await setup(false);
    const file = `${berth.root}-not-a-socket`;
    await writeFile(file, "keep me");
    const r = await execa(
      "node",
      [CLI, "serve", "--root", `${berth.root}-third`, "--socket", file],
      { reject: false, timeout: 30_000 },
    );
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain("is not a socket");
    expect(await readFile(file, "utf8")).toBe("keep me");
    await rm(file);
  });

  it("answers malformed JSON with a typed 400 and changes nothing", async () => {
    const { berth } = await setup(false);
    const before = await journal(berth);
    const r = await rawPost(berth.socket, "/containers", "{not json");
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: "INVALID_ARG" } });
    expect((JSON.parse(r.body) as { error: { message: string } }).error.message).toContain(
      "malformed JSON",
    );
    expect(await journal(berth)).toEqual(before);
  });

  it("tells the user when the daemon is not running", async () => {
    const { berth } = await setup(false);
    await berth.kill("SIGTERM");
    const r = await berth.cli("ps");
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("cannot connect to the berth daemon");
    await berth.start();
  });
});
