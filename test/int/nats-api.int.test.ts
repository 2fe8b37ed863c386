/**
 * The control API over NATS request/reply: an operator drives a host through
 * NATS with the same verbs, errors and audit records as over the socket, and
 * the requests never end up in the event stream.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { FleetClient } from "../../src/client/index.js";
import { InvalidArgError, NatsUnavailableError, NoSuchCtrError } from "../../src/errors.js";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, startNats, until, type Berth } from "../../src/harness/index.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

async function setup(args: string[] = []) {
  const nats = await startNats();
  running.push(nats);
  const berth = await startBerth({ nats: nats.url, host: "h1", args });
  running.push(berth);
  await berth.ok("image", "import", busyboxTar(), "busybox");
  const fleet = await FleetClient.connect({ servers: nats.url, actor: "ops@laptop" });
  running.push({ stop: () => fleet.close() });
  return { nats, berth, fleet };
}

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

  it("answers with the HTTP API's typed errors and records the declared actor", async () => {
    const { berth, fleet } = await setup();
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
    expect(events.every((e) => e.actor === "declared:ops@laptop")).toBe(true);
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

  it("is not served with --no-nats-api, while events still flow", async () => {
    const { berth, fleet } = await setup(["--no-nats-api"]);
    await berth.ok("create", "busybox", "true");
    await until(
      async () =>
        (JSON.parse(await berth.ok("status")) as { relay: { lag: number } }).relay.lag === 0,
    );
    await expect(fleet.call("h1", "ping", {}, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(
      NatsUnavailableError,
    );
  });
});
