/**
 * Restart policies on the real runtime (conmon + runc): what the policy does
 * when a process ends on its own, what a user's stop means to it, and the
 * restarts a daemon still owes after it was killed.
 *
 * berth's rule for `always` and `unless-stopped` is libpod's, not Docker's:
 * the two are the same. Both restart a process that ended on its own, neither
 * restarts after a user's stop or kill (the record's `stoppedByUser`), and a
 * daemon restart changes nothing about that. Docker's `always` would start a
 * user-stopped container again when dockerd restarts; libpod has no daemon
 * whose restart could mean anything, and its restart-policy handler bails out
 * on StoppedByUser for every policy. A restart of berth's daemon is a crash
 * recovery, not a reboot, so berth keeps libpod's rule.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { LevelJournal } from "../../src/store/index.js";
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

const remove = (ref: string) =>
  api().call<ContainerRecord>("DELETE", `/containers/${ref}?force=1&timeout=0`);
/** A busybox container with a restart policy; returns its id. */
const create = async (restart: string, ...command: string[]) =>
  (await api().call<ContainerRecord>("POST", "/containers", { image: "busybox", command, restart }))
    .id;

/** runc's pid for the container's init process: what a process outside berth would kill. */
async function runcPid(id: string): Promise<number> {
  const r = await execa("runc", ["--root", join(berth.root, "runc"), "state", id]);
  return (JSON.parse(r.stdout) as { pid: number }).pid;
}

/** The whole journal, in global order. */
async function journal(): Promise<CloudEvent[]> {
  const all: CloudEvent[] = [];
  for await (const e of api().events({ follow: false })) all.push(e);
  return all;
}

/** Versions 1..n in the stream and a global sequence with no hole anywhere in the journal. */
async function expectGapless(id: string) {
  const events = await history(id);
  expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
  const all = await journal();
  expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
}

/** What a restarted daemon finds, read straight from LevelDB while no daemon holds it. */
async function offlineStream(id: string): Promise<CloudEvent[]> {
  const j = await LevelJournal.open(join(berth.root, "journal"));
  try {
    return await j.readStream(id);
  } finally {
    await j.close();
  }
}

/**
 * Runs 1 to 5 exit with 4; the sixth run stays (each run counts itself in the container's own
 * files, which outlive a restart). After the fifth exit the policy has restarted four times and
 * waits 1.6 s before the next restart: a window wide enough to act in, even on a loaded machine.
 */
const FIVE_EXITS =
  "n=$(($(cat /runs 2>/dev/null || echo 0) + 1)); echo $n > /runs; " +
  "[ $n -ge 6 ] && exec sleep 1000; exit 4";
/** The restarts made before the fifth exit's backoff. */
const BEFORE_BACKOFF = 4;

/** The restart a policy makes, after an exit the runtime reported: its events in order. */
const POLICY_RESTART = ["request", "restart", "init", "start"];

/** Checks the tail of a policy restart: intent by the policy, counted attempt, a new process. */
function expectPolicyRestart(events: CloudEvent[], attempt: number) {
  expect(events.map(action)).toEqual(POLICY_RESTART);
  const [request, restart] = events;
  expect(request).toMatchObject({ actor: "policy:restart", data: { command: "RESTART" } });
  expect(restart?.data).toMatchObject({ attempt, policy: true });
}

