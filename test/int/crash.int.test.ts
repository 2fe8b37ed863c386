/**
 * Crash tests: the real daemon is killed with SIGKILL while a chosen kind of
 * operation is in flight (create, start, pause, unpause, stop, restart, kill,
 * rm), over a concurrent workload, then restarted. Each worker drives its own
 * containers and predicts every answer with the independent lifecycle model
 * (test/support/lifecycle-model.ts), so before the kill any surprise fails the
 * test, and after it the journal must hold exactly what was acknowledged, in
 * the order the model predicts, the interrupted operation must have left the
 * container in a state the model allows, runc must agree, and no runtime
 * container or mount may be left without a record. BERTH_CRASH_SEED replays a
 * failing run.
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/client/index.js";
import type { CloudEvent } from "../../src/events/index.js";
import { replay, type ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, startBerth, until, type Berth } from "../../src/harness/index.js";
import {
  created,
  interruptedStates,
  KILLED,
  predict,
  RUNC_STATUS,
  type ModelContainer,
} from "../support/lifecycle-model.js";
import { prng } from "../support/prng.js";
import { runcState } from "../support/runc-view.js";

const SEED = Number(process.env.BERTH_CRASH_SEED ?? Date.now() % 100_000);
const WORKERS = 4;
/** The operation each trial interrupts on purpose, one trial each. */
const TARGETS = ["create", "start", "pause", "unpause", "stop", "restart", "kill", "rm"] as const;
type Target = (typeof TARGETS)[number];
/** Every trial must see at least this many acknowledged answers before the kill. */
const MIN_ACKS_PER_TRIAL = WORKERS;

type CrashOp = Exclude<Target, "create" | "rm"> | "rm-force";
const OPS: CrashOp[] = ["start", "pause", "unpause", "stop", "restart", "kill", "rm-force"];
const targetOf = (op: CrashOp | "create"): Target => (op === "rm-force" ? "rm" : op);

let berth: Berth;
const client = () => new BerthClient({ socketPath: berth.socket });

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

/** One journal event as the model names it: a failure is marked `!`, a death carries its exit code. */
const named = (e: CloudEvent) => {
  const action = e.type.slice("io.berth.container.".length);
  if (e.data.outcome === "failure") return `${action}!`;
  return action === "died" ? `died(${String(e.data.exitCode)})` : action;
};

/** The model's journal actions for an accepted or refused request, named as `named` names events. */
function predictedEvents(journal: string[], deaths: number[], refused: boolean): string[] {
  const codes = [...deaths];
  return journal.map((a, i) => {
    if (refused && i === 0) return `${a}!`;
    return a === "died" ? `died(${codes.shift() ?? "?"})` : a;
  });
}

/** What one worker knows about its current container. */
interface Tracked {
  model: ModelContainer;
  /** The journal the acknowledged answers imply, event by event. */
  journal: string[];
}

interface Interrupted {
  op: CrashOp | "create" | "wait";
  before?: ModelContainer;
}

class Worker {
  ctr?: Tracked;
  /** Containers this worker created, removed ones included. */
  readonly ids = new Set<string>();
  acks = 0;
  inFlight?: Target;
  interrupted?: Interrupted;
  failure?: Error;

  constructor(
    private readonly random: () => number,
    private readonly crash: { killing: boolean; want?: Target; onInFlight?: (t: Target) => void },
  ) {}

  /** Runs until the daemon dies, or until the model is contradicted (then `failure` says how). */
  async run(c: BerthClient): Promise<void> {
    try {
      while (!this.crash.killing) await this.step(c);
    } catch (err) {
      if (this.crash.killing) return;
      this.failure = err instanceof Error ? err : new Error(String(err));
    }
  }

