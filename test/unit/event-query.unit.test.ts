/**
 * `berth events` arguments: Podman's time forms, Podman's filters, and the
 * query's wire form shared by the CLI, the route and the client library.
 */
import { describe, expect, it } from "vitest";
import {
  ContainerDirectory,
  fromSearchParams,
  parseDuration,
  parseFilters,
  parseTimeArg,
  resolveQuery,
  toSearchParams,
} from "../../src/events/index.js";
import { InvalidArgError } from "../../src/errors.js";
import type { CloudEvent } from "../../src/events/index.js";

const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);
const ID = "a".repeat(64);
const OTHER = "b".repeat(64);

function event(subject: string, action: string, data: Record<string, unknown> = {}): CloudEvent {
  return {
    specversion: "1.0",
    id: "00000000-0000-4000-8000-000000000000",
    source: "berth://h1",
    type: `io.berth.container.${action}`,
    subject,
    time: "2026-05-01T12:00:00.000Z",
    datacontenttype: "application/json",
    data: { outcome: "success", ...data },
    seq: 1,
    version: 1,
    actor: "test",
    requestid: "r",
    prevhash: "0".repeat(64),
    hash: "1".repeat(64),
  };
}

describe("time arguments", () => {
  it("reads RFC3339 with an offset, fractions, zone-less date-times and dates as Podman does", () => {
    expect(parseTimeArg("2026-05-01T10:00:00Z", "since")).toBe(Date.UTC(2026, 4, 1, 10));
    expect(parseTimeArg("2026-05-01T12:00:00+02:00", "since")).toBe(Date.UTC(2026, 4, 1, 10));
    expect(parseTimeArg("2026-05-01T10:00:00.123456789Z", "since")).toBeCloseTo(
      Date.UTC(2026, 4, 1, 10) + 123.456789,
      6,
    );
    expect(parseTimeArg("2026-05-01T10:00:00", "since")).toBe(Date.UTC(2026, 4, 1, 10));
    expect(parseTimeArg("2026-05-01", "until")).toBe(Date.UTC(2026, 4, 1));
    expect(parseTimeArg("2026-05-01-03:00", "until")).toBe(Date.UTC(2026, 4, 1, 3));
    expect(parseTimeArg("1777636800.5", "since")).toBe(1777636800500);
  });

  it("counts a duration back from now for --since and forward for --until", () => {
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("1.5s")).toBe(1_500);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseTimeArg("10m", "since", NOW)).toBe(NOW - 600_000);
    expect(parseTimeArg("10m", "until", NOW)).toBe(NOW + 600_000);
    expect(parseTimeArg("-5m", "until", NOW)).toBe(NOW - 300_000);
  });

  it("rejects what is not a time, naming the accepted forms", () => {
    for (const bad of ["yesterday", "10 minutes", "2026-02-30", "2026-05-01T25:00:00Z", "", "5d"]) {
      expect(() => parseTimeArg(bad, "since", NOW)).toThrow(InvalidArgError);
    }
    expect(() => parseTimeArg("soon", "until")).toThrow(/--until "soon": use RFC3339/);
  });
});

