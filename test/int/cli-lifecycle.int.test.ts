/**
 * The walking skeleton end to end: the real daemon driven by the real CLI,
 * with runc, conmon, LevelDB and nats-server underneath.
 */
import { runcStatus as runcStatusIn } from "../support/runc-view.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import {
  busyboxTar,
  startBerth,
  startNats,
  type Berth,
  type Nats,
} from "../../src/harness/index.js";

let nats: Nats;
let berth: Berth;

const runcStatus = (id: string) => runcStatusIn(berth.root, id);
const inspect = async (ref: string) =>
  (JSON.parse(await berth.ok("inspect", ref)) as ContainerRecord[])[0]!;
const history = async (ref: string) =>
  JSON.parse(await berth.ok("history", ref, "--format", "json")) as CloudEvent[];
const actions = (events: CloudEvent[]) =>
  events.map((e) => e.type.replace("io.berth.container.", ""));

beforeAll(async () => {
  nats = await startNats();
  berth = await startBerth({ nats: nats.url });
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
  await nats?.stop();
});

describe("a container driven from the CLI", () => {
  it("reports the exit code from wait and the output from logs", async () => {
    const id = (
      await berth.ok("create", "--name", "echo7", "busybox", "sh", "-c", "echo hi; exit 7")
    ).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await berth.ok("start", "echo7");
    expect((await berth.ok("wait", "echo7")).trim()).toBe("7");
    expect((await berth.ok("logs", id.slice(0, 10))).trim()).toBe("hi");
    expect(actions(await history("echo7"))).toEqual([
      "create",
      "request",
      "init",
      "start",
      "died",
      "cleanup",
    ]);
  });

  it("ends a container that ignores SIGTERM with SIGKILL after the stop timeout", async () => {
    await berth.ok("create", "--name", "sleeper", "busybox", "sleep", "1000");
    await berth.ok("start", "sleeper");
    await berth.ok("stop", "-t", "1", "sleeper");
    expect((await berth.ok("wait", "sleeper")).trim()).toBe("137");
    const stop = (await history("sleeper")).find((e) => e.type.endsWith(".stop"));
    expect(stop?.data).toMatchObject({ signal: "SIGTERM", timeout: 1, escalated: true });
    expect((await inspect("sleeper")).state).toBe("exited");
  });

  it("changes runc's state on pause and unpause", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", id);
    expect(await runcStatus(id)).toBe("running");
    await berth.ok("pause", id);
    expect(await runcStatus(id)).toBe("paused");
    expect((await inspect(id)).state).toBe("paused");
    await berth.ok("unpause", id);
    expect(await runcStatus(id)).toBe("running");
    await berth.ok("rm", "-f", id);
    expect(await runcStatus(id)).toBe("absent");
  });

  it("lists a container's events in order with gapless versions", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    for (const verb of ["start", "pause", "unpause"]) await berth.ok(verb, id);
    await berth.ok("kill", "-s", "KILL", id);
    await berth.ok("wait", id);
    await berth.ok("rm", id);
    const events = await history(id);
    expect(actions(events)).toEqual([
      "create",
      ...["request", "init", "start"],
      ...["request", "pause"],
      ...["request", "unpause"],
      ...["request", "kill", "died", "cleanup"],
      ...["request", "remove"],
    ]);
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    const seqs = events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it("refuses an operation the seed forbids with its message and exit code 125", async () => {
    const id = (await berth.ok("create", "busybox", "true")).trim();
    const r = await berth.cli("pause", id);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`"configured" is not running, can't pause`);
    const events = await history(id);
    expect(actions(events)).toEqual(["create", "request"]);
    expect(events[1]?.data).toMatchObject({
      outcome: "failure",
      command: "PAUSE",
      state: "configured",
      error: { code: "CTR_STATE_INVALID" },
    });
    expect(events[1]?.actor).toMatch(/^declared:uid=0/);
    expect((await inspect(id)).state).toBe("configured");
  });

  it("rejects a bad name, an unknown image and an unknown container with clear errors", async () => {
    const bad = await berth.cli("create", "--name", "../x", "busybox", "true");
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain("invalid container name");
    const noImage = await berth.cli("create", "nosuchimage", "true");
    // Podman's words for a local image that is not there.
    expect(noImage.stderr).toContain("nosuchimage: image not known");
    const noCtr = await berth.cli("start", "nosuchcontainer");
    expect(noCtr.code).toBe(125);
    expect(noCtr.stderr).toContain(`no container with name or ID "nosuchcontainer" found`);
  });

  it("refuses to import an archive that is not there with a message, not a crash", async () => {
    const r = await berth.cli("image", "import", "/nonexistent/berth-missing.tar");
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Error: cannot read \/nonexistent\/berth-missing.tar: ENOENT/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("forgives stop of a stopped container like Podman's CLI", async () => {
    const id = (await berth.ok("create", "busybox", "true")).trim();
    await berth.ok("start", id);
    await berth.ok("wait", id);
    const r = await berth.cli("stop", id);
    expect(r.code).toBe(0);
  });
});
