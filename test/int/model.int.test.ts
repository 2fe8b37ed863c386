/**
 * Model-based test: random command sequences against the real daemon and
 * runtime. The pure rules predict which commands fail; after every command
 * the live record must equal the fold of its journal, and runc must agree.
 * BERTH_MODEL_SEED replays a failing run.
 */
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/api/client.js";
import { BerthError } from "../../src/errors.js";
import type { CloudEvent } from "../../src/events/index.js";
import {
  rejection,
  replay,
  type CommandBody,
  type ContainerRecord,
} from "../../src/machines/index.js";
import { prng } from "../support/prng.js";
import { expectedRunc } from "../support/runc-view.js";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

const SEED = Number(process.env.BERTH_MODEL_SEED ?? Date.now() % 100_000);
const SEQUENCES = 8;
const STEPS = 20;

interface Step {
  name: string;
  body: CommandBody;
  call: (c: BerthClient, id: string) => Promise<unknown>;
}

const post =
  (op: string, body: unknown = {}) =>
  (c: BerthClient, id: string) =>
    c.call("POST", `/containers/${id}/${op}`, body);

const STEPS_POOL: Step[] = [
  { name: "init", body: { type: "INIT" }, call: post("init") },
  { name: "start", body: { type: "START" }, call: post("start") },
  { name: "stop", body: { type: "STOP", timeout: 0 }, call: post("stop", { timeout: 0 }) },
  { name: "restart", body: { type: "RESTART", timeout: 0 }, call: post("restart", { timeout: 0 }) },
  {
    name: "kill",
    body: { type: "KILL", signal: "SIGKILL" },
    // The death is observed asynchronously; wait for it so the next check sees it.
    call: async (c, id) => {
      await post("kill", { signal: "SIGKILL" })(c, id);
      await c.call("POST", `/containers/${id}/wait`);
    },
  },
  { name: "pause", body: { type: "PAUSE" }, call: post("pause") },
  { name: "unpause", body: { type: "UNPAUSE" }, call: post("unpause") },
  { name: "cleanup", body: { type: "CLEANUP" }, call: post("cleanup") },
  { name: "mount", body: { type: "MOUNT" }, call: post("mount") },
  { name: "unmount", body: { type: "UNMOUNT", force: false }, call: post("unmount") },
  { name: "sync", body: { type: "SYNC" }, call: post("sync") },
];

/** What runc should say for a settled record. */

let berth: Berth;
let client: BerthClient;

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  client = new BerthClient({ socketPath: berth.socket });
});

afterAll(async () => {
  await berth?.stop();
});

async function check(id: string, trace: string[]) {
  const live = await client.call<ContainerRecord>("GET", `/containers/${id}`);
  const events = await client.call<CloudEvent[]>("GET", `/containers/${id}/history`);
  expect(replay(events), `fold(journal) = live after ${trace.join(" ")}`).toEqual(live);
  expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
  const r = await execa("runc", ["--root", `${berth.root}/runc`, "state", id], { reject: false });
  const runc = r.exitCode === 0 ? (JSON.parse(r.stdout) as { status: string }).status : "absent";
  expect(runc, `runc agrees after ${trace.join(" ")}`).toBe(expectedRunc(live));
  return live;
}

describe(`model-based lifecycle (seed ${SEED})`, () => {
  it("keeps live state, journal fold and runc in agreement over random command sequences", async () => {
    const random = prng(SEED);
    for (let s = 0; s < SEQUENCES; s++) {
      const id = (
        await client.call<ContainerRecord>("POST", "/containers", {
          image: "busybox",
          command: ["sleep", "1000"],
        })
      ).id;
      const trace: string[] = [];
      let record = await check(id, trace);
      for (let i = 0; i < STEPS; i++) {
        const step = STEPS_POOL[Math.floor(random() * STEPS_POOL.length)]!;
        trace.push(step.name);
        const predicted = rejection(record, step.body);
        const outcome = await step.call(client, id).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (predicted) {
          expect(
            outcome,
            `${step.name} in ${record.state} should fail (${trace.join(" ")})`,
          ).toBeInstanceOf(BerthError);
          expect((outcome as BerthError).message).toBe(predicted.message);
        } else {
          expect(
            outcome,
            `${step.name} in ${record.state} should succeed (${trace.join(" ")})`,
          ).toBeUndefined();
        }
        record = await check(id, trace);
      }
      await client.call("DELETE", `/containers/${id}?force=1&timeout=0`);
    }
  }, 240_000);
});
