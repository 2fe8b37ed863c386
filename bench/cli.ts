/**
 * CLI start-up: `berth --version` against a bare `node -e ""` in the same run.
 * The CLI runs as compiled JavaScript with lazy imports; the target is 150 ms.
 *
 *   npm run bench:cli
 */
import { spawnSync } from "node:child_process";
import { CLI } from "../src/harness/index.js";
import { median, printTable } from "./stats.js";

const RUNS = Number(process.env.BENCH_ROUNDS ?? 20);

function time(args: string[]): number[] {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync("node", args, { stdio: "ignore" });
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}`);
    samples.push(performance.now() - t0);
  }
  return samples;
}

const floor = median(time(["-e", ""]));
const version = median(time([CLI, "--version"]));
printTable(
  ["command", `median ms (${RUNS} runs)`, "ratio"],
  [
    ['node -e ""', floor.toFixed(1), "1.00"],
    ["berth --version", version.toFixed(1), (version / floor).toFixed(2)],
  ],
);
process.stdout.write(
  `\ntarget: berth --version <= 150 ms: ${version <= 150 ? "met" : "NOT met"}\n`,
);
