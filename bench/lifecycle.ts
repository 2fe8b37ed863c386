/**
 * A whole container lifecycle through berth's API against the floor: the same
 * conmon + runc + overlay calls made directly, with no manager and no journal.
 * Both run in the same process run, on the same image, interleaved.
 *
 *   npm run bench            (BENCH_ROUNDS=N to change the sample count)
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { BerthClient } from "../src/client/index.js";
import { ExitMonitor, LinuxRuntime, type ContainerSpec } from "../src/effects/index.js";
import { busyboxTar, cleanRoot, startBerth, storeBusybox, tempDir } from "../src/harness/index.js";
import { DEFAULT_SANDBOX, type ContainerRecord, type ImagePin } from "../src/machines/index.js";
import { median, printTable, timed } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
/** Stopped with SIGKILL at once (berth: stop -t 0), so stop measures the runtime, not a grace period. */
const COMMAND = ["sleep", "1000"];

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
  await timed(samples, "stop", async () => {
    await rt.kill(id, "SIGKILL");
    if (!(await exits.waitFor(id, 10_000))) throw new Error("floor container did not exit");
    await rt.delete(id);
    await rt.unmount(id);
  });
  await timed(samples, "rm", () => rt.removeFiles(id));
  samples.set("lifecycle", [...(samples.get("lifecycle") ?? []), performance.now() - t0]);
}

async function berthRound(client: BerthClient, samples: Map<string, number[]>) {
  const t0 = performance.now();
  const r = await timed(samples, "create", () =>
    client.call<ContainerRecord>("POST", "/containers", { image: "busybox", command: COMMAND }),
  );
  await timed(samples, "start", () => client.call("POST", `/containers/${r.id}/start`, {}));
  await timed(samples, "stop", () =>
    client.call("POST", `/containers/${r.id}/stop`, { timeout: 0 }),
  );
  await timed(samples, "rm", () => client.call("DELETE", `/containers/${r.id}`));
  samples.set("lifecycle", [...(samples.get("lifecycle") ?? []), performance.now() - t0]);
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
  try {
    // One warm-up round each, not counted.
    await floorRound(rt, exits, new Map(), pin);
    await berthRound(client, new Map());
    for (let i = 0; i < ROUNDS; i++) {
      await floorRound(rt, exits, floor, pin);
      await berthRound(client, managed);
    }
  } finally {
    await exits.close();
    await cleanRoot(floorRoot);
    await berth.stop();
  }
  process.stdout.write(
    `\nberth lifecycle vs floor (conmon + runc direct), ${ROUNDS} rounds, medians in ms\n`,
  );
  process.stdout.write(
    "floor: create = nothing; start = overlay + bundle + conmon/runc create + runc start;\n",
  );
  process.stdout.write(
    "       stop = SIGKILL + exit file + runc delete + unmount; rm = remove files\n",
  );
  process.stdout.write(
    "berth: the same calls behind the HTTP API, each transition journaled with fsync\n\n",
  );
  const rows = ["create", "start", "stop", "rm", "lifecycle"].map((op) => {
    const f = median(floor.get(op) ?? []);
    const b = median(managed.get(op) ?? []);
    return [op, f.toFixed(1), b.toFixed(1), op === "create" ? "-" : (b / f).toFixed(2)];
  });
  printTable(["operation", "floor", "berth", "ratio"], rows);
  const ratio = median(managed.get("lifecycle") ?? []) / median(floor.get("lifecycle") ?? []);
  process.stdout.write(
    `\nfull lifecycle ratio ${ratio.toFixed(2)} (target <= 1.30): ${ratio <= 1.3 ? "met" : "NOT met"}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