describe("event filters", () => {
  const facts = { name: "web", image: "nginx", labels: {} };

  it("matches any value of one key and every key given", () => {
    const f = parseFilters(["event=start", "event=died", "container=web"]);
    expect(f.matches(event(ID, "start"), facts)).toBe(true);
    expect(f.matches(event(ID, "died"), facts)).toBe(true);
    expect(f.matches(event(ID, "stop"), facts)).toBe(false);
    expect(f.matches(event(OTHER, "start"), { ...facts, name: "db" })).toBe(false);
  });

  it("names a container by id, id prefix or name, and an image by its name", () => {
    expect(parseFilters([`container=${ID}`]).matches(event(ID, "start"), undefined)).toBe(true);
    expect(parseFilters(["container=aaaa"]).matches(event(ID, "start"), undefined)).toBe(true);
    expect(parseFilters(["container=aaab"]).matches(event(ID, "start"), undefined)).toBe(false);
    expect(parseFilters(["image=nginx"]).matches(event(ID, "start"), facts)).toBe(true);
    expect(parseFilters(["image=redis"]).matches(event(ID, "start"), facts)).toBe(false);
  });

  it("tells image events by type, and matches them by image id prefix, name and action", () => {
    const pulled = {
      ...event(ID, "x", { names: ["docker.io/library/nginx:latest"] }),
      type: "io.berth.image.pull",
    };
    const tagged = { ...event(ID, "x", { name: "localhost/web:1" }), type: "io.berth.image.tag" };
    expect(parseFilters(["type=image"]).matches(pulled, undefined)).toBe(true);
    expect(parseFilters(["type=container"]).matches(pulled, undefined)).toBe(false);
    expect(parseFilters(["event=pull"]).matches(pulled, undefined)).toBe(true);
    expect(parseFilters(["event=pull"]).matches(tagged, undefined)).toBe(false);
    expect(parseFilters(["image=docker.io/library/nginx:latest"]).matches(pulled, undefined)).toBe(
      true,
    );
    expect(parseFilters(["image=localhost/web:1"]).matches(tagged, undefined)).toBe(true);
    expect(parseFilters([`image=${ID.slice(0, 12)}`]).matches(tagged, undefined)).toBe(true);
    expect(parseFilters(["image=nginx"]).matches(tagged, undefined)).toBe(false);
  });

  it("takes type=container for every container event, other Podman types for none, and labels all-of", () => {
    expect(parseFilters(["type=container"]).matches(event(ID, "start"), facts)).toBe(true);
    expect(parseFilters(["type=image"]).matches(event(ID, "start"), facts)).toBe(false);
    const labelled = { ...facts, labels: { tier: "front", team: "a" } };
    expect(
      parseFilters(["label=tier=front", "label=team"]).matches(event(ID, "start"), labelled),
    ).toBe(true);
    expect(
      parseFilters(["label=tier=front", "label=team=b"]).matches(event(ID, "start"), labelled),
    ).toBe(false);
    // A container without labels matches no label filter.
    expect(parseFilters(["label=tier=front"]).matches(event(ID, "start"), facts)).toBe(false);
  });

  it("rejects unknown keys, events and types", () => {
    expect(() => parseFilters(["colour=red"])).toThrow(/invalid filter "colour=red"/);
    expect(() => parseFilters(["event=explode"])).toThrow(/berth's events are create, init/);
    expect(() => parseFilters(["type=galaxy"])).toThrow(/types are container, image/);
    expect(() => parseFilters(["container="])).toThrow(InvalidArgError);
  });

  it("learns a container's name, image and labels from its create event", () => {
    const dir = new ContainerDirectory();
    dir.learn(event(ID, "create", { name: "web", image: "nginx", labels: { a: "1" } }));
    dir.learn(event(ID, "start"));
    expect(dir.get(ID)).toEqual({ name: "web", image: "nginx", labels: { a: "1" } });
    expect(dir.get(OTHER)).toBeUndefined();
  });
});

describe("events query", () => {
  it("round-trips through URL parameters", () => {
    const q = {
      afterSeq: 42,
      follow: false,
      since: "2026-05-01T10:00:00Z",
      until: "5m",
      filters: ["event=start", "container=web"],
    };
    expect(fromSearchParams(toSearchParams(q))).toEqual(q);
    expect(fromSearchParams(new URLSearchParams())).toEqual({});
  });

  it("resumes after an SSE Last-Event-ID in preference to the URL's after", () => {
    expect(fromSearchParams(new URLSearchParams("after=3"), "17").afterSeq).toBe(17);
    expect(() => fromSearchParams(new URLSearchParams(), "x")).toThrow(/Last-Event-ID "x"/);
    expect(() => fromSearchParams(new URLSearchParams("after=-1"))).toThrow(/invalid after/);
    expect(() => fromSearchParams(new URLSearchParams("stream=maybe"))).toThrow(/invalid stream/);
  });

  it("resolves times to whole milliseconds that keep the bounds inclusive", () => {
    const r = resolveQuery({
      since: "2026-05-01T10:00:00.0004Z",
      until: "2026-05-01T10:00:01.9996Z",
    });
    expect(r.sinceMs).toBe(Date.UTC(2026, 4, 1, 10) + 1);
    expect(r.untilMs).toBe(Date.UTC(2026, 4, 1, 10, 0, 1) + 999);
    expect(r.follow).toBe(true);
    expect(r.afterSeq).toBe(0);
  });
});

describe("a live-only events query", () => {
  it("travels as live=1 and comes back as live", () => {
    const p = toSearchParams({ follow: true, live: true });
    expect(p.get("live")).toBe("1");
    expect(fromSearchParams(p)).toEqual({ follow: true, live: true });
  });

  it("is refused with a starting point, which would contradict it", () => {
    expect(() => resolveQuery({ live: true, afterSeq: 3 })).toThrow(/live events only/);
    expect(() => resolveQuery({ live: true, since: "10m" })).toThrow(/live events only/);
  });

  it("gives way to an SSE client's Last-Event-ID, so a reconnect resumes where it left off", () => {
    const p = toSearchParams({ follow: true, live: true });
    expect(fromSearchParams(p, "41")).toEqual({ follow: true, afterSeq: 41 });
  });
});
