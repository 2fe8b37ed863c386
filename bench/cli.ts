/**
 * CLI start-up: `berth --version`, `ps`, `inspect C` and `create IMAGE` next to
 * a bare `node -e 0`, in the same run, against a real daemon. Rounds are
 * interleaved (each round runs every command once, in an order that rotates),
 * so a busy machine slows every command alike. A second floor, node making
 * one request to the daemon, shows what any verb that asks the daemon costs
 * before berth's own code. Target: each verb within `node -e 0` + 40 ms.
 *
 *   npm run bench:cli        (BENCH_ROUNDS=N to change the sample count)
 */
import { spawnSync } from "node:child_process";
import { busyboxTar, CLI, startBerth } from "../src/harness/index.js";
import { median, printTable } from "./stats.js";

const RUNS = Number(process.env.BENCH_ROUNDS ?? 20);
const TARGET_MS = 40;
const ONE_REQUEST = `require("node:http").request({ socketPath: process.env.BERTH_SOCKET, path: "/containers?all=1" }, (res) => res.resume()).end();`;

interface Command {
  label: string;
  args: string[];
}

function timeOnce(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync("node", args, { stdio: ["ignore", "ignore", "pipe"], env });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

async function main() {
  const berth = await startBerth({ host: "bench" });
  try {
    await berth.ok("image", "import", busyboxTar(), "busybox");
    const id = (await berth.ok("create", "--name", "bench-inspect", "busybox", "true")).trim();
    const commands: Command[] = [
      { label: "node -e 0", args: ["-e", "0"] },
      // A second floor for the verbs that ask the daemon: node with nothing but one GET on the
      // socket, through node:http as a plain script would (the CLI's own path is lighter).
      { label: "node, one request", args: ["-e", ONE_REQUEST] },
      { label: "berth --version", args: [CLI, "--version"] },
      { label: "berth ps -a", args: [CLI, "ps", "-a"] },
      { label: "berth inspect C", args: [CLI, "inspect", id.slice(0, 12)] },
      { label: "berth create busybox", args: [CLI, "create", "busybox", "true"] },
    ];
    const env = { ...process.env, BERTH_SOCKET: berth.socket };
    // One warm-up round, not counted: the first runs fill the page cache.
    for (const c of commands) timeOnce(c.args, env);
    const samples = new Map<string, number[]>(commands.map((c) => [c.label, []]));
    for (let round = 0; round < RUNS; round++) {
      for (let i = 0; i < commands.length; i++) {
        const c = commands[(round + i) % commands.length]!;
        samples.get(c.label)!.push(timeOnce(c.args, env));
      }
    }
    const floor = median(samples.get("node -e 0")!);
    const rows = commands.map((c) => {
      const m = median(samples.get(c.label)!);
      return [c.label, m.toFixed(1), (m / floor).toFixed(2), `+${(m - floor).toFixed(1)}`];
    });
    process.stdout.write(`\nCLI start-up, ${RUNS} interleaved rounds, medians in ms\n\n`);
    printTable(["command", "median", "ratio", "vs node"], rows);
    const worst = Math.max(...commands.slice(2).map((c) => median(samples.get(c.label)!)));
    process.stdout.write(
      `\nslowest verb node -e 0 +${(worst - floor).toFixed(1)} ms (target +${TARGET_MS}): ${worst - floor <= TARGET_MS ? "met" : "NOT met"}\n`,
    );
  } finally {
    await berth.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