  private pick(): CrashOp {
    const want = this.crash.want;
    const ctr = this.ctr!;
    // Lean towards the operation this trial interrupts, when the model says it would be accepted.
    const wanted = OPS.find((op) => targetOf(op) === want);
    if (wanted && this.random() < 0.5 && predict(ctr.model, wanted).outcome.ok) return wanted;
    return OPS[Math.floor(this.random() * OPS.length)]!;
  }

  private async send<T>(target: Target, call: () => Promise<T>, op: Interrupted): Promise<T> {
    this.inFlight = target;
    this.crash.onInFlight?.(target);
    try {
      return await call();
    } catch (err) {
      if (this.crash.killing) this.interrupted = op;
      throw err;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async step(c: BerthClient): Promise<void> {
    if (!this.ctr) {
      const record = await this.send(
        "create",
        () =>
          c.call<ContainerRecord>("POST", "/containers", {
            image: "busybox",
            command: ["sleep", "1000"],
            // The model's containers have a healthcheck that only a probe on request runs.
            healthCmd: "true",
            healthInterval: "disable",
          }),
        { op: "create" },
      );
      this.ids.add(record.id);
      this.acks++;
      expect(record.state, "a create answers configured").toBe("configured");
      this.ctr = { model: created(record.id), journal: ["create"] };
      return;
    }
    const ctr = this.ctr;
    const op = this.pick();
    const p = predict(ctr.model, op);
    const before = ctr.model;
    const path = `/containers/${before.id}`;
    const call = () => {
      switch (op) {
        case "rm-force":
          return c.call<ContainerRecord>("DELETE", `${path}?force=1&timeout=0`);
        case "kill":
          return c.call<ContainerRecord>("POST", `${path}/kill`, { signal: "SIGKILL" });
        case "stop":
        case "restart":
          return c.call<ContainerRecord>("POST", `${path}/${op}`, { timeout: 0 });
        default:
          return c.call<ContainerRecord>("POST", `${path}/${op}`, {});
      }
    };
    let answer: ContainerRecord;
    try {
      answer = await this.send(targetOf(op), call, { op, before });
    } catch (err) {
      if (this.crash.killing) throw err;
      const e = err as { code?: string; message?: string };
      // Before the kill the only errors allowed are the refusals the model predicts, word for word.
      const want = p.outcome.ok ? "success" : { code: p.outcome.code, message: p.outcome.message };
      expect({ code: e.code, message: e.message }, `${op} from ${before.state}`).toEqual(want);
      this.acks++;
      ctr.journal.push("request!");
      return;
    }
    this.acks++;
    expect(p.outcome.ok, `${op} from ${before.state} succeeded, the model refuses it`).toBe(true);
    if (op === "kill") {
      // The kill is answered at once; the death it causes is acknowledged by wait.
      expect(answer.state, `answer to kill from ${before.state}`).toBe(before.state);
      ctr.journal.push("request", "kill");
      const code = await this.send(
        "kill",
        () => c.call<{ exitCode: number }>("POST", `${path}/wait`),
        {
          op: "wait",
          before,
        },
      );
      expect(code.exitCode, "wait after SIGKILL").toBe(KILLED);
      this.acks++;
      ctr.journal.push(`died(${KILLED})`, "cleanup");
    } else {
      expect(answer.state, `answer to ${op} from ${before.state}`).toBe(p.next.state);
      ctr.journal.push(...predictedEvents(p.journal, p.deaths, false));
    }
    ctr.model = p.next;
    if (p.next.state === "removed") this.ctr = undefined;
  }
}

const history = (c: BerthClient, id: string) =>
  c.call<CloudEvent[]>("GET", `/containers/${id}/history`);

/** Overlay mounts under the root that belong to `id`. */
async function mountsOf(id: string): Promise<string[]> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  return info
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point.startsWith(`${berth.root}/`) && point.includes(id));
}

/**
 * After the restart: a create cut off by the kill may or may not have made a
 * container. Each one it made has only its create journaled, and goes to the
 * worker whose create it was.
 */
