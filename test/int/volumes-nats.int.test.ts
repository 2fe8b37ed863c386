/**
 * Volumes over the NATS API, with signed requests: looking is read-only,
 * making a volume (or using one in a create) is an operator's, removing and
 * pruning are an admin's, and a create that binds a host path needs admin,
 * since admin is the role that names host paths.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FleetClient } from "../../src/client/index.js";
import { ForbiddenError } from "../../src/errors.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, startNats, until } from "../../src/harness/index.js";
import type { VolumeRecord } from "../../src/volumes/index.js";
import { testKeys, type TestIdentity } from "../support/nats-keys.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

async function clientOf(url: string, who: TestIdentity) {
  const fleet = await FleetClient.connect({ servers: url, actor: "someone", nkeySeed: who.seed });
  running.push({ stop: () => fleet.close() });
  return fleet;
}

describe("volumes over NATS", () => {
  it("give each role its volume verbs, and bind mounts only to admin", async () => {
    const nats = await startNats();
    running.push(nats);
    const keys = await testKeys();
    running.push(keys);
    const berth = await startBerth({ nats: nats.url, host: "h1", args: keys.args });
    running.push(berth);
    await berth.ok("image", "import", busyboxTar(), "busybox");
    const viewer = await clientOf(nats.url, keys.readOnly);
    const operator = await clientOf(nats.url, keys.operator);
    const admin = await clientOf(nats.url, keys.admin);
    await until(
      () =>
        viewer.call("h1", "ping", {}, { timeoutMs: 500 }).then(
          () => true,
          () => false,
        ),
      10_000,
      "the NATS API",
    );

    await expect(viewer.call("h1", "volume-create", { name: "v" })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const made = await operator.call<VolumeRecord>("h1", "volume-create", { name: "v" });
    expect(made.name).toBe("v");
    expect(await viewer.call<VolumeRecord[]>("h1", "volume-ls", {})).toEqual([made]);
    expect(await viewer.call("h1", "volume-inspect", { name: "v" })).toEqual(made);

    const spec = { image: "busybox", command: ["true"] };
    const withVolume = await operator.call<ContainerRecord>("h1", "create", {
      ...spec,
      volumes: ["v:/v"],
    });
    expect(withVolume.mounts?.[0]).toMatchObject({ type: "volume", name: "v" });
    const head = async () =>
      (JSON.parse(await berth.ok("status")) as { journal: { seq: number } }).journal.seq;
    const before = await head();
    await expect(operator.call("h1", "create", { ...spec, volumes: ["/:/host"] })).rejects.toThrow(
      /bind mount of a host path needs admin/,
    );
    expect(await head()).toBe(before);
    const bound = await admin.call<ContainerRecord>("h1", "create", {
      ...spec,
      volumes: ["/tmp:/t:ro"],
    });
    expect(bound.mounts?.[0]).toMatchObject({ type: "bind", destination: "/t" });

    await expect(operator.call("h1", "volume-rm", { name: "v" })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(operator.call("h1", "volume-prune", {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(admin.call("h1", "volume-rm", { name: "v" })).rejects.toThrow(/being used/);
    await admin.call("h1", "rm", { ref: withVolume.id });
    await admin.call("h1", "volume-rm", { name: "v" });
    expect(await viewer.call("h1", "volume-ls", {})).toEqual([]);
  }, 120_000);
});
