/**
 * The CLI's V8 code cache (src/cli/code-cache.ts), on a copy of the built
 * bundle in a temporary folder: written beside the bundle after the first
 * run, used by the next, and a damaged cache is refused by V8 and replaced,
 * never trusted or fatal.
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../../src/harness/index.js";

let dir: string;
let cli: string;
const version = (
  JSON.parse(readFileSync(join(dirname(CLI), "../../../package.json"), "utf8")) as {
    version: string;
  }
).version;
const run = () => execFileSync("node", [cli, "--version"], { encoding: "utf8" }).trim();
const caches = () => readdirSync(join(dir, ".code-cache")).filter((f) => f.endsWith(".v8"));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-code-cache-"));
  cpSync(CLI, join(dir, "berth.cjs"));
  cpSync(join(dirname(CLI), "chunks"), join(dir, "chunks"), { recursive: true });
  cli = join(dir, "berth.cjs");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the CLI's code cache", () => {
  it("is written beside the bundle by the first run, one file per bundle file it compiled", () => {
    expect(run()).toBe(version);
    expect(caches().some((f) => f.startsWith("main-"))).toBe(true);
    expect(caches().every((f) => f.endsWith(".cjs.v8"))).toBe(true);
  });

  it("is read, not written again, by the next run", () => {
    const main = join(
      dir,
      ".code-cache",
      caches().find((f) => f.startsWith("main-"))!,
    );
    const before = statSync(main).mtimeMs;
    expect(run()).toBe(version);
    expect(statSync(main).mtimeMs).toBe(before);
  });

  it("is refused by V8 when damaged: the run answers as before and writes a good one", () => {
    const main = join(
      dir,
      ".code-cache",
      caches().find((f) => f.startsWith("main-"))!,
    );
    const good = readFileSync(main);
    writeFileSync(main, Buffer.alloc(good.length, 0x41));
    expect(run()).toBe(version);
    const rewritten = readFileSync(main);
    expect(rewritten.equals(Buffer.alloc(good.length, 0x41))).toBe(false);
    const after = statSync(main).mtimeMs;
    expect(run()).toBe(version);
    expect(statSync(main).mtimeMs).toBe(after);
  });
});
