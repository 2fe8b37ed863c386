/**
 * A whole container lifecycle (issue 15's: create, start, pause, unpause,
 * kill, wait, rm) through berth's API against the floor: the same conmon +
 * runc + overlay calls made directly, with no manager and no journal. Both
 * run in the same process run, on the same image, interleaved; then each at
 * concurrency 8 (the floor as 8 parallel drivers), alternating.
 *
 *   npm run bench    (BENCH_ROUNDS=N rounds, BENCH_C8_ROUNDS=N batches of 8 drivers)
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { BerthClient } from "../src/client/index.js";
import { ExitMonitor, LinuxRuntime, type ContainerSpec } from "../src/effects/index.js";
import { busyboxTar, cleanRoot, startBerth, storeBusybox, tempDir } from "../src/harness/index.js";
import { DEFAULT_SANDBOX, type ImagePin } from "../src/machines/index.js";
import { berthRound, COMMAND } from "./berth-round.js";
import { median, printTable, timed } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const C8_ROUNDS = Number(process.env.BENCH_C8_ROUNDS ?? 3);
/** Parallel drivers, and lifecycles each driver runs per batch. */
const DRIVERS = 8;
const PER_DRIVER = 3;
const OPS = ["create", "start", "pause", "unpause", "kill", "wait", "rm", "lifecycle"];

async function floorRound(
  rt: LinuxRuntime,
  exits: ExitMonitor,
  samples: Map<string, number[]>,
  imagePin: ImagePin,
) {
  const id = randomBytes(32).toString("hex");
  const spec: ContainerSpec = {
    id,
    name: `f${id.slice(0, 8)}`,
    image: "busybox",
    command: COMMAND,
    stopSignal: "SIGTERM",
    stopTimeout: 10,
    terminal: false,
    stdin: false,
    sandbox: DEFAULT_SANDBOX,
    imagePin,
  };
  const t0 = performance.now();
  await timed(samples, "create", () => Promise.resolve());
  await timed(samples, "start", async () => {
    await rt.prepare(spec);
    await rt.create(spec);
    await rt.start(id);
  });
  await timed(samples, "pause", () => rt.pause(id));
  await timed(samples, "unpause", () => rt.resume(id));
  await timed(samples, "kill", () => rt.kill(id, "SIGKILL"));
  await timed(samples, "wait", async () => {
    if (!(await exits.waitFor(id, 10_000))) throw new Error("floor container did not exit");
  });
  await timed(samples, "rm", async () => {
    await rt.delete(id);
    await rt.unmount(id);
    await rt.removeFiles(id);
  });
  samples.set("lifecycle", [...(samples.get("lifecycle") ?? []), performance.now() - t0]);
}

/** Lifecycles per second of DRIVERS parallel drivers, each running PER_DRIVER rounds. */
async function throughput(round: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: DRIVERS }, async () => {
      for (let i = 0; i < PER_DRIVER; i++) await round();
    }),
  );
  return (DRIVERS * PER_DRIVER) / ((performance.now() - t0) / 1000);
}

async function main() {
  const floorRoot = join(await tempDir("berth-bench-floor-"), "root");
  const rt = new LinuxRuntime({ root: floorRoot });
  const exits = new ExitMonitor({ root: floorRoot });
  const pin = await storeBusybox(floorRoot);
  const berth = await startBerth({ host: "bench" });
  await berth.ok("image", "import", busyboxTar(), "busybox");
  const client = new BerthClient({ socketPath: berth.socket });
  const floor = new Map<string, number[]>();
  const managed = new Map<string, number[]>();
  const rates = { floor: [] as number[], berth: [] as number[] };
  try {
    // One warm-up round each, not counted.
    await floorRound(rt, exits, new Map(), pin);
    await berthRound(client, new Map());
    for (let i = 0; i < ROUNDS; i++) {
      // The order alternates, so neither side always runs on a machine the other just warmed.
      if (i % 2 === 0) {
        await floorRound(rt, exits, floor, pin);
        await berthRound(client, managed);
      } else {
        await berthRound(client, managed);
        await floorRound(rt, exits, floor, pin);
      }
    }
    for (let i = 0; i < C8_ROUNDS; i++) {
      rates.floor.push(await throughput(() => floorRound(rt, exits, new Map(), pin)));
      rates.berth.push(await throughput(() => berthRound(client, new Map())));
    }
  } finally {
    await exits.close();
    await cleanRoot(floorRoot);
    await berth.stop();
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`\nberth lifecycle vs floor (conmon + runc direct), ${ROUNDS} rounds, medians in ms`);
  say("floor: create = nothing; start = overlay + bundle + conmon/runc create + runc start;");
  say("       pause/unpause/kill = runc; wait = the exit file; rm = runc delete + unmount + files");
  say("berth: the same calls behind the HTTP API, each transition journaled with fsync\n");
  const rows = OPS.map((op) => {
    const f = median(floor.get(op) ?? []);
    const b = median(managed.get(op) ?? []);
    return [
      op,
      f.toFixed(1),
      b.toFixed(1),
      (b - f).toFixed(1),
      op === "create" ? "-" : (b / f).toFixed(2),
    ];
  });
  printTable(["operation", "floor", "berth", "berth - floor", "ratio"], rows);
  say(
    `\nconcurrency ${DRIVERS}, ${C8_ROUNDS} batches of ${DRIVERS * PER_DRIVER} lifecycles, median lifecycles/s\n`,
  );
  const floorRate = median(rates.floor);
  const berthRate = median(rates.berth);
  printTable(
    ["", "floor", "berth", "berth/floor"],
    [
      [
        "lifecycles/s",
        floorRate.toFixed(1),
        berthRate.toFixed(1),
        (berthRate / floorRate).toFixed(2),
      ],
    ],
  );
  const ratio = median(managed.get("lifecycle") ?? []) / median(floor.get("lifecycle") ?? []);
  const share = berthRate / floorRate;
  say(
    `\nsequential lifecycle ${ratio.toFixed(2)}x the floor (target <= 1.5): ${ratio <= 1.5 ? "met" : "NOT met"}`,
  );
  say(
    `concurrency ${DRIVERS}: ${(share * 100).toFixed(0)}% of the floor's throughput (target >= 75%): ${share >= 0.75 ? "met" : "NOT met"}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
