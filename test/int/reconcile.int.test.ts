/**
 * Reconciling more containers than the daemon reconciles at once (eight, see
 * RECONCILE_CONCURRENCY in src/service/container-service.ts). The daemon is
 * killed with twenty containers in the runtime (more than twice that number), the
 * runtime is changed behind its back in several ways, and the restarted daemon
 * must account for every container: none missed, none journaled twice, each
 * state agreeing with runc.
 *
 * The concurrency bound itself is not checked here: the daemon neither logs
 * nor exposes how many reconciles run at once, and counting runc processes
 * from outside would be a timing measurement. This file checks correctness.
 */
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import { daemonApi } from "../support/daemon-api.js";
import { runcStatus } from "../support/runc-view.js";

let berth: Berth;

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 60_000);

afterAll(async () => {
  await berth?.stop();
});

const { api, inspect, history, post, action } = daemonApi(() => berth.socket);

const runc = (...args: string[]) => execa("runc", ["--root", join(berth.root, "runc"), ...args]);

async function journal(): Promise<CloudEvent[]> {
  const all: CloudEvent[] = [];
  for await (const e of api().events({ follow: false })) all.push(e);
  return all;
}

/** Runs `fn` over `items`, `width` at a time: enough to be quick, not so many that runc chokes. */
async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += width)
    await Promise.all(items.slice(i, i + width).map(fn));
}

type Fate = "terminated" | "paused" | "untouched" | "policy";

interface Planned {
  id: string;
  fate: Fate;
  /** The exit code its process chooses on SIGTERM: different for each, so none can be mixed up. */
  code: number;
  /** Its stream version when the daemon was killed. */
  version: number;
}

/**
 * The events the restarted daemon added for a container whose process ended while it was down:
 * either the reconcile found runc's "stopped" first (a sync, then the died), or the first scan of
 * conmon's exit files reported it first (the died alone, from the runtime); never both.
 */
function expectOneDeath(added: CloudEvent[], code: number): CloudEvent[] {
  let rest = added;
  if (rest[0] && action(rest[0]) === "sync") {
    expect(rest[0]).toMatchObject({
      actor: "berth:reconcile",
      data: { runtime: "stopped", cause: "reconcile" },
    });
    expect(rest[1]).toMatchObject({ actor: "berth:reconcile", data: { cause: "reconcile" } });
    rest = rest.slice(1);
  } else {
    expect(rest[0]?.actor).toBe("runtime:conmon");
  }
  expect(rest.slice(0, 2).map(action)).toEqual(["died", "cleanup"]);
  // The code the process exited with, read from conmon's exit file (not the unknown -1).
  expect(rest[0]?.data).toMatchObject({ exitCode: code });
  return rest.slice(2);
}

describe("reconciling more containers than run at once", () => {
  it(
    "accounts for each of twenty containers changed behind a killed daemon's back, none missed and none twice",
    { timeout: 120_000 },
    async () => {
      const fates: Fate[] = [
        ...Array<Fate>(10).fill("terminated"),
        ...Array<Fate>(4).fill("paused"),
        ...Array<Fate>(3).fill("untouched"),
        ...Array<Fate>(3).fill("policy"),
      ];
      const plan: Planned[] = [];
      await inBatches(
        fates.map((fate, i) => ({ fate, code: 10 + i })),
        4,
        async ({ fate, code }) => {
          // sh as the container's init ignores SIGTERM unless it traps it: the trap picks the code.
          const script = `trap "exit ${code}" TERM; sleep 1000 & wait`;
          const created = await api().call<ContainerRecord>("POST", "/containers", {
            image: "busybox",
            command: ["sh", "-c", script],
            ...(fate === "policy" ? { restart: "always" } : {}),
          });
          await post(created.id, "start");
          plan.push({ id: created.id, fate, code, version: 0 });
        },
      );
      // Two that had already exited before the crash: there is nothing to reconcile for them.
      const done = await Promise.all(
        [0, 1].map(async () => {
          const created = await api().call<ContainerRecord>("POST", "/containers", {
            image: "busybox",
            command: ["true"],
          });
          await post(created.id, "start");
          // Cleaned up too: the automatic cleanup is not what this test counts.
          await api().call("POST", `/containers/${created.id}/wait?condition=exited`);
          return { id: created.id, version: (await inspect(created.id)).version };
        }),
      );
      // The trap is installed before `sleep` is forked: once runc sees a sleep, SIGTERM is handled.
      const trapSet = async (p: Planned) => {
        const r = await inspect(p.id);
        if (r.state !== "running") return false;
        const ps = await execa("runc", ["--root", join(berth.root, "runc"), "ps", p.id], {
          reject: false,
        });
        p.version = r.version;
        return ps.stdout.includes("sleep");
      };
      await until(
        async () => (await Promise.all(plan.map(trapSet))).every(Boolean),
        30_000,
        "every trap installed",
      );
      expect((await runc("list", "-q")).stdout.split("\n").filter(Boolean)).toHaveLength(
        fates.length,
      );
      const headBefore = (await journal()).length;

      await berth.kill("SIGKILL");
      for (const p of plan) {
        if (p.fate === "terminated" || p.fate === "policy") await runc("kill", p.id, "TERM");
        if (p.fate === "paused") await runc("pause", p.id);
      }
      for (const p of plan.filter((q) => q.fate === "terminated" || q.fate === "policy")) {
        await until(
          () => existsSync(join(berth.root, "exits", p.id)),
          15_000,
          `conmon's exit file for ${p.id}`,
        );
      }
      await berth.start();

      const settledAs = async (p: Planned) => {
        const r = await inspect(p.id);
        if (p.fate === "terminated") return r.state === "exited";
        if (p.fate === "paused") return r.state === "paused";
        if (p.fate === "policy") return r.state === "running" && r.restartCount === 1;
        return r.state === "running";
      };
      await until(
        async () => (await Promise.all(plan.map(settledAs))).every(Boolean),
        60_000,
        "every container reconciled",
      );

      for (const p of plan) {
        const added = (await history(p.id)).slice(p.version);
        const record = await inspect(p.id);
        const runtime = await runcStatus(berth.root, p.id);
        const where = `${p.fate} container ${p.id}: ${added.map(action).join(",")}`;
        if (p.fate === "terminated") {
          expect(expectOneDeath(added, p.code), where).toEqual([]);
          expect(record).toMatchObject({ state: "exited", exitCode: p.code, stoppedByUser: false });
          expect(runtime, where).toBe("absent");
        } else if (p.fate === "policy") {
          const restart = expectOneDeath(added, p.code);
          expect(restart.map(action), where).toEqual(["request", "restart", "init", "start"]);
          expect(restart[0]?.actor).toBe("policy:restart");
          expect(restart[1]?.data).toMatchObject({ attempt: 1, policy: true });
          expect(runtime, where).toBe("running");
        } else if (p.fate === "paused") {
          expect(added, where).toHaveLength(1);
          expect(added[0]).toMatchObject({
            actor: "berth:reconcile",
            type: "io.berth.container.sync",
            data: { runtime: "paused", state: "paused", cause: "reconcile" },
          });
          expect(runtime, where).toBe("paused");
        } else {
          // Agreeing with runc, so nothing to journal.
          expect(added, where).toEqual([]);
          expect(runtime, where).toBe("running");
        }
      }
      for (const d of done) expect((await history(d.id)).slice(d.version)).toEqual([]);

      // Gapless, hash-chained, and the projections are what the journal folds to.
      const all = await journal();
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
      expect(all.length).toBeGreaterThan(headBefore);
      expect((await berth.cli("audit", "verify")).code).toBe(0);
      expect((await berth.cli("replay", "--verify")).code).toBe(0);
    },
  );
});

