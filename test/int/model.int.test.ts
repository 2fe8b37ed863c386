/**
 * Model-based test: random command sequences against the real daemon and
 * runtime, judged by an independent model (test/support/lifecycle-model.ts)
 * that shares no code with src/. For every command the model predicts the
 * outcome (the exact error, or success), the next state, the exit code, the
 * mount count and the journal actions; the live record, the journal and
 * runc's real state must all match it. BERTH_MODEL_SEED replays a failing run.
 */
import { existsSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/client/index.js";
import type { CloudEvent } from "../../src/events/index.js";
import { replay, type ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import {
  created,
  EXEC_CODE,
  KILLED,
  MODEL_OPS,
  predict,
  RUNC_STATUS,
  type ModelContainer,
  type ModelOp,
  type Prediction,
} from "../support/lifecycle-model.js";
import { prng } from "../support/prng.js";
import { runcStatus } from "../support/runc-view.js";

const SEED = Number(process.env.BERTH_MODEL_SEED ?? Date.now() % 100_000);
const SEQUENCES = 8;
const STEPS = 20;

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

/** Sends `op` as a user would over the API. A kill also waits for the death it causes. */
async function send(id: string, op: ModelOp): Promise<unknown> {
  const post = (path: string, body: unknown = {}) =>
    client.call("POST", `/containers/${id}/${path}`, body);
  switch (op) {
    case "stop":
    case "restart":
      return post(op, { timeout: 0 });
    case "kill": {
      const answer = await post("kill", { signal: "SIGKILL" });
      await post("wait");
      return answer;
    }
    case "rm":
      return client.call("DELETE", `/containers/${id}`);
    case "rm-force":
      return client.call("DELETE", `/containers/${id}?force=1&timeout=0`);
    case "exec-d":
      return post("exec", { command: ["sleep", "1000"], detach: true });
    case "exec":
      return attachedExec(id);
    case "healthcheck":
      return post("healthcheck");
    default:
      return post(op);
  }
}

/**
 * An attached exec over a plain POST: its output, then the exit code in the
 * trailer, which must be the command's. A refusal is a JSON error answer.
 */
async function attachedExec(id: string): Promise<unknown> {
  const body = JSON.stringify({ command: ["sh", "-c", `exit ${EXEC_CODE}`] });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      {
        socketPath: berth.socket,
        method: "POST",
        path: `/containers/${id}/exec`,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      resolve,
    );
    req.on("error", reject);
    req.end(body);
  });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  if (res.statusCode !== 200) {
    throw (JSON.parse(Buffer.concat(chunks).toString()) as { error: unknown }).error;
  }
  expect(res.trailers["x-berth-exit-code"]).toBe(String(EXEC_CODE));
  return {};
}

const history = (id: string) => client.call<CloudEvent[]>("GET", `/containers/${id}/history`);
const inspect = (id: string) => client.call<ContainerRecord>("GET", `/containers/${id}`);
const describeEvent = (e: CloudEvent) =>
  `${e.type.slice("io.berth.container.".length)}${e.data.outcome === "failure" ? "!" : ""}`;

/** The record an answer carries, if any (mount answers `{ path, record }`). */
function answered(answer: unknown): ContainerRecord | undefined {
  if (typeof answer !== "object" || answer === null) return undefined;
  const a = answer as { state?: unknown; record?: ContainerRecord };
  return typeof a.state === "string" ? (answer as ContainerRecord) : a.record;
}

/**
 * Waits until the container has settled where the model says (an exit's
 * cleanup follows the answer), then checks the live record, the journal and
 * runc against the prediction.
 */
