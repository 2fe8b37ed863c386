/**
 * The process runner the daemon's effects use unless given another: the spawn
 * broker, which falls back to execa by itself when its binary is not built.
 * BERTH_SPAWN=execa chooses execa outright (to compare the two, or to rule the broker out).
 */
import { ExecaRunner } from "./execa-runner.js";
import type { ProcessRunner } from "./process-runner.js";
import { SpawnBroker } from "./spawn-broker.js";

let shared: ProcessRunner | undefined;

/** The process-wide runner, made on first use. */
export function defaultRunner(): ProcessRunner {
  shared ??= process.env.BERTH_SPAWN === "execa" ? new ExecaRunner() : new SpawnBroker();
  return shared;
}
