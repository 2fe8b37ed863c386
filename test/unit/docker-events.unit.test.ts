/**
 * berth's journal events as Docker Engine API events: the actions and
 * sequences Docker clients expect, the nanosecond clock they resume by, the
 * filters and the time forms of `GET /events`.
 */
import { describe, expect, it } from "vitest";
import {
  DockerBook,
  dockerEventJson,
  dockerEventsOf,
  matchesDockerFilters,
  parseDockerFilters,
  parseDockerTime,
  parseDockerTimeRange,
  type DockerEvent,
} from "../../src/docker/docker-events.js";
import { networkId } from "../../src/docker/network-id.js";
import { InvalidArgError } from "../../src/errors.js";
import type { CloudEvent } from "../../src/events/index.js";
import { lifeEvents } from "../support/life-events.js";

const ID = "c0ffee".padEnd(64, "0");
const T0 = Date.parse("2026-03-01T10:00:00.000Z");
let seq = 0;

function event(
  action: string,
  data: Record<string, unknown> = {},
  ms = T0,
  subject = ID,
): CloudEvent {
  seq += 1;
  return {
    specversion: "1.0",
    id: `e${seq}`,
    source: "berth://host",
    type: `io.berth.container.${action}`,
    subject,
    time: new Date(ms).toISOString(),
    datacontenttype: "application/json",
    data: { outcome: "success", ...data },
    seq,
    version: seq,
    actor: "uid:0",
    requestid: `r${seq}`,
    prevhash: "",
    hash: "",
  };
}

const created = (ms = T0, subject = ID) =>
  event(
    "create",
    { name: "web", image: "docker.io/library/busybox:latest", labels: { tier: "front", k: "v" } },
    ms,
    subject,
  );

/** Maps events in order through one book, as a stream does. */
function translateAll(events: CloudEvent[], book = new DockerBook()): DockerEvent[] {
  return events.flatMap((e) => book.translate(e));
}

const actions = (evs: DockerEvent[]) => evs.map((e) => e.Action);

