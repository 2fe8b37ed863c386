/**
 * One daemon per host id on a NATS (issue 10, defect 9): a second daemon with
 * the same --host refuses to start while the first lives, and starts once the
 * first is gone: at once after a clean stop, within the lease's TTL after a
 * crash. The first daemon restarted on its own root takes its lease back at
 * once.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { FleetClient } from "../../src/client/index.js";
import { CLI, startBerth, startNats, tempDir, until, type Nats } from "../../src/harness/index.js";
import { testKeys } from "../support/nats-keys.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

/** `berth serve` for host h1 in a fresh root, run to its end (a refused start ends it at once). */
async function refusedServe(nats: Nats) {
  const dir = await tempDir("berth-second-");
  running.push({ stop: () => rm(dir, { recursive: true, force: true }) });
  const r = await execa(
    "node",
    [CLI, "serve", "--root", join(dir, "root"), "--socket", join(dir, "s.sock")].concat([
      "--nats",
      nats.url,
      "--host",
      "h1",
    ]),
    { reject: false, timeout: 20_000 },
  );
  return { code: r.exitCode, timedOut: r.timedOut, stderr: r.stderr };
}

/** Whether the lease bucket holds an entry for h1 (expired entries are gone). */
async function leaseEntry(nats: Nats): Promise<boolean> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const buckets = await jsm.streams.names().next();
    if (!buckets.includes("KV_berth_hosts")) return false;
    const m = await jsm.streams.getMessage("KV_berth_hosts", {
      last_by_subj: "$KV.berth_hosts.h1",
    });
    return m !== null && m.header.get("KV-Operation") === "";
  } finally {
    await nc.close();
  }
}

describe("host lease", () => {
  it("refuses a second daemon with the same host while the first lives, and lets it start within the TTL after the first crashes", async () => {
    const nats = await startNats();
    running.push(nats);
    const first = await startBerth({ nats: nats.url, host: "h1", args: ["--host-lease-ttl", "2"] });
    running.push(first);

    const refused = await refusedServe(nats);
    expect(refused.timedOut).toBe(false);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/host h1 is served by another live daemon/);
    expect(await first.ok("ps")).toBeDefined();

    await first.kill("SIGKILL");
    await until(
      async () => !(await leaseEntry(nats)),
      15_000,
      "the crashed daemon's lease to expire",
    );
    const second = await startBerth({ nats: nats.url, host: "h1" });
    running.push(second);
    await until(() => leaseEntry(nats), 10_000, "the second daemon's lease");
  });

  it("frees the host at once on a clean stop, and gives a restarted daemon its own lease back at once", async () => {
    const nats = await startNats();
    running.push(nats);
    // A TTL far longer than the test: only a release or a take-over lets these starts through.
    const first = await startBerth({
      nats: nats.url,
      host: "h1",
      args: ["--host-lease-ttl", "600"],
    });
    running.push(first);
    await until(() => leaseEntry(nats), 10_000, "the first daemon's lease");
    await first.kill("SIGKILL");
    // Crashed, its lease still stands; the same root restarted takes it over.
    expect(await leaseEntry(nats)).toBe(true);
    await first.start();
    expect(await first.ok("ps")).toBeDefined();

    await first.kill("SIGTERM");
    expect(await leaseEntry(nats)).toBe(false);
    const second = await startBerth({ nats: nats.url, host: "h1" });
    running.push(second);
    await until(() => leaseEntry(nats), 10_000, "the second daemon's lease");
  });

  it("starts while NATS is down, and serves the NATS API once NATS is back and the lease is won", async () => {
    const nats = await startNats();
    running.push(nats);
    await nats.kill();
    const keys = await testKeys();
    running.push(keys);
    const berth = await startBerth({
      nats: nats.url,
      host: "h1",
      args: ["--host-lease-ttl", "3", ...keys.args],
    });
    running.push(berth);
    expect(await berth.ok("ps")).toBeDefined();
    await nats.start();
    const fleet = await FleetClient.connect({ servers: nats.url, nkeySeed: keys.readOnly.seed });
    running.push({ stop: () => fleet.close() });
    await until(
      () =>
        fleet.call("h1", "ping", {}, { timeoutMs: 500 }).then(
          () => true,
          () => false,
        ),
      20_000,
      "the NATS API after NATS came back",
    );
    expect(await leaseEntry(nats)).toBe(true);
  });
});
