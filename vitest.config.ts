import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Integration tests mostly wait on runc, conmon and nats-server: three files at once on two
    // CPUs took the suite from 493 s to 377 s with no failure (measured 2026-12-01).
    maxWorkers: 3,
  },
});
