/**
 * Every verb of the built CLI, found by walking `berth --help`, shows an
 * example of itself in its `--help` (and commander's usage above it).
 */
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CLI } from "../../src/harness/index.js";

const help = async (path: string[]) => (await execa("node", [CLI, ...path, "--help"])).stdout;

/** The subcommand names in a help text's "Commands:" section, `help` left out. */
const commandsIn = (text: string) =>
  [...(text.split("\nCommands:\n")[1] ?? "").matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((m) => m[1]!)
    .filter((name) => name !== "help");

async function leaves(path: string[] = []): Promise<[string[], string][]> {
  const text = await help(path);
  const subs = commandsIn(text);
  if (subs.length === 0) return [[path, text]];
  const found: [string[], string][] = [];
  for (const sub of subs) found.push(...(await leaves([...path, sub])));
  return found;
}

describe("berth <verb> --help", () => {
  it("shows one example of the verb after its options, for every verb", async () => {
    const all = await leaves();
    expect(all.length).toBeGreaterThan(50);
    const without = all
      .filter(([path, text]) => !text.includes(`\nExample:\n  berth ${path.join(" ")}`))
      .map(([path]) => path.join(" "))
      .filter((path) => path !== "completion");
    expect(without).toEqual([]);
  }, 120_000);

  it("shows the stop timeout's default of 10 seconds for stop, restart and rm", async () => {
    for (const verb of ["stop", "restart", "rm"]) {
      expect(await help([verb])).toMatch(/Defaults:\n.*10 seconds/);
    }
  });
});
