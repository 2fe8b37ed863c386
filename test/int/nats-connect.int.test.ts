/**
 * The daemon reaching NATS the ways operators secure it: user and password,
 * token, and TLS with a client certificate. A wrong secret shows in the relay
 * status while the daemon keeps serving and the events wait in the journal.
 */
import { rm } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import {
  busyboxTar,
  makeTls,
  startBerth,
  startNats,
  until,
  type Berth,
  type TlsFiles,
} from "../../src/harness/index.js";
import { readJetStream } from "../support/jetstream.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

let tls: TlsFiles;
beforeAll(async () => {
  tls = await makeTls();
});
afterAll(async () => {
  await rm(tls.dir, { recursive: true, force: true });
});

async function daemon(nats: string, args: string[]): Promise<Berth> {
  const berth = await startBerth({ nats, args });
  running.push(berth);
  await berth.ok("image", "import", busyboxTar(), "busybox");
  return berth;
}

type Status = { relay: { connected: boolean; lag: number; lastError?: string } };
const status = async (berth: Berth) => JSON.parse(await berth.ok("status")) as Status;

async function relayed(berth: Berth, read: (n: number) => Promise<{ event: CloudEvent }[]>) {
  const id = (await berth.ok("create", "--name", "secure", "busybox", "true")).trim();
  // The daemon's image import is the first event, the container's create the second.
  const delivered = await read(2);
  expect(delivered.map((d) => d.event.type)).toEqual([
    "io.berth.image.import",
    "io.berth.container.create",
  ]);
  expect(delivered[1]?.event.subject).toBe(id);
  await until(async () => (await status(berth)).relay.lag === 0, 10_000, "relay lag 0");
}

describe("NATS connection", () => {
  it("relays through a server that requires a user and password, and reports a wrong password while serving", async () => {
    const nats = await startNats({ args: ["--user", "berth", "--pass", "s3cret"] });
    running.push(nats);
    const wrong = await daemon(nats.url, ["--nats-user", "berth", "--nats-pass", "nope"]);
    await wrong.ok("create", "busybox", "true");
    await until(
      async () => (await status(wrong)).relay.lastError !== undefined,
      10_000,
      "auth error",
    );
    const s = await status(wrong);
    expect(s.relay.connected).toBe(false);
    // The image's import and the container's create.
    expect(s.relay.lag).toBe(2);
    expect(s.relay.lastError?.toLowerCase()).toContain("authorization");
    await wrong.stop();
    running.pop();

    const right = await daemon(nats.url, ["--nats-user", "berth", "--nats-pass", "s3cret"]);
    await relayed(right, (n) =>
      readJetStream(nats.url, n, 10_000, "BERTH", { user: "berth", pass: "s3cret" }),
    );
  });

  it("relays through a server that requires a token", async () => {
    const nats = await startNats({ args: ["--auth", "t0ken"] });
    running.push(nats);
    const berth = await daemon(nats.url, ["--nats-token", "t0ken"]);
    await relayed(berth, (n) => readJetStream(nats.url, n, 10_000, "BERTH", { token: "t0ken" }));
  });

  it("relays over TLS, verifying the server and presenting a client certificate", async () => {
    const nats = await startNats({
      args: [
        "--tlsverify",
        "--tlscert",
        tls.serverCert,
        "--tlskey",
        tls.serverKey,
        "--tlscacert",
        tls.ca,
      ],
    });
    running.push(nats);
    const files = { caFile: tls.ca, certFile: tls.clientCert, keyFile: tls.clientKey };
    const berth = await daemon(nats.url, [
      ...["--nats-tls-ca", tls.ca],
      ...["--nats-tls-cert", tls.clientCert, "--nats-tls-key", tls.clientKey],
    ]);
    await relayed(berth, (n) => readJetStream(nats.url, n, 10_000, "BERTH", { tls: files }));
  });

  it("refuses to start with an unreadable credentials file or two ways to authenticate", async () => {
    const berth = await startBerth();
    running.push(berth);
    const creds = await berth.cli(
      "serve",
      "--root",
      `${berth.root}-2`,
      "--socket",
      `${berth.socket}.2`,
      "--nats",
      "nats://127.0.0.1:1",
      "--nats-creds",
      "/nonexistent/user.creds",
    );
    expect(creds.code).toBe(125);
    expect(creds.stderr).toContain("cannot read NATS file /nonexistent/user.creds");
    const both = await berth.cli(
      "serve",
      "--root",
      `${berth.root}-3`,
      "--socket",
      `${berth.socket}.3`,
      "--nats",
      "nats://127.0.0.1:1",
      "--nats-token",
      "t",
      "--nats-user",
      "u",
      "--nats-pass",
      "p",
    );
    expect(both.code).toBe(125);
    expect(both.stderr).toContain("use one of user/password, token, not several");
  });
});