describe("mapping berth's journal to Docker's events", () => {
  it("gives a container event every label, the name without a slash, the image, scope and the legacy fields", () => {
    const [ev] = translateAll([
      event("create", { name: "/web", image: "busybox:1.36", labels: { a: "1" } }),
    ]);
    expect(ev).toMatchObject({
      status: "create",
      id: ID,
      from: "busybox:1.36",
      Type: "container",
      Action: "create",
      Actor: { ID, Attributes: { a: "1", name: "web", image: "busybox:1.36" } },
      scope: "local",
      time: T0 / 1000,
    });
  });

  it("turns the life of test/support/life-events.ts into Docker's sequence", () => {
    // Healthcheck kill, policy restart (no `restart`), a refused unpause (nothing), stop with escalation.
    expect(actions(translateAll(lifeEvents(ID)))).toEqual([
      "create",
      "start",
      "health_status: starting",
      "pause",
      "unpause",
      "health_status: unhealthy",
      "kill",
      "die",
      "start",
      "kill",
      "kill",
      "stop",
      "die",
    ]);
  });

  it("reports a container joining its network before its start and leaving it after its die, as dockerd", () => {
    const evs = translateAll([
      created(),
      event("init", {
        pid: 10,
        conmonPid: 9,
        network: { mode: "bridge", etcDir: "/x", ports: [] },
      }),
      event("start"),
      event("died", { exitCode: 0, exitedAt: "", oomKilled: false }),
      event("cleanup"),
      event("remove"),
    ]);
    expect(evs.map((e) => `${e.Type} ${e.Action}`)).toEqual([
      "container create",
      "network connect",
      "container start",
      "container die",
      "network disconnect",
      "container destroy",
    ]);
    const connect = evs[1]!;
    expect(connect.Actor).toEqual({
      ID: networkId("bridge"),
      Attributes: { container: ID, name: "bridge", type: "bridge" },
    });
    expect(connect).not.toHaveProperty("status");
    expect(evs[4]!.Actor).toEqual(connect.Actor);
  });

  it("gives the none network Docker's null driver, and a run with no attachment no network event", () => {
    const none = translateAll([
      created(),
      event("init", { pid: 1, conmonPid: 2, network: { mode: "none", etcDir: "/x", ports: [] } }),
      event("cleanup"),
    ]);
    expect(none.map((e) => [e.Action, e.Actor.Attributes.type])).toEqual([
      ["create", undefined],
      ["connect", "null"],
      ["disconnect", "null"],
    ]);
    const bare = translateAll([
      created(),
      event("init", { pid: 1, conmonPid: 2 }),
      event("cleanup"),
    ]);
    expect(actions(bare)).toEqual(["create"]);
  });

  it("reports the disconnect of a run whose init came before the reader started, from the projections", () => {
    const book = DockerBook.fromProjections([
      { id: ID, name: "web", image: "busybox", networkAttachment: { mode: "host", ports: [] } },
    ]);
    expect(translateAll([event("cleanup")], book).map((e) => e.Action)).toEqual(["disconnect"]);
  });

  it("names kill signals by number and gives die its exit code and run time in seconds", () => {
    const evs = translateAll([
      created(),
      event("start", {}, T0 + 1000),
      event("stop", { signal: "SIGTERM", timeout: 10, escalated: true }, T0 + 6_500),
      event("died", { exitCode: 137, exitedAt: "", oomKilled: false }, T0 + 6_600),
    ]);
    expect(evs.filter((e) => e.Action === "kill").map((e) => e.Actor.Attributes.signal)).toEqual([
      "15",
      "9",
    ]);
    const die = evs.find((e) => e.Action === "die");
    expect(die?.Actor.Attributes).toMatchObject({
      exitCode: "137",
      execDuration: "5",
      name: "web",
    });
  });

  it("reports a user's restart after its start, as dockerd does, and a policy restart not at all", () => {
    const user = translateAll([
      created(),
      event("start"),
      event("restart", { attempt: 0, policy: false }),
      event("stop", { signal: "SIGTERM", timeout: 10, escalated: false }),
      event("died", { exitCode: 0, exitedAt: "", oomKilled: false }),
      event("init", { pid: 2, conmonPid: 1 }),
      event("start"),
    ]);
    expect(actions(user)).toEqual(["create", "start", "kill", "stop", "die", "start", "restart"]);
    const policy = translateAll([
      created(),
      event("start"),
      event("died", { exitCode: 1, exitedAt: "", oomKilled: false }),
      event("restart", { attempt: 1, policy: true }),
      event("start"),
    ]);
    expect(actions(policy)).toEqual(["create", "start", "die", "start"]);
  });

  it("maps rm -f, OOM, exec and health to Docker's actions and drops requests, refusals and bookkeeping", () => {
    const evs = translateAll([
      created(),
      event("request", { command: "START", args: {} }),
      event("init", { pid: 2, conmonPid: 1 }),
      event("start"),
      event("exec_create", { id: "x1", command: ["echo", "hi"], env: [], tty: false }),
      event("exec_start", { sessionId: "x1", pid: 3 }),
      event("exec_died", { sessionId: "x1", exitCode: 0 }),
      event("health_status", { status: "healthy", failingStreak: 0 }),
      event("pause", { outcome: "failure", error: { code: "X", message: "no" }, state: "running" }),
      event("sync", { runtime: "running", state: "running" }),
      event("oom"),
      event("died", { exitCode: 137, exitedAt: "", oomKilled: true }),
      event("cleanup"),
      event("remove"),
    ]);
    expect(actions(evs)).toEqual([
      "create",
      "start",
      "exec_create: echo hi",
      "exec_start: echo hi",
      "exec_die",
      "health_status: healthy",
      "oom",
      "die",
      "destroy",
    ]);
    expect(evs[4]?.Actor.Attributes).toMatchObject({ execID: "x1", exitCode: "0", name: "web" });
  });

  it("reports image pulls by reference, tags by id, and rmi as untag per name then delete", () => {
    const image = (action: string, data: Record<string, unknown>) => ({
      ...event(action, data),
      type: `io.berth.image.${action}`,
      subject: "ab".repeat(32),
    });
    const evs = translateAll([
      image("pull", { names: ["docker.io/library/busybox:latest"] }),
      image("tag", { name: "localhost/mine:1" }),
      image("remove", {
        force: false,
        names: ["docker.io/library/busybox:latest", "localhost/mine:1"],
      }),
    ]);
    expect(evs.map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes.name])).toEqual([
      ["image", "pull", "docker.io/library/busybox:latest", "docker.io/library/busybox"],
      ["image", "tag", `sha256:${"ab".repeat(32)}`, "localhost/mine:1"],
      ["image", "untag", `sha256:${"ab".repeat(32)}`, "docker.io/library/busybox:latest"],
      ["image", "untag", `sha256:${"ab".repeat(32)}`, "localhost/mine:1"],
      ["image", "delete", `sha256:${"ab".repeat(32)}`, `sha256:${"ab".repeat(32)}`],
    ]);
    expect(evs[0]).toMatchObject({ status: "pull", id: "docker.io/library/busybox:latest" });
  });

  it("reports volumes by name with no legacy fields, and maps a volume's remove to destroy", () => {
    const volume = (action: string) => ({
      ...event(action, { name: "data", driver: "local" }),
      type: `io.berth.volume.${action}`,
    });
    const evs = translateAll([volume("create"), volume("remove")]);
    expect(evs.map((e) => [e.Type, e.Action, e.Actor.ID])).toEqual([
      ["volume", "create", "data"],
      ["volume", "destroy", "data"],
    ]);
    expect(evs[1]).not.toHaveProperty("status");
    expect(
      dockerEventsOf({ ...volume("create"), data: { outcome: "failure" } }, new DockerBook()),
    ).toEqual([]);
  });

  it("names a container created before the reader started from the journal's projections", () => {
    const book = DockerBook.fromProjections([
      {
        id: ID,
        name: "db",
        image: "postgres:16",
        labels: { role: "db" },
        startedAt: new Date(T0).toISOString(),
      },
    ]);
    const [die] = book.translate(event("died", { exitCode: 0 }, T0 + 61_000));
    expect(die?.Actor.Attributes).toEqual({
      role: "db",
      name: "db",
      image: "postgres:16",
      exitCode: "0",
      execDuration: "61",
    });
  });

  it("takes a create event's own name, image and labels over what the book was seeded with", () => {
    const book = DockerBook.fromProjections([{ id: ID, name: "old", image: "busybox" }]);
    const [ev] = book.translate(created());
    expect(ev?.Actor.Attributes).toEqual({
      tier: "front",
      k: "v",
      name: "web",
      image: "docker.io/library/busybox:latest",
    });
  });
});

