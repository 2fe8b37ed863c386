/**
 * Where the time of one pause, unpause and kill goes: the same operation timed
 * at three depths in one process, interleaved. `runtime` is the runc call
 * alone (LinuxRuntime on a container of its own root, the floor of
 * bench/lifecycle); `service` is ContainerService.command (queue, machine,
 * intent and outcome journaled with fsync, the runc call); `http` is the
 * same through the API socket. The journal's appends are timed during the
 * service runs, and this process's CPU per operation is read from
 * process.cpuUsage around each. Then containers that end on their own time
 * the path from conmon's exit file (its mtime) to `wait` answering, next to
 * the exit monitor's own latency on the floor's root.
 *
 *   npm run bench:breakdown    (BENCH_ROUNDS=N rounds of each operation)
 */
import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { BerthClient } from "../src/client/index.js";
import { startDaemon } from "../src/daemon/index.js";
import { ExitMonitor, LinuxRuntime } from "../src/effects/index.js";
import { busyboxTar, CLI, cleanRoot, storeBusybox, tempDir } from "../src/harness/index.js";
import type { ContainerRecord, ImagePin, RequestMeta } from "../src/machines/index.js";
import { LevelJournal } from "../src/store/index.js";
import { median, printTable } from "./stats.js";
import { COMMAND } from "./berth-round.js";
import { floorSpec } from "./floor-spec.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const EXIT_ROUNDS = Number(process.env.BENCH_EXIT_ROUNDS ?? 20);
/** Ends on its own, so its exit file is conmon's doing, not a request's. */
const SHORT = ["sh", "-c", "sleep 0.2"];
type Op = "pause" | "unpause";
const OPS: Op[] = ["pause", "unpause"];

/** Durations of every journal append while `recording` is set. */
const appends: number[] = [];
let recording = false;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with its own `this`
const append = LevelJournal.prototype.append;
LevelJournal.prototype.append = async function (this: LevelJournal, ...args) {
  const t0 = performance.now();
  try {
    return await append.apply(this, args);
  } finally {
    if (recording) appends.push(performance.now() - t0);
  }
};

/** Wall-clock now in ms with sub-ms precision, comparable with a file's mtimeMs. */
const wallNow = () => performance.timeOrigin + performance.now();

/**
 * From conmon writing a container's exit file to `wait` answering, by default
 * and with `--condition exited` (after the cleanup); and the exit monitor's own
 * latency on the floor's root, which both sides share.
 */
async function exitLatency(
  client: BerthClient,
  root: string,
  rt: LinuxRuntime,
  floorRoot: string,
  imagePin: ImagePin,
  add: (key: string, ms: number) => void,
) {
  const exits = new ExitMonitor({ root: floorRoot });
  try {
    for (let i = 0; i < EXIT_ROUNDS; i++) {
      const r = await client.call<ContainerRecord>("POST", "/containers", {
        image: "busybox",
        command: SHORT,
      });
      const at = `/containers/${r.id}`;
      await client.call("POST", `${at}/start`, {});
      await client.call("POST", `${at}/wait`);
      const answered = wallNow();
      await client.call("POST", `${at}/wait?condition=exited`);
      const cleaned = wallNow();
      const written = (await stat(join(root, "exits", r.id))).mtimeMs;
      add("exit:wait", answered - written);
      add("exit:exited", cleaned - written);
      await client.call("DELETE", at);

      const spec = { ...floorSpec(imagePin), command: SHORT };
      await rt.prepare(spec);
      await rt.create(spec);
      await rt.start(spec.id);
      if (!(await exits.waitFor(spec.id, 10_000))) throw new Error("floor container did not exit");
      const seen = wallNow();
      add("exit:monitor", seen - (await stat(join(floorRoot, "exits", spec.id))).mtimeMs);
      await rt.delete(spec.id);
      await rt.unmount(spec.id);
      await rt.removeFiles(spec.id);
    }
  } finally {
    await exits.close();
  }
}

const meta = (): RequestMeta => ({ actor: "uid:0", requestId: randomBytes(8).toString("hex") });

