/**
 * berth/client against the real daemon: the README's example program runs as
 * written, and a subscriber rides out a SIGKILL of the daemon without a gap
 * or a duplicate.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { subscribe } from "../../src/client/index.js";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, repoRoot, startBerth, until } from "../../src/harness/index.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
});

async function daemon() {
  const berth = await startBerth();
  running.push(berth);
  await berth.ok("image", "import", busyboxTar(), "busybox");
  return berth;
}

/** The first js code block after `heading` in the README. */
async function readmeExample(heading: string): Promise<string> {
  const readme = await readFile(join(repoRoot(), "README.md"), "utf8");
  const from = readme.indexOf(heading);
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !block) throw new Error(`no js example under ${heading} in README.md`);
  return block[1]!;
}

describe("berth/client", () => {
  it("runs the README's example program as written, against a live daemon", async () => {
    const berth = await daemon();
    const code = await readmeExample("### Client library");
    // Inside the package, so `berth/client` resolves to the build through package.json's exports.
    const dir = join(repoRoot(), ".cache", `readme-${process.pid}`);
    await mkdir(dir, { recursive: true });
    running.push({ stop: () => rm(dir, { recursive: true, force: true }) });
    const file = join(dir, "died.mjs");
    await writeFile(file, code);
    const child = spawn("node", [file], { env: { ...process.env, BERTH_SOCKET: berth.socket } });
    running.push({ stop: () => Promise.resolve(void child.kill()) });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const id = (await berth.ok("create", "busybox", "sh", "-c", "exit 3")).trim();
    await berth.ok("start", id);
    await berth.ok("wait", id);
    await until(() => out.includes("exited"), 10_000, `the example's output (stderr: ${err})`);
    expect(out.trim()).toMatch(new RegExp(`^\\S+ #\\d+ ${id.slice(0, 12)} exited 3$`));
  });

  it("keeps a subscriber whole across a SIGKILL of the daemon: no gap, no duplicate", async () => {
    const berth = await daemon();
    const first = (await berth.ok("create", "busybox", "true")).trim();
    const abort = new AbortController();
    const got: CloudEvent[] = [];
    let reconnects = 0;
    const reading = (async () => {
      for await (const e of subscribe({
        socketPath: berth.socket,
        signal: abort.signal,
        backoff: { initialMs: 50, maxMs: 200 },
        onReconnect: () => (reconnects += 1),
      })) {
        got.push(e);
      }
    })();
    await until(() => got.some((e) => e.subject === first), 10_000, "the first event");
    await berth.kill("SIGKILL");
    await berth.start();
    const second = (await berth.ok("create", "busybox", "true")).trim();
    await until(() => got.some((e) => e.subject === second), 15_000, "events after the restart");
    abort.abort();
    await reading;
    const journal = (await berth.ok("events", "--stream=false", "--format", "json"))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CloudEvent);
    expect(reconnects).toBeGreaterThanOrEqual(1);
    expect(got).toEqual(journal);
  });
});