describe("the unless-stopped policy on the real runtime", () => {
  it("restarts a process that ends on its own, counting each restart, and runc runs it again", async () => {
    const id = await create("unless-stopped", "sleep", "1000");
    await post(id, "start");
    for (const attempt of [1, 2]) {
      const before = await inspect(id);
      const pid = await runcPid(id);
      // Killed from outside berth: to berth, the process ended on its own.
      process.kill(pid, "SIGKILL");
      await until(
        async () => {
          const r = await inspect(id);
          return r.restartCount === attempt && r.state === "running";
        },
        20_000,
        `policy restart ${attempt}`,
      );
      const added = (await history(id)).slice(before.version);
      expect(added.map(action)).toEqual(["died", "cleanup", ...POLICY_RESTART]);
      expect(added[0]).toMatchObject({ actor: "runtime:conmon", data: { exitCode: 137 } });
      expectPolicyRestart(added.slice(2), attempt);
      expect(await runcStatus(berth.root, id)).toBe("running");
      expect(await runcPid(id)).not.toBe(pid);
      expect((await inspect(id)).stoppedByUser).toBe(false);
    }
    await expectGapless(id);
    await remove(id);
  });
});

describe("the backoff before a policy restart", () => {
  it("keeps the pending restart when another command, such as a sync, is served during the backoff", async () => {
    // A sync sent while the policy waits out its backoff must not cancel the restart (only a
    // user's stop does, per the README).
    const id = await create("unless-stopped", "sh", "-c", FIVE_EXITS);
    await post(id, "start");
    await until(
      async () => {
        const r = await inspect(id);
        return r.restartCount === BEFORE_BACKOFF && r.state === "exited";
      },
      20_000,
      "the fifth exit",
    );
    const synced = await post(id, "sync");
    // The sync was served while the restart was still pending, not after it.
    expect(synced).toMatchObject({ state: "exited", restartCount: BEFORE_BACKOFF });
    let last: ContainerRecord | undefined;
    await until(
      async () => {
        last = await inspect(id);
        return last.state === "running" && last.restartCount === BEFORE_BACKOFF + 1;
      },
      20_000,
      () => `the owed restart (last seen: ${last?.state}, restartCount ${last?.restartCount})`,
    );
    const events = await history(id);
    const syncAt = events.findIndex((e) => action(e) === "sync");
    expectPolicyRestart(events.slice(syncAt + 1), BEFORE_BACKOFF + 1);
    expect(await runcStatus(berth.root, id)).toBe("running");
    await expectGapless(id);
    await remove(id);
  });

  it("cancels the pending restart when the user stops the container during the backoff", async () => {
    const id = await create("always", "sh", "-c", FIVE_EXITS);
    await post(id, "start");
    await until(
      async () => {
        const r = await inspect(id);
        return r.restartCount === BEFORE_BACKOFF && r.state === "exited";
      },
      20_000,
      "the fifth exit",
    );
    const stopped = await post(id, "stop");
    expect(stopped).toMatchObject({
      state: "exited",
      stoppedByUser: true,
      restartCount: BEFORE_BACKOFF,
    });
    const stoppedAt = stopped.version;
    // A command served afterwards goes back through the policy check (see the test above),
    // which must now find nothing due.
    await post(id, "sync");
    // The backoff it cancelled was 1.6 s; give a restart that should not come ample time to.
    await new Promise((r) => setTimeout(r, 3_000));
    const added = (await history(id)).slice(stoppedAt);
    expect(added.map(action)).toEqual(["request", "sync"]);
    expect((await inspect(id)).state).toBe("exited");
    expect(await runcStatus(berth.root, id)).toBe("absent");
    await expectGapless(id);
    await remove(id);
  });
});

/**
 * One crash for all the cases below (a daemon restart is the slow part): the daemon is SIGKILLed
 * with user-stopped containers, running policy containers whose processes are then killed while
 * it is down, and a container waiting out its backoff.
 */