describe("a process the journal never recorded", () => {
  it("journals the death of a process replaced behind the journal's back, with its exit code, and takes the unrecorded one down", async () => {
    // What a restart cut off between its `runc start` and its journal write leaves: runc runs a
    // new process under the same id while the journal still knows the old one. Made here by hand.
    const { id } = await api().call<ContainerRecord>("POST", "/containers", {
      image: "busybox",
      command: ["sleep", "1000"],
    });
    const started = await post(id, "start");
    await berth.kill("SIGKILL");
    await runc("kill", id, "KILL");
    const exitFile = join(berth.root, "exits", id);
    await until(() => existsSync(exitFile), 10_000, `exit file of ${id}`);
    // A new run sets the old exit aside (src/effects/exit-file.ts), so the exit monitor cannot see it.
    await rename(exitFile, join(berth.root, "containers", id, "persist", "exit.prev"));
    await runc("delete", id);
    const bundle = join(berth.root, "containers", id, "bundle");
    await execa("runc", ["--root", join(berth.root, "runc"), "run", "-d", "--bundle", bundle, id], {
      stdio: "ignore",
    });
    const replacement = JSON.parse((await runc("state", id)).stdout) as { pid: number };
    expect(replacement.pid).not.toBe(started.pid);

    await berth.start();
    await until(async () => (await inspect(id)).state === "exited", 20_000, `${id} to exit`);
    const added = (await history(id)).slice(started.version);
    expect(added.map(action)).toEqual(["sync", "died", "cleanup"]);
    expect(added[0]).toMatchObject({ actor: "berth:reconcile", data: { cause: "reconcile" } });
    // The code of the process the journal knew (SIGKILL), not the unknown -1.
    expect(added[1]?.data).toMatchObject({ exitCode: 137, cause: "reconcile" });
    expect(await runcStatus(berth.root, id)).toBe("absent");
    // runc started it detached, so no one of ours reaps it: a zombie is a process that is gone.
    const stat = await readFile(`/proc/${replacement.pid}/stat`, "utf8").catch(() => "");
    expect(stat === "" || stat.split(") ")[1]?.startsWith("Z"), `left: ${stat}`).toBe(true);
    await api().call("DELETE", `/containers/${id}`);
  });
});

describe("an exit file that outlived its container", () => {
  it("is discarded once the daemon is back, when the container's removal is already journaled", async () => {
    // What a daemon killed between journaling a removal and discarding the exit file leaves.
    const { id } = await api().call<ContainerRecord>("POST", "/containers", {
      image: "busybox",
      command: ["sleep", "1000"],
    });
    await api().call("DELETE", `/containers/${id}`);
    await berth.kill("SIGKILL");
    const exitFile = join(berth.root, "exits", id);
    await writeFile(exitFile, "137");
    await berth.start();
    await until(() => !existsSync(exitFile), 10_000, `${id}'s exit file to go`);
    expect((await inspect(id)).state).toBe("removed");
    expect((await history(id)).map(action).at(-1)).toBe("remove");
  });
});