async function main() {
  const dir = await tempDir("berth-bench-breakdown-");
  const root = join(dir, "root");
  const socket = join(dir, "berth.sock");
  const daemon = await startDaemon({
    root,
    socket,
    host: "breakdown",
    version: "bench",
    defaultNetwork: "none",
  });
  const floorRoot = join(dir, "floor");
  const rt = new LinuxRuntime({ root: floorRoot });
  let floorId = "";
  const samples = new Map<string, number[]>();
  const add = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
  const appendsPerOp: number[] = [];
  try {
    await execa("node", [CLI, "image", "import", busyboxTar(), "busybox"], {
      env: { BERTH_SOCKET: socket },
    });
    const client = new BerthClient({ socketPath: socket });
    const r = await client.call<ContainerRecord>("POST", "/containers", {
      image: "busybox",
      command: COMMAND,
    });
    await client.call("POST", `/containers/${r.id}/start`, {});
    const pin = await storeBusybox(floorRoot);
    const spec = floorSpec(pin);
    floorId = spec.id;
    await rt.prepare(spec);
    await rt.create(spec);
    await rt.start(floorId);

    const runtime = { pause: () => rt.pause(floorId), unpause: () => rt.resume(floorId) };
    const type = { pause: "PAUSE", unpause: "UNPAUSE" } as const;
    const depths: Record<string, (op: Op) => Promise<unknown>> = {
      runtime: (op) => runtime[op](),
      service: async (op) => {
        const before = appends.length;
        recording = true;
        await daemon.service.command(r.id, { type: type[op] }, meta());
        recording = false;
        appendsPerOp.push(appends.length - before);
      },
      http: (op) => client.call("POST", `/containers/${r.id}/${op}`, {}),
    };
    const names = Object.keys(depths);
    for (let i = 0; i < ROUNDS + 2; i++) {
      // Rotating order, so no depth always runs right after another warmed the machine.
      for (let j = 0; j < names.length; j++) {
        const name = names[(i + j) % names.length]!;
        for (const op of OPS) {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          await depths[name]!(op);
          const c = process.cpuUsage(c0);
          // Two warm-up rounds are not counted.
          if (i < 2) continue;
          add(`${name}:${op}`, performance.now() - t0);
          add(`cpu:${name}:${op}`, (c.user + c.system) / 1000);
        }
      }
    }
    await client.call("DELETE", `/containers/${r.id}?force=true`);
    await exitLatency(client, root, rt, floorRoot, pin, add);
  } finally {
    await rt.kill(floorId, "SIGKILL").catch(() => undefined);
    await new Promise((res) => setTimeout(res, 200));
    await rt.delete(floorId).catch(() => undefined);
    await rt.unmount(floorId).catch(() => undefined);
    await daemon.close();
    await cleanRoot(floorRoot);
    await cleanRoot(root);
  }
  const m = (key: string) => median(samples.get(key) ?? []);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`\nwhere an operation's time goes, ${ROUNDS} rounds, medians in ms\n`);
  printTable(
    ["operation", "runtime", "service", "http", "service - runtime", "http - service"],
    OPS.map((op) => [
      op,
      m(`runtime:${op}`).toFixed(2),
      m(`service:${op}`).toFixed(2),
      m(`http:${op}`).toFixed(2),
      (m(`service:${op}`) - m(`runtime:${op}`)).toFixed(2),
      (m(`http:${op}`) - m(`service:${op}`)).toFixed(2),
    ]),
  );
  say("\nthis process's CPU (user + system, all threads) per operation, medians in ms\n");
  printTable(
    ["operation", "runtime", "service", "http (client too)", "service - runtime"],
    OPS.map((op) => [
      op,
      m(`cpu:runtime:${op}`).toFixed(2),
      m(`cpu:service:${op}`).toFixed(2),
      m(`cpu:http:${op}`).toFixed(2),
      (m(`cpu:service:${op}`) - m(`cpu:runtime:${op}`)).toFixed(2),
    ]),
  );
  say(`\nfrom conmon's exit file to the answer, ${EXIT_ROUNDS} containers, medians in ms\n`);
  printTable(
    ["exit monitor (floor)", "wait", "wait --condition exited"],
    [[m("exit:monitor").toFixed(2), m("exit:wait").toFixed(2), m("exit:exited").toFixed(2)]],
  );
  say(
    `\njournal appends per operation: ${median(appendsPerOp)}, each a synced batch of median ${median(appends).toFixed(2)} ms`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
