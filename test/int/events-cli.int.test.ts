/**
 * `berth events` against the real daemon: Podman's filters, --since and
 * --until, --after-seq, streaming, and the health endpoint.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, CLI, startBerth, until, type Berth } from "../../src/harness/index.js";

let berth: Berth;
const ids: Record<string, string> = {};
let between = "";

const events = async (...args: string[]) =>
  (await berth.ok("events", "--stream=false", "--format", "json", ...args))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CloudEvent);
const actions = (es: CloudEvent[]) => es.map((e) => `${e.type.slice(19)} ${e.subject.slice(0, 6)}`);

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  await berth.ok("image", "import", busyboxTar(), "tools");
  ids.web = (
    await berth.ok("create", "--name", "web", "--label", "tier=front", "busybox", "true")
  ).trim();
  ids.db = (await berth.ok("create", "--name", "db", "tools", "true")).trim();
  await new Promise((r) => setTimeout(r, 50));
  between = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 50));
  await berth.ok("rm", "web");
  ids.cache = (await berth.ok("create", "--name", "cache", "busybox", "true")).trim();
});
afterAll(async () => {
  await berth?.stop();
});

describe("berth events", () => {
  it("filters by container name, id prefix, event and image like Podman", async () => {
    const all = await events();
    const byName = await events("--filter", "container=web");
    expect(byName.length).toBeGreaterThan(0);
    expect(new Set(byName.map((e) => e.subject))).toEqual(new Set([ids.web]));
    expect(await events("--filter", `container=${ids.web!.slice(0, 10)}`)).toEqual(byName);

    const creates = await events("--filter", "event=create");
    expect(creates.map((e) => e.subject)).toEqual([ids.web, ids.db, ids.cache]);
    // Values of one key are alternatives; different keys must all match.
    const createOrRemove = await events("--filter", "event=create", "--filter", "event=remove");
    expect(createOrRemove.map((e) => e.type.slice(19))).toEqual([
      "create",
      "create",
      "remove",
      "create",
    ]);
    const webCreate = await events("--filter", "event=create", "--filter", "container=web");
    expect(webCreate.map((e) => e.subject)).toEqual([ids.web]);

    const tools = await events("--filter", "image=tools");
    expect(new Set(tools.map((e) => e.subject))).toEqual(new Set([ids.db]));
    const images = await events("--filter", "type=image");
    expect(images.map((e) => [e.type, e.data.names])).toEqual([
      ["io.berth.image.import", ["localhost/busybox:latest"]],
      ["io.berth.image.import", ["localhost/tools:latest"]],
    ]);
    expect(await events("--filter", "type=container")).toEqual(
      all.filter((e) => !images.some((i) => i.id === e.id)),
    );
    const front = await events("--filter", "label=tier=front");
    expect(front.length).toBeGreaterThan(0);
    expect(new Set(front.map((e) => e.subject))).toEqual(new Set([ids.web]));
    expect(await events("--filter", "label=tier")).toEqual(front);
    expect(await events("--filter", "label=tier=back")).toEqual([]);
  });

  it("selects by time with --since and --until, as RFC3339 or durations", async () => {
    const all = await events();
    const after = await events("--since", between);
    const before = await events("--until", between);
    expect([...before, ...after]).toEqual(all);
    expect(actions(after)[0]).toMatch(/^request|^remove/);
    expect(after.every((e) => e.time >= between)).toBe(true);
    expect(before.every((e) => e.time <= between)).toBe(true);
    expect(await events("--since", "10m")).toEqual(all);
    expect(await events("--until", "-10m")).toEqual([]);
  });

  it("resumes exactly after --after-seq", async () => {
    const all = await events();
    expect(await events("--after-seq", "2")).toEqual(all.slice(2));
  });

  it("refuses a bad filter or time with exit code 125 and a message", async () => {
    const bad = await berth.cli("events", "--stream=false", "--filter", "colour=red");
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('invalid filter "colour=red"');
    const late = await berth.cli("events", "--stream=false", "--since", "tomorrow");
    expect(late.code).toBe(125);
    expect(late.stderr).toContain('invalid --since "tomorrow"');
  });

  it("streams live events that match, after the history, and ends at --until", async () => {
    const child = spawn(
      "node",
      // --since: the history too (without it, only events after the CLI subscribed).
      [
        CLI,
        "events",
        "--since",
        "1m",
        "--format",
        "json",
        "--filter",
        "container=live",
        "--until",
        "4s",
      ],
      { env: { ...process.env, BERTH_SOCKET: berth.socket } },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    await new Promise((r) => setTimeout(r, 300));
    const id = (await berth.ok("create", "--name", "live", "busybox", "true")).trim();
    await berth.ok("rm", "live");
    await until(() => out.split("\n").filter(Boolean).length >= 3, 5_000, "live events");
    expect(await exited).toBe(0);
    const got = out
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CloudEvent);
    expect(new Set(got.map((e) => e.subject))).toEqual(new Set([id]));
    expect(got.map((e) => e.type.slice(19))).toContain("remove");
  });
});

describe("GET /health", () => {
  it("answers 200 with the journal head while the journal is open", async () => {
    const body = await new Promise<{ status: number; json: Record<string, unknown> }>(
      (resolve, reject) => {
        const req = request({ socketPath: berth.socket, path: "/health" }, (res) => {
          let s = "";
          res.on("data", (d: Buffer) => (s += d.toString()));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(s) as Record<string, unknown>,
            }),
          );
        });
        req.on("error", reject);
        req.end();
      },
    );
    expect(body.status).toBe(200);
    expect(body.json).toMatchObject({
      status: "ok",
      journal: { open: true },
      relay: null,
      natsApi: null,
    });
  });
});