async function adoptCreated(c: BerthClient, workers: Worker[], known: Set<string>, label: string) {
  const all = await c.call<ContainerRecord[]>("GET", "/containers?all=1");
  const fresh = all.filter((r) => !known.has(r.id));
  const creators = workers.filter((w) => w.interrupted?.op === "create");
  expect(fresh.length, `${label}: containers no acknowledged create made`).toBeLessThanOrEqual(
    creators.length,
  );
  for (const [i, r] of fresh.entries()) {
    const w = creators[i]!;
    known.add(r.id);
    w.ids.add(r.id);
    expect((await history(c, r.id)).map(named), `${label}: unacknowledged create`).toEqual([
      "create",
    ]);
    expect(r.state, `${label}: unacknowledged create`).toBe("configured");
    w.ctr = { model: created(r.id), journal: ["create"] };
  }
  for (const w of creators) w.interrupted = undefined;
}

/**
 * After the restart: checks a worker's container against what it had
 * acknowledged and what the interrupted operation may have done, then
 * adopts the recovered state for the next trial.
 */
async function recover(c: BerthClient, w: Worker, label: string) {
  const interrupted = w.interrupted;
  w.interrupted = undefined;
  if (!w.ctr) return;
  const { model } = w.ctr;
  const live = await c.call<ContainerRecord>("GET", `/containers/${model.id}`);
  const events = await history(c, model.id);
  const actual = events.map(named);
  // Everything acknowledged is in the journal, exactly as the model predicted it, in order.
  expect(actual.slice(0, w.ctr.journal.length), `${label}: acknowledged journal`).toEqual(
    w.ctr.journal,
  );
  let allowed: string[] = [model.state];
  if (interrupted?.op === "wait") allowed = [model.state, "exited"];
  else if (interrupted?.before && interrupted.op !== "create") {
    allowed = interruptedStates(interrupted.before, interrupted.op);
  }
  expect(
    allowed,
    `${label}: state after ${interrupted?.op ?? "no operation"} was cut off`,
  ).toContain(live.state);
  if (live.state === "exited" && actual.length > w.ctr.journal.length) {
    // A death the journal learned after the restart carries the exit code conmon wrote.
    const late = events.slice(w.ctr.journal.length).filter((e) => e.type.endsWith(".died"));
    const tail = actual.slice(w.ctr.journal.length).join(" ");
    for (const d of late) {
      expect(d.data.exitCode, `${label}: late death after ${interrupted?.op}: ${tail}`).toBe(
        KILLED,
      );
    }
  }
  w.ctr =
    live.state === "removed"
      ? undefined
      : {
          model: {
            id: live.id,
            state: live.state as ModelContainer["state"],
            mounts: live.mountCount,
            ...(live.exitCode === undefined ? {} : { exitCode: live.exitCode }),
          },
          journal: actual,
        };
}