describe("after the daemon is killed and restarted", () => {
  const stopped: { id: string; version: number }[] = [];
  const killed: { id: string; version: number }[] = [];
  let backoff = "";
  /** The backoff container's stream as the killed daemon left it, read from LevelDB. */
  let left: CloudEvent[] = [];

  beforeAll(async () => {
    for (const policy of ["always", "unless-stopped"]) {
      const id = await create(policy, "sleep", "1000");
      await post(id, "start");
      const r = await post(id, "stop", { timeout: 0 });
      expect(r).toMatchObject({ state: "exited", stoppedByUser: true, exitCode: 137 });
      stopped.push({ id, version: r.version });
    }
    for (const policy of ["unless-stopped", "always"]) {
      const id = await create(policy, "sleep", "1000");
      const r = await post(id, "start");
      killed.push({ id, version: r.version });
    }
    const pid = await runcPid(killed[0]!.id);
    // Killed while the policy waits out the backoff after the fifth exit.
    backoff = await create("always", "sh", "-c", FIVE_EXITS);
    await post(backoff, "start");
    await until(
      async () => {
        const r = await inspect(backoff);
        return r.restartCount === BEFORE_BACKOFF && r.state === "exited";
      },
      20_000,
      "the fifth exit",
    );
    await berth.kill("SIGKILL");

    // While no daemon runs: one process killed by pid, the other through runc.
    process.kill(pid, "SIGKILL");
    await execa("runc", ["--root", join(berth.root, "runc"), "kill", killed[1]!.id, "KILL"]);
    // conmon outlives the daemon and records each exit; wait for both records before restarting.
    for (const { id } of killed) {
      await until(() => existsSync(join(berth.root, "exits", id)), 10_000, `exit file of ${id}`);
    }
    left = await offlineStream(backoff);
    await berth.start();
  }, 120_000);

  it("restarts none of the containers a user stopped, whether their policy is always or unless-stopped", async () => {
    for (const { id, version } of stopped) {
      // A request queued behind anything the restarted daemon decided for this container at
      // start-up: once it is answered, a policy restart (had one been due) has been journaled.
      await post(id, "sync");
      const added = (await history(id)).slice(version);
      expect(added.map(action)).toEqual(["request", "sync"]);
      const r = await inspect(id);
      expect(r).toMatchObject({ state: "exited", stoppedByUser: true, restartCount: 0 });
      expect(await runcStatus(berth.root, id)).toBe("absent");
      await expectGapless(id);
    }
  });

  it("restarts policy containers whose processes were killed while it was down, after journaling their real exit", async () => {
    for (const { id, version } of killed) {
      await until(
        async () => {
          const r = await inspect(id);
          return r.state === "running" && r.restartCount === 1;
        },
        20_000,
        `the owed restart of ${id}`,
      );
      let added = (await history(id)).slice(version);
      // Either the reconcile (runc says stopped) or the first scan of the exit files reports the
      // exit; whichever comes first, the other finds nothing left to say.
      if (action(added[0]!) === "sync") {
        expect(added[0]).toMatchObject({
          actor: "berth:reconcile",
          data: { runtime: "stopped", cause: "reconcile" },
        });
        added = added.slice(1);
      }
      expect(added.map(action)).toEqual(["died", "cleanup", ...POLICY_RESTART]);
      // The exit file's code, not the "unknown" -1.
      expect(added[0]?.data).toMatchObject({ exitCode: 137 });
      expectPolicyRestart(added.slice(2), 1);
      expect(await runcStatus(berth.root, id)).toBe("running");
      await expectGapless(id);
    }
  });

  it("resumes a policy restart that was waiting out its backoff when the daemon was killed", async () => {
    // What the killed daemon left: the fifth run's exit cleaned up, and no restart begun.
    expect(left.slice(-3).map(action)).toEqual(["start", "died", "cleanup"]);
    expect(left.at(-2)?.data).toMatchObject({ exitCode: 4 });
    await until(
      async () => {
        const r = await inspect(backoff);
        return r.state === "running" && r.restartCount === BEFORE_BACKOFF + 1;
      },
      20_000,
      "the owed restart",
    );
    const added = (await history(backoff)).slice(left.length);
    expectPolicyRestart(added, BEFORE_BACKOFF + 1);
    expect(await runcStatus(berth.root, backoff)).toBe("running");
    await expectGapless(backoff);
  });
});