describe("timeNano", () => {
  it("increases strictly along the journal, within one event, in one millisecond and when stamps go back", () => {
    const evs = translateAll([
      created(T0),
      event("start", {}, T0),
      event("stop", { signal: "SIGTERM", timeout: 1, escalated: true }, T0),
      // Stamped a little before the event placed ahead of it.
      event("died", { exitCode: 0 }, T0 - 3),
      event("remove", {}, T0 + 1),
    ]);
    const nanos = evs.map((e) => e.timeNano);
    expect(nanos.length).toBe(7);
    for (let i = 1; i < nanos.length; i++) expect(nanos[i]! > nanos[i - 1]!).toBe(true);
    expect(nanos[0]).toBe(BigInt(T0) * 1_000_000n + 1n);
  });

  it("never falls on a whole millisecond, so a since of millisecond precision never equals one", () => {
    const evs = translateAll(
      Array.from({ length: 50 }, (_, i) => event("pause", {}, T0 + Math.floor(i / 7))),
    );
    for (const e of evs) expect(e.timeNano % 1_000_000n).not.toBe(0n);
  });

  it("comes out the same for a reader that starts a minute earlier in the journal", () => {
    const journal = Array.from({ length: 40 }, (_, i) =>
      event(i % 2 ? "pause" : "unpause", {}, T0 + i * 2_000 + (i % 3)),
    );
    const whole = translateAll(journal);
    const late = translateAll(journal.slice(30));
    expect(late.map((e) => e.timeNano)).toEqual(whole.slice(30).map((e) => e.timeNano));
  });

  it("is written as an exact integer and time as its whole seconds", () => {
    const [ev] = translateAll([event("pause", {}, Date.parse("2026-12-01T00:00:00.393Z"))]);
    const line = JSON.parse(
      dockerEventJson(ev!).replace(/"timeNano":(\d+)/, '"timeNano":"$1"'),
    ) as {
      timeNano: string;
      time: number;
    };
    expect(line.timeNano).toBe("1796083200393000001");
    expect(line.time).toBe(1796083200);
  });
});

