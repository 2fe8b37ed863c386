/**
 * The volume catalog is a pure fold of the `volumes` stream; volume events
 * are CloudEvents the envelope accepts, filters select, and the container
 * fold never mistakes for a container's.
 */
import { describe, expect, it } from "vitest";
import { match } from "../../src/api/router.js";
import { CloudEventSchema, parseFilters, type CloudEvent } from "../../src/events/index.js";
import {
  evolveVolume,
  replayVolumes,
  volumeEventType,
  type VolumeCatalog,
  type VolumeFact,
} from "../../src/volumes/index.js";

const hex = (c: string) => c.repeat(64);
const created = (name: string, labels: Record<string, string> = {}): VolumeFact => ({
  action: "create",
  data: { name, driver: "local", mountpoint: `/r/volumes/${name}/_data`, labels, reason: "create" },
});
const removed = (name: string): VolumeFact => ({
  action: "remove",
  data: { name, reason: "remove" },
});

function fold(...facts: [string, VolumeFact][]): VolumeCatalog {
  return facts.reduce<VolumeCatalog>(
    (c, [id, fact], i) =>
      evolveVolume(c, fact, { id, time: `2026-01-0${i + 1}T00:00:00Z`, version: i + 1 }),
    new Map(),
  );
}

describe("the volume fold", () => {
  it("keeps a created volume by name, with its id, labels and creation time", () => {
    const catalog = fold([hex("a"), created("data", { team: "ops" })]);
    expect(catalog.get("data")).toEqual({
      id: hex("a"),
      name: "data",
      driver: "local",
      mountpoint: "/r/volumes/data/_data",
      labels: { team: "ops" },
      createdAt: "2026-01-01T00:00:00Z",
      version: 1,
    });
  });

  it("drops a removed volume, and a re-created name is a new volume", () => {
    const catalog = fold(
      [hex("a"), created("data")],
      [hex("a"), removed("data")],
      [hex("b"), created("data")],
    );
    expect(catalog.get("data")?.id).toBe(hex("b"));
    expect(catalog.get("data")?.createdAt).toBe("2026-01-03T00:00:00Z");
  });

  it("ignores a removal whose subject is another volume of the same name", () => {
    const catalog = fold([hex("b"), created("data")], [hex("a"), removed("data")]);
    expect(catalog.get("data")?.id).toBe(hex("b"));
  });

  it("replays stored events in order and skips types it does not know", () => {
    const events = [
      { type: volumeEventType("create"), subject: hex("a"), data: created("x").data },
      { type: "io.berth.volume.mount", subject: hex("a"), data: {} },
      { type: volumeEventType("create"), subject: hex("b"), data: created("y").data },
      { type: volumeEventType("remove"), subject: hex("a"), data: removed("x").data },
    ].map((e, i) => ({ ...e, time: `2026-01-0${i + 1}T00:00:00Z`, version: i + 1 }));
    expect([...replayVolumes(events).keys()]).toEqual(["y"]);
  });
});

const event = (type: string, data: Record<string, unknown>, subject = hex("c")): CloudEvent => ({
  specversion: "1.0",
  id: "8a4ad7a6-6f0e-4a7e-9a67-6f5b4d8f6a11",
  source: "berth://h",
  type,
  subject,
  time: "2026-01-01T00:00:00Z",
  datacontenttype: "application/json",
  data,
  seq: 1,
  version: 1,
  actor: "test",
  requestid: "r",
  prevhash: hex("0"),
  hash: hex("1"),
});

describe("volume events", () => {
  const volumeCreate = event(volumeEventType("create"), { name: "data" });
  const containerCreate = event("io.berth.container.create", { name: "data", image: "busybox" });

  it("are valid envelopes", () => {
    expect(CloudEventSchema.safeParse(volumeCreate).success).toBe(true);
    expect(CloudEventSchema.safeParse(event("io.berth.network.create", {})).success).toBe(false);
  });

  it("are selected by type=volume and by volume=<name or id prefix>, and only they", () => {
    const byType = parseFilters(["type=volume"]);
    expect(byType.matches(volumeCreate, undefined)).toBe(true);
    expect(byType.matches(containerCreate, undefined)).toBe(false);
    expect(parseFilters(["volume=data"]).matches(volumeCreate, undefined)).toBe(true);
    expect(parseFilters(["volume=cccc"]).matches(volumeCreate, undefined)).toBe(true);
    expect(parseFilters(["volume=other"]).matches(volumeCreate, undefined)).toBe(false);
    expect(parseFilters(["volume=data"]).matches(containerCreate, undefined)).toBe(false);
  });
});

describe("the router's volume paths", () => {
  const handler = () => Promise.resolve();
  const table = { "GET /volumes/:name": handler, "POST /volumes/prune": handler };

  it("gives the name of /volumes/<name>, percent-decoded", () => {
    expect(match(table, "GET", "/volumes/a%2Fb")).toMatchObject({ name: "a/b" });
  });

  it("serves a fixed route before the name, and a volume called prune by GET", () => {
    expect(match(table, "POST", "/volumes/prune")).toMatchObject({ name: "" });
    expect(match(table, "GET", "/volumes/prune")).toMatchObject({ name: "prune" });
    expect(match(table, "GET", "/volumes/x/y")).toBeUndefined();
  });
});
