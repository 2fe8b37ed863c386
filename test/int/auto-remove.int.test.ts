/**
 * run -d --rm on the real runtime: the daemon removes the container once it
 * has exited, as a request of the actor `autoremove` journaled after the
 * death; --rm with a restart policy is refused; and a daemon killed while
 * such a container ran removes it once its next start has journaled the exit.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";

let berth: Berth;
const { api, inspect, history, action } = daemonApi(() => berth.socket);

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 120_000);

afterAll(async () => {
  await berth?.stop();
});

const removed = (id: string, what: string) =>
  until(async () => (await inspect(id)).state === "removed", 20_000, what);

/** The events from the death on: died, cleanup, then the removal asked for by autoremove. */
function expectDiedThenAutoRemoved(events: CloudEvent[], exitCode: number) {
  const died = events.findIndex((e) => action(e) === "died");
  expect(died).toBeGreaterThan(-1);
  expect(events[died]?.data).toMatchObject({ exitCode });
  const after = events.slice(died + 1);
  expect(after.map(action)).toEqual(["cleanup", "request", "remove"]);
  expect(after[1]).toMatchObject({ actor: "autoremove", data: { command: "REMOVE" } });
  expect(after[2]?.actor).toBe("autoremove");
}

describe("run -d --rm", () => {
  it("removes the container once it exits, journaling the death before the removal by autoremove", async () => {
    const id = (await berth.ok("run", "-d", "--rm", "busybox", "sh", "-c", "exit 3")).trim();
    await removed(id, "the automatic removal");
    const record = await inspect(id);
    expect(record.autoRemove).toBe(true);
    expect(record.exitCode).toBe(3);
    const listed = JSON.parse(await berth.ok("ps", "-a", "--format", "json")) as { id: string }[];
    expect(listed.map((c) => c.id)).not.toContain(id);
    expectDiedThenAutoRemoved(await history(id), 3);
    expect(existsSync(join(berth.root, "exits", id))).toBe(false);
  }, 60_000);

  it("keeps the container while it runs, and removes it after a user's stop", async () => {
    const id = (await berth.ok("run", "-d", "--rm", "busybox", "sleep", "1000")).trim();
    expect((await inspect(id)).state).toBe("running");
    await berth.ok("stop", "-t", "0", id);
    await removed(id, "the removal after stop");
    const events = await history(id);
    const remove = events.filter((e) => action(e) === "request").at(-1);
    expect(remove).toMatchObject({ actor: "autoremove", data: { command: "REMOVE" } });
  }, 60_000);

  it("leaves a container made without --rm, whose inspect has no autoRemove", async () => {
    const id = (await berth.ok("run", "-d", "busybox", "true")).trim();
    await until(async () => (await inspect(id)).state === "exited", 20_000, "the exit");
    // A sync is queued behind anything the daemon decided after the exit.
    await berth.ok("sync", id);
    const record = await inspect(id);
    expect(record.state).toBe("exited");
    expect(record.autoRemove).toBeUndefined();
    await berth.ok("rm", id);
  }, 60_000);

  it("refuses --rm with a restart policy other than no, in Podman's words, and creates nothing", async () => {
    const before = await api().call<unknown[]>("GET", "/containers?all=1");
    for (const detach of [["-d"], []]) {
      const r = await berth.cli("run", ...detach, "--rm", "--restart=always", "busybox", "true");
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("the --rm option conflicts with --restart");
    }
    const err = await failure(
      api().call("POST", "/containers", {
        image: "busybox",
        command: ["true"],
        autoRemove: true,
        restart: "on-failure:3",
      }),
    );
    expect(err.code).toBe("INVALID_ARG");
    expect(err.message).toBe("the --rm option conflicts with --restart");
    expect(await api().call<unknown[]>("GET", "/containers?all=1")).toHaveLength(before.length);
    // --rm with --restart=no is no conflict.
    const id = (await berth.ok("run", "-d", "--rm", "--restart=no", "busybox", "true")).trim();
    await removed(id, "the removal with --restart=no");
  }, 60_000);
});

describe("after the daemon is killed while a --rm container runs", () => {
  it("journals the exit that happened while it was down, then removes the container", async () => {
    const id = (await berth.ok("run", "-d", "--rm", "busybox", "sleep", "1000")).trim();
    await berth.kill("SIGKILL");
    await execa("runc", ["--root", join(berth.root, "runc"), "kill", id, "KILL"]);
    await until(() => existsSync(join(berth.root, "exits", id)), 10_000, "the exit file");
    await berth.start();
    await removed(id, "the removal after restart");
    expectDiedThenAutoRemoved(await history(id), 137);
  }, 90_000);
});