describe("Docker's events filters", () => {
  const book = new DockerBook();
  const [create, start, health, exec, kill] = translateAll(
    [
      created(),
      event("start"),
      event("health_status", { status: "unhealthy", failingStreak: 3 }),
      event("exec_create", { id: "x9", command: ["ls"] }),
      event("kill", { signal: "SIGHUP" }),
    ],
    book,
  ) as [DockerEvent, DockerEvent, DockerEvent, DockerEvent, DockerEvent];

  const [connected] = translateAll([
    created(),
    event("init", { pid: 1, conmonPid: 2, network: { mode: "bridge", etcDir: "/x", ports: [] } }),
  ]).filter((e) => e.Type === "network") as [DockerEvent];

  const [pulled, deleted, volumeCreated] = translateAll([
    {
      ...event("pull", { names: ["docker.io/library/busybox:latest"] }),
      type: "io.berth.image.pull",
      subject: "ab".repeat(32),
    },
    { ...event("remove", { names: [] }), type: "io.berth.image.remove", subject: "ab".repeat(32) },
    { ...event("create", { name: "data" }), type: "io.berth.volume.create" },
  ]) as [DockerEvent, DockerEvent, DockerEvent];

  it.each([
    ["no filter", "", create, true],
    ["type container", '{"type":{"container":true}}', start, true],
    ["type image", '{"type":{"image":true}}', start, false],
    ["the event exactly", '{"event":{"start":true}}', start, true],
    ["another event", '{"event":{"stop":true}}', start, false],
    ["one of two events", '{"event":{"stop":true,"start":true}}', start, true],
    ["a value set to false", '{"event":{"start":false}}', start, false],
    ["health_status by prefix", '{"event":{"health_status":true}}', health, true],
    ["health_status with its status", '{"event":{"health_status: unhealthy":true}}', health, true],
    ["exec_create by prefix", '{"event":{"exec_create":true}}', exec, true],
    ["kill is not a prefix of killed", '{"event":{"kil":true}}', kill, false],
    ["the container's name", '{"container":{"web":true}}', kill, true],
    ["an id prefix", `{"container":{"${ID.slice(0, 12)}":true}}`, kill, true],
    ["another container", '{"container":{"db":true}}', kill, false],
    ["a label key", '{"label":{"tier":true}}', start, true],
    ["a label key and value", '{"label":{"tier=front":true}}', start, true],
    ["a label with another value", '{"label":{"tier=back":true}}', start, false],
    ["the image with its tag", '{"image":{"docker.io/library/busybox:latest":true}}', start, true],
    ["the image without its tag", '{"image":{"docker.io/library/busybox":true}}', start, true],
    ["another image", '{"image":{"docker.io/library/nginx":true}}', start, false],
    ["scope local", '{"scope":{"local":true}}', start, true],
    ["scope swarm", '{"scope":{"swarm":true}}', start, false],
    ["keys are ANDed", '{"type":{"container":true},"event":{"die":true}}', start, false],
    ["the legacy list form", '{"event":["die","start"],"label":["k=v"]}', start, true],
    ["a network filter on a container event", '{"network":{"bridge":true}}', start, false],
    ["a network by name", '{"network":{"bridge":true}}', connected, true],
    [
      "a network by id prefix",
      `{"network":{"${networkId("bridge").slice(0, 12)}":true}}`,
      connected,
      true,
    ],
    ["another network", '{"network":{"host":true}}', connected, false],
    ["type network", '{"type":{"network":true}}', connected, true],
    ["a container filter on a network event", '{"container":{"web":true}}', connected, false],
    ["an image by reference", '{"image":{"docker.io/library/busybox":true}}', pulled, true],
    ["an image by another id", `{"image":{"sha256:${"cd".repeat(32)}":true}}`, deleted, false],
    ["an image by its id", `{"image":{"sha256:${"ab".repeat(32)}":true}}`, deleted, true],
    ["a volume by name", '{"volume":{"data":true}}', volumeCreated, true],
    ["a volume by another name", '{"volume":{"logs":true}}', volumeCreated, false],
    ["a container filter on a volume", '{"container":{"data":true}}', volumeCreated, false],
  ])("%s: %s", (_what, raw, ev, expected) => {
    expect(matchesDockerFilters(ev, parseDockerFilters(raw))).toBe(expected);
  });

  it.each([
    ["not JSON", "{type:container}"],
    ["an array", '["type"]'],
    ["an unknown key", '{"colour":{"red":true}}'],
    ["values that are neither map nor list", '{"type":"container"}'],
    ["a map with a non-boolean", '{"type":{"container":1}}'],
  ])("refuses %s with InvalidArgError", (_what, raw) => {
    expect(() => parseDockerFilters(raw)).toThrow(InvalidArgError);
  });

  it("takes an absent filters parameter as no filter", () => {
    expect(parseDockerFilters(null).size).toBe(0);
  });
});

describe("since and until", () => {
  it.each([
    ["1796087619", 1796087619_000000000n],
    ["1796087619.393260791", 1796087619_393260791n],
    ["1796087619.5", 1796087619_500000000n],
    ["2026-12-01T00:00:00Z", 1796083200_000000000n],
    ["2026-12-01T01:00:00.000000123+01:00", 1796083200_000000123n],
  ])("reads %s", (raw, nanos) => {
    expect(parseDockerTime(raw)).toBe(nanos);
  });

  it.each(["", "10m", "-5", "1.2.3", "1796087619.1234567891", "2026-13-01T00:00:00Z", "soon"])(
    "refuses %j with InvalidArgError",
    (raw) => {
      expect(() => parseDockerTime(raw, "until")).toThrow(InvalidArgError);
    },
  );

  it("refuses since after until and accepts either alone", () => {
    expect(() => parseDockerTimeRange("20", "10")).toThrow(InvalidArgError);
    expect(parseDockerTimeRange("10", "10")).toEqual({
      since: 10_000000000n,
      until: 10_000000000n,
    });
    expect(parseDockerTimeRange(null, "10")).toEqual({ until: 10_000000000n });
    expect(parseDockerTimeRange("", null)).toEqual({});
  });
});
