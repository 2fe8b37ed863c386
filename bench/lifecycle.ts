/**
 * A whole container lifecycle (issue 15's: create, start, pause, unpause,
 * kill, wait, rm) through berth's API against the floor: the same conmon +
 * runc + overlay calls made directly, with no manager and no journal; and,
 * when podman is on the PATH, through Podman's API (`podman system service`,
 * podman-service.ts). All run in the same process run, on the same image,
 * interleaved in rounds whose order rotates; then each at concurrency 8 (the
 * floor as 8 parallel drivers), in rotating order too.
 *
 * No side has a network: berth's bench daemon defaults to none (the harness
 * starts it so, and the bench creates with no network flags), the floor's
 * bundle keeps runc's fresh namespace, and Podman is asked for none, so a
 * bridge (netavark) is in no column.
 *
 *   npm run bench    (BENCH_ROUNDS=N rounds, BENCH_C8_ROUNDS=N batches of 8 drivers)
 */
import { Agent } from "node:http";
import { join } from "node:path";
import { BerthClient } from "../src/client/index.js";
import { ExitMonitor, LinuxRuntime } from "../src/effects/index.js";
import { busyboxTar, cleanRoot, startBerth, storeBusybox, tempDir } from "../src/harness/index.js";
import type { ImagePin } from "../src/machines/index.js";
import { berthRound, COMMAND } from "./berth-round.js";
import { floorSpec } from "./floor-spec.js";
import { podmanOrReason, type Podman } from "./podman-service.js";
import { median, printTable, timed } from "./stats.js";
import { unixCall, type UnixServer } from "./unix-http.js";

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
  const spec = floorSpec(imagePin);
  const { id } = spec;
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

/**
 * Podman's native libpod API rather than its Docker-compatible one: this is
 * Podman at its best, with no translation layer between the request and
 * libpod (bench/docker-api.ts measures the compatible one).
 */
const LIBPOD = "/v4.0.0/libpod/containers";
const PODMAN_CREATE = JSON.stringify({
  image: "busybox",
  command: COMMAND,
  netns: { nsmode: "none" },
});

