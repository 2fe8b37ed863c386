/**
 * The process runner contract against both adapters: the posix_spawn broker
 * (dist/native/berth-spawn, from `npm run build`) and execa.
 */
import { existsSync } from "node:fs";
import { ExecaRunner } from "../../src/effects/execa-runner.js";
import type { ProcessRunner } from "../../src/effects/process-runner.js";
import { defaultBrokerBinary, SpawnBroker } from "../../src/effects/spawn-broker.js";
import { runnerContract } from "../support/runner-contract.js";

/** A fallback that fails the test: the broker's run of the contract must not quietly use execa. */
const noFallback: ProcessRunner = {
  run: (file) => Promise.reject(new Error(`the broker fell back to another runner for ${file}`)),
};

runnerContract("spawn broker", () => {
  const binary = defaultBrokerBinary();
  if (binary === undefined || !existsSync(binary))
    throw new Error(`${binary ?? "dist/native/berth-spawn"} is missing: run "npm run build" first`);
  const broker = new SpawnBroker({ binary, fallback: noFallback });
  return Promise.resolve({ runner: broker, cleanup: () => broker.close() });
});

runnerContract("execa", () =>
  Promise.resolve({ runner: new ExecaRunner(), cleanup: () => Promise.resolve() }),
);