describe(`crash recovery (seed ${SEED})`, () => {
  it("loses no acknowledged answer and leaves what the model allows after SIGKILL in the middle of each kind of operation", async () => {
    const random = prng(SEED);
    const crash: { killing: boolean; want?: Target; onInFlight?: (t: Target) => void } = {
      killing: false,
    };
    const workers = Array.from({ length: WORKERS }, () => new Worker(random, crash));
    const known = new Set<string>();
    let total = 0;
    for (const [trial, target] of TARGETS.entries()) {
      const label = `trial ${trial} (SIGKILL during ${target})`;
      crash.killing = false;
      crash.want = undefined;
      const acksBefore = workers.reduce((n, w) => n + w.acks, 0);
      const running = workers.map((w) => w.run(client()));
      // Let the workload run a while, then kill the daemon shortly after a worker sends the target.
      await new Promise((r) => setTimeout(r, 150 + random() * 350));
      const ackedNow = () => workers.reduce((n, w) => n + w.acks, 0) - acksBefore;
      await until(
        () => ackedNow() >= MIN_ACKS_PER_TRIAL || workers.some((w) => w.failure),
        15_000,
        () => `${label}: ${MIN_ACKS_PER_TRIAL} acknowledged answers (got ${ackedNow()})`,
      );
      const inFlight = new Promise<void>((resolve) => {
        crash.onInFlight = (t) => {
          if (t !== target) return;
          crash.onInFlight = undefined;
          setTimeout(resolve, random() * 15);
        };
      });
      crash.want = target;
      const timedOut = await Promise.race([
        inFlight.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), 15_000)),
      ]);
      crash.killing = true;
      await berth.kill("SIGKILL");
      await Promise.all(running);
      for (const w of workers) if (w.failure) throw w.failure;
      expect(timedOut, `${label}: no worker sent ${target} within 15 s`).toBe(false);
      const acked = workers.reduce((n, w) => n + w.acks, 0) - acksBefore;
      expect(acked, `${label}: acknowledged answers before the kill`).toBeGreaterThanOrEqual(
        MIN_ACKS_PER_TRIAL,
      );
      total += acked;
      for (const w of workers) for (const id of w.ids) known.add(id);

      await berth.start();
      const c = client();
      await adoptCreated(c, workers, known, label);

      // Reconcile runs in the background after start: every record must come to agree with runc.
      const records = async () =>
        Promise.all([...known].map((id) => c.call<ContainerRecord>("GET", `/containers/${id}`)));
      let disagreement = "";
      await until(
        async () => {
          for (const r of await records()) {
            const runc = await runcState(berth.root, r.id);
            disagreement = `${r.id.slice(0, 12)} is ${r.state} (pid ${r.pid}) in berth, ${runc.status} (pid ${runc.pid}) in runc`;
            if (RUNC_STATUS[r.state as ModelContainer["state"]] !== runc.status) return false;
            // The same status is not enough: it must be the process the journal recorded.
            if (runc.status !== "absent" && runc.pid !== r.pid) return false;
          }
          return true;
        },
        20_000,
        () => `${label}: records and runc to agree (${disagreement})`,
      );
      for (const w of workers) await recover(c, w, label);
      // No runtime container without a live record; no mount left behind by a removed container.
      const list = await execa("runc", ["--root", `${berth.root}/runc`, "list", "-q"]);
      const live = new Set(
        (await records())
          .filter((r) => RUNC_STATUS[r.state as ModelContainer["state"]] !== "absent")
          .map((r) => r.id),
      );
      expect(list.stdout.split("\n").filter(Boolean).sort(), `${label}: runc's containers`).toEqual(
        [...live].sort(),
      );
      for (const r of await records()) {
        if (r.state === "removed")
          expect(await mountsOf(r.id), `${label}: mounts of removed ${r.id.slice(0, 12)}`).toEqual(
            [],
          );
        const events = await history(c, r.id);
        expect(
          events.map((e) => e.version),
          `${label}: gapless versions`,
        ).toEqual(events.map((_, i) => i + 1));
        expect(replay(events), `${label}: projection = fold of the journal`).toEqual(r);
      }
      // The recovered states are the next trial's starting point.
      for (const w of workers) {
        if (!w.ctr) continue;
        const r = await c.call<ContainerRecord>("GET", `/containers/${w.ctr.model.id}`);
        if (r.state === "removed") w.ctr = undefined;
        else {
          w.ctr.model = {
            id: r.id,
            state: r.state as ModelContainer["state"],
            mounts: r.mountCount,
            ...(r.exitCode === undefined ? {} : { exitCode: r.exitCode }),
          };
          w.ctr.journal = (await history(c, r.id)).map(named);
        }
      }
      expect((await berth.cli("replay", "--verify")).stdout).toContain(
        "projections match the journal",
      );
      expect((await berth.cli("audit", "verify")).code).toBe(0);
    }
    expect(total).toBeGreaterThanOrEqual(TARGETS.length * MIN_ACKS_PER_TRIAL);
  }, 300_000);
});