async function podmanRound(server: UnixServer, samples: Map<string, number[]>) {
  const t0 = performance.now();
  const created = await timed(samples, "create", () =>
    unixCall(server, "POST", `${LIBPOD}/create`, PODMAN_CREATE),
  );
  const at = `${LIBPOD}/${(JSON.parse(created.body) as { Id: string }).Id}`;
  await timed(samples, "start", () => unixCall(server, "POST", `${at}/start`));
  await timed(samples, "pause", () => unixCall(server, "POST", `${at}/pause`));
  await timed(samples, "unpause", () => unixCall(server, "POST", `${at}/unpause`));
  await timed(samples, "kill", () => unixCall(server, "POST", `${at}/kill?signal=SIGKILL`));
  // Libpod's wait polls the container's state every 250 ms unless the client passes `interval`;
  // left at that default, which is what a client that does not ask for less gets.
  const waited = await timed(samples, "wait", () => unixCall(server, "POST", `${at}/wait`));
  // A wait that returned early would make the rm that follows time a kill.
  if (Number(waited.body) !== 137) throw new Error(`podman: wait gave ${waited.body}, not 137`);
  await timed(samples, "rm", () => unixCall(server, "DELETE", at));
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

/** One column of the bench: how it runs a lifecycle, and what it measured. */
interface Side {
  label: string;
  round: (samples: Map<string, number[]>) => Promise<void>;
  samples: Map<string, number[]>;
  rates: number[];
}

/** The sides in round `i`'s order: rotated by one each round, so each goes first, middle, last in turn. */
function rotated(sides: Side[], i: number): Side[] {
  const k = i % sides.length;
  return [...sides.slice(k), ...sides.slice(0, k)];
}

async function main() {
  const floorRoot = join(await tempDir("berth-bench-floor-"), "root");
  const rt = new LinuxRuntime({ root: floorRoot });
  const exits = new ExitMonitor({ root: floorRoot });
  const pin = await storeBusybox(floorRoot);
  const berth = await startBerth({ host: "bench" });
  let podman: Podman | string = "not started";
  const side = (label: string, round: Side["round"]): Side => ({
    label,
    round,
    samples: new Map(),
    rates: [],
  });
  try {
    await berth.ok("image", "import", busyboxTar(), "busybox");
    const client = new BerthClient({ socketPath: berth.socket });
    podman = await podmanOrReason();
    const sides = [
      side("floor", (m) => floorRound(rt, exits, m, pin)),
      side("berth", (m) => berthRound(client, m)),
    ];
    if (typeof podman !== "string") {
      const server = {
        label: "podman",
        socket: podman.socket,
        agent: new Agent({ keepAlive: true }),
      };
      sides.push(side("podman", (m) => podmanRound(server, m)));
    }
    // One warm-up round each, not counted.
    for (const s of sides) await s.round(new Map());
    for (let i = 0; i < ROUNDS; i++) for (const s of rotated(sides, i)) await s.round(s.samples);
    for (let i = 0; i < C8_ROUNDS; i++)
      for (const s of rotated(sides, i)) s.rates.push(await throughput(() => s.round(new Map())));
    report(sides, podman);
  } finally {
    if (typeof podman !== "string") await podman.stop();
    await exits.close();
    await cleanRoot(floorRoot);
    await berth.stop();
  }
}

function report(sides: Side[], podman: Podman | string) {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const [floor, berth, pod] = sides as [Side, Side, Side | undefined];
  const med = (s: Side, op: string) => median(s.samples.get(op) ?? []);
  say(`\nlifecycle: floor (conmon + runc direct), berth, Podman; ${ROUNDS} rounds, medians in ms`);
  say("floor: create = nothing; start = overlay + bundle + conmon/runc create + runc start;");
  say("       pause/unpause/kill = runc; wait = the exit file; rm = runc delete + unmount + files");
  say("berth: the same calls behind the HTTP API, each transition journaled with fsync");
  say(
    typeof podman === "string"
      ? `podman: skipped, ${podman}\n`
      : `podman: ${podman.version}, runtime ${podman.runtime}, libpod API, network none;\n` +
          "        wait polls the state every 250 ms (libpod's default interval)\n",
  );
  const rows = OPS.map((op) => {
    const f = med(floor, op);
    const b = med(berth, op);
    const ratio = (x: number) => (op === "create" ? "-" : (x / f).toFixed(2));
    const p = pod === undefined ? [] : [med(pod, op).toFixed(1)];
    const pRatio = pod === undefined ? [] : [ratio(med(pod, op))];
    return [op, f.toFixed(1), b.toFixed(1), ...p, (b - f).toFixed(1), ratio(b), ...pRatio];
  });
  printTable(
    pod === undefined
      ? ["operation", "floor", "berth", "berth-floor", "berth/floor"]
      : ["operation", "floor", "berth", "podman", "berth-floor", "berth/floor", "podman/floor"],
    rows,
  );
  say(
    `\nconcurrency ${DRIVERS}, ${C8_ROUNDS} batches of ${DRIVERS * PER_DRIVER} lifecycles, median lifecycles/s\n`,
  );
  const rate = (s: Side) => median(s.rates);
  const floorRate = rate(floor);
  const berthRate = rate(berth);
  printTable(
    pod === undefined
      ? ["", "floor", "berth", "berth/floor"]
      : ["", "floor", "berth", "podman", "berth/floor", "podman/floor"],
    [
      [
        "lifecycles/s",
        floorRate.toFixed(1),
        berthRate.toFixed(1),
        ...(pod === undefined ? [] : [rate(pod).toFixed(1)]),
        (berthRate / floorRate).toFixed(2),
        ...(pod === undefined ? [] : [(rate(pod) / floorRate).toFixed(2)]),
      ],
    ],
  );
  const ratio = med(berth, "lifecycle") / med(floor, "lifecycle");
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
