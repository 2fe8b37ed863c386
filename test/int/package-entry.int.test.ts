/**
 * The package's two entries, as a program that depends on berth imports them:
 * by name, through package.json's exports, from the compiled dist/.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/harness/index.js";

/** The names a specifier exports, read by a separate node process that imports it by package name. */
async function exportsOf(specifier: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `console.log(JSON.stringify(Object.keys(await import("${specifier}"))))`,
    ],
    { cwd: repoRoot() },
  );
  return JSON.parse(stdout) as string[];
}

describe("package entries", () => {
  it('"berth" gives the client, the event schema, the errors, the journal port and the daemon', async () => {
    const names = await exportsOf("berth");
    expect(names).toEqual(
      expect.arrayContaining([
        "BerthClient",
        "subscribe",
        "FleetClient",
        "natsSubscribe",
        "CloudEventSchema",
        "eventHash",
        "BerthError",
        "errorFromWire",
        "CtrStateInvalidError",
        "LevelJournal",
        "verifyChain",
        "startDaemon",
      ]),
    );
    expect(names).not.toContain("startBerth");
  });

  it('"berth/client" still gives what the README imports from it', async () => {
    const names = await exportsOf("berth/client");
    expect(names).toEqual(
      expect.arrayContaining(["BerthClient", "FleetClient", "natsSubscribe", "subscribe"]),
    );
  });

  it("declares types for both entries", async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot(), "package.json"), "utf8")) as {
      exports: Record<string, { types: string }>;
    };
    for (const entry of [".", "./client"])
      await expect(readFile(join(repoRoot(), pkg.exports[entry]!.types))).resolves.toBeDefined();
  });
});