async function judge(
  p: Prediction,
  before: CloudEvent[],
  lastPid: number | undefined,
  trace: string,
): Promise<CloudEvent[]> {
  const { id } = p.next;
  const want = before.length + p.journal.length;
  await until(
    async () => (await inspect(id)).state === p.next.state && (await history(id)).length >= want,
    10_000,
    `${trace}: ${p.next.state} with ${want} events`,
  ).catch(() => undefined); // the assertions below say what differs
  const live = await inspect(id);
  const events = await history(id);
  const added = events.slice(before.length);
  expect(added.map(describeEvent), `journal after ${trace}`).toEqual(
    p.journal.map((a, i) => (i === 0 && !p.outcome.ok ? `${a}!` : a)),
  );
  if (!p.outcome.ok && p.journal.length > 0) {
    expect(added[0]?.data.error, `refusal journaled with its error after ${trace}`).toEqual({
      code: p.outcome.code,
      message: p.outcome.message,
    });
  }
  const deaths = added.filter((e) => e.type === "io.berth.container.died");
  expect(
    deaths.map((e) => e.data.exitCode),
    `exit codes journaled after ${trace}`,
  ).toEqual(p.deaths);
  expect(
    {
      state: live.state,
      exitCode: live.exitCode,
      mounts: live.mountCount,
      sessions: live.execSessions?.length ?? 0,
      health: live.health?.status,
    },
    `record after ${trace}`,
  ).toEqual({
    state: p.next.state,
    exitCode: p.next.exitCode,
    mounts: p.next.mounts,
    sessions: p.next.sessions ?? 0,
    health: p.next.health,
  });
  const execDeaths = added.filter((e) => e.type === "io.berth.container.exec_died");
  for (const e of execDeaths) {
    // An attached exec ends with its own code; sessions that die with their container are killed.
    expect([EXEC_CODE, KILLED], `exec exit code after ${trace}`).toContain(e.data.exitCode);
  }
  expect(replay(events), `fold(journal) = live after ${trace}`).toEqual(live);
  expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
  expect(await runcStatus(berth.root, id), `runc after ${trace}`).toBe(RUNC_STATUS[p.next.state]);
  if (lastPid !== undefined && (p.next.state === "exited" || p.next.state === "removed")) {
    expect(existsSync(`/proc/${lastPid}`), `process ${lastPid} is gone after ${trace}`).toBe(false);
  }
  return events;
}

describe(`model-based lifecycle (seed ${SEED})`, () => {
  it("does what an independent model of libpod predicts, in the record, the journal and runc, over random command sequences", async () => {
    const random = prng(SEED);
    // Removal ends a sequence, so it comes at the end of each one, from wherever the walk got to.
    const pool = MODEL_OPS.filter((op) => op !== "rm" && op !== "rm-force");
    const tried = new Set<string>();
    const visited = new Set<string>();
    for (let s = 0; s < SEQUENCES; s++) {
      const { id } = await client.call<ContainerRecord>("POST", "/containers", {
        image: "busybox",
        command: ["sleep", "1000"],
        healthCmd: "true",
        healthInterval: "disable",
      });
      let model: ModelContainer = created(id);
      let events = await history(id);
      expect(events.map(describeEvent)).toEqual(["create"]);
      let lastPid: number | undefined;
      const trace: string[] = [];
      const step = async (op: ModelOp) => {
        trace.push(op);
        tried.add(op);
        visited.add(model.state);
        const where = `${trace.join(" ")} (from ${model.state})`;
        const p = predict(model, op);
        const outcome = await send(id, op).then(
          (answer) => ({ ok: true as const, answer }),
          (err: unknown) => ({
            ok: false as const,
            err: err as { code?: string; message?: string },
          }),
        );
        if (p.outcome.ok) {
          expect(outcome.ok ? "success" : outcome.err, `${where} should succeed`).toBe("success");
          // The answer itself is the acknowledged state (a kill answers before the death).
          const record = outcome.ok ? answered(outcome.answer) : undefined;
          if (record && op !== "kill")
            expect(record.state, `answer to ${where}`).toBe(p.next.state);
        } else {
          expect(
            outcome.ok ? "success" : { code: outcome.err.code, message: outcome.err.message },
            `${where} should fail`,
          ).toEqual({ code: p.outcome.code, message: p.outcome.message });
        }
        events = await judge(p, events, lastPid, where);
        model = p.next;
        const live = await inspect(id);
        if (live.pid !== undefined) lastPid = live.pid;
      };
      for (let i = 0; i < STEPS; i++) {
        await step(pool[Math.floor(random() * pool.length)]!);
      }
      // Every sequence ends in a judged removal, so the removal paths are always exercised.
      if (model.state !== "removed") await step("rm");
      if (model.state !== "removed") await step("rm-force");
      visited.add(model.state);
      // A removed container stays readable as a tombstone and refuses everything.
      await step(pool[Math.floor(random() * pool.length)]!);
    }
    // Random walks could miss whole rows of the table; with these sizes they never should.
    expect([...tried].sort()).toEqual([...MODEL_OPS].sort());
    expect([...visited].sort()).toEqual(
      ["configured", "created", "exited", "paused", "removed", "running"].sort(),
    );
  }, 300_000);
});
