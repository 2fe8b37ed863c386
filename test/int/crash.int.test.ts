/**
 * Crash tests: the real daemon is killed with SIGKILL at a random moment of a
 * concurrent workload, then restarted, over many trials. Each trial checks
 * that every acknowledged operation is in the journal, that the projections
 * equal the journal's fold and runc's view, and that the hash chain verifies.
 * BERTH_CRASH_SEED replays a failing run.
 */
import { runcStatus as runcStatusIn } from "../support/runc-view.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/api/client.js";
import type { CloudEvent } from "../../src/events/index.js";
import { replay, type ContainerRecord } from "../../src/machines/index.js";
import { prng } from "../support/prng.js";
import { expectedRunc } from "../support/runc-view.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";

const SEED = Number(process.env.BERTH_CRASH_SEED ?? Date.now() % 100_000);
const TRIALS = 6;
const WORKERS = 4;

const OPS: [string, unknown][] = [
  ["start", {}],
  ["pause", {}],
  ["unpause", {}],
  ["stop", { timeout: 0 }],
  ["restart", { timeout: 0 }],
];

let berth: Berth;
const client = () => new BerthClient({ socketPath: berth.socket });
const runcStatus = (id: string) => runcStatusIn(berth.root, id);

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

/** Runs until the daemon dies; returns every answer that came back as success. */
async function worker(id: string, random: () => number, acked: ContainerRecord[]) {
  const c = client();
  for (;;) {
    const [op, body] = OPS[Math.floor(random() * OPS.length)]!;
    try {
      acked.push(await c.call<ContainerRecord>("POST", `/containers/${id}/${op}`, body));
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Refusals are part of the workload; anything else means the daemon is gone.
      if (code === "CTR_STATE_INVALID" || code === "CTR_STOPPED") continue;
      return;
    }
  }
}

describe(`crash recovery (seed ${SEED})`, () => {
  it("loses no acknowledged operation and agrees with the journal and runc after SIGKILL at random moments", async () => {
    const random = prng(SEED);
    const c = client();
    const ids: string[] = [];
    for (let i = 0; i < WORKERS; i++) {
      ids.push(
        (
          await c.call<ContainerRecord>("POST", "/containers", {
            image: "busybox",
            command: ["sleep", "1000"],
          })
        ).id,
      );
    }
    for (let trial = 0; trial < TRIALS; trial++) {
      const acked: ContainerRecord[] = [];
      const workers = ids.map((id) => worker(id, random, acked));
      await new Promise((r) => setTimeout(r, 100 + random() * 900));
      await berth.kill("SIGKILL");
      await Promise.all(workers);
      await berth.start();

      const live = client();
      // Reconcile runs in the background after start: wait until every container agrees with runc.
      let disagreement = "";
      await until(
        async () => {
          for (const id of ids) {
            const r = await live.call<ContainerRecord>("GET", `/containers/${id}`);
            const runc = await runcStatus(id);
            disagreement = `${id.slice(0, 12)} is ${r.state} in berth, ${runc} in runc`;
            if (expectedRunc(r) !== runc) return false;
          }
          return true;
        },
        20_000,
        `records and runc to agree after trial ${trial}`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}: ${disagreement}`);
      });
      for (const ack of acked) {
        const events = await live.call<CloudEvent[]>("GET", `/containers/${ack.id}/history`);
        const upTo = events.filter((e) => e.version <= ack.version);
        expect(upTo.length, `acknowledged version ${ack.version} is in the journal`).toBe(
          ack.version,
        );
        expect(replay(upTo), `the journal replays to what was acknowledged`).toEqual(ack);
      }
      for (const id of ids) {
        const record = await live.call<ContainerRecord>("GET", `/containers/${id}`);
        const events = await live.call<CloudEvent[]>("GET", `/containers/${id}/history`);
        expect(replay(events)).toEqual(record);
      }
      expect((await berth.cli("replay", "--verify")).stdout).toContain(
        "projections match the journal",
      );
      expect((await berth.cli("audit", "verify")).code).toBe(0);
    }
  }, 240_000);
});
