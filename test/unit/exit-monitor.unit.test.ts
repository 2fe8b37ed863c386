import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitMonitor } from "../../src/effects/exit-monitor.js";
import type { ExitInfo } from "../../src/effects/types.js";

let root: string;
let monitor: ExitMonitor | undefined;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(tmpdir(), "berth-exitmon-"));
});

afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
  await fs.rm(root, { recursive: true, force: true });
});

/** Writes an exit file the way conmon does: a `<id>.XXXXXX` temp file, then a rename. */
async function writeExit(id: string, code: number): Promise<void> {
  const dir = path.join(root, "exits");
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${id}.Ab12Cd`);
  await fs.writeFile(tmp, String(code));
  await fs.rename(tmp, path.join(dir, id));
}

const HOUR = 3_600_000;

/** `promise`, or a failure naming `what` if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function monitorFor(rescanMs = 500): ExitMonitor {
  monitor = new ExitMonitor({ root, rescanMs });
  return monitor;
}

describe("ExitMonitor", () => {
  it("reports an exit file written after it started, with code and time", async () => {
    const m = monitorFor();
    await m.ready;
    const seen: [string, ExitInfo][] = [];
    m.onExit((id, exit) => seen.push([id, exit]));
    await writeExit("c1", 7);
    const exit = await m.waitFor("c1", 5_000);
    expect(exit?.exitCode).toBe(7);
    expect(exit?.oomKilled).toBe(false);
    expect(Date.parse(exit?.exitedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    expect(seen.map(([id, e]) => [id, e.exitCode])).toEqual([["c1", 7]]);
  });

  it("reports exit files that existed before it started, once it is started", async () => {
    await writeExit("old", 3);
    const m = monitorFor(20);
    const seen: string[] = [];
    m.onExit((id) => seen.push(id));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]); // nothing is reported before start: listeners may not be ready
    await m.start();
    expect(seen).toEqual(["old"]);
  });

  it("reports each appearance once, and again after the file is replaced", async () => {
    const m = monitorFor(50);
    const seen: number[] = [];
    m.onExit((_, exit) => seen.push(exit.exitCode));
    await writeExit("c1", 1);
    await m.waitFor("c1", 5_000);
    await new Promise((r) => setTimeout(r, 300)); // several rescans
    expect(seen).toEqual([1]);
    await fs.rm(path.join(root, "exits", "c1"));
    await new Promise((r) => setTimeout(r, 150));
    await writeExit("c1", 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([1, 2]);
  });

  it("calls listeners before a waiter for the same exit resolves", async () => {
    const m = monitorFor();
    await m.ready;
    const order: string[] = [];
    m.onExit(() => order.push("listener"));
    const waiting = m.waitFor("c1", 5_000).then(() => order.push("waiter"));
    await writeExit("c1", 0);
    await waiting;
    expect(order).toEqual(["listener", "waiter"]);
  });

  it("hears an exit file written after it started through the directory watch, not a rescan", async () => {
    // No rescan for an hour and no waitFor (which looks by itself): only the watch can report it.
    const m = monitorFor(HOUR);
    await m.ready;
    const heard = new Promise<[string, number]>((resolve) =>
      m.onExit((id, exit) => resolve([id, exit.exitCode])),
    );
    await writeExit("c1", 9);
    expect(await within(heard, 10_000, "the watch to report c1")).toEqual(["c1", 9]);
  });

  it("resolves a wait from an exit it already reported, without a rescan or a second report", async () => {
    await writeExit("c1", 137);
    const m = monitorFor(HOUR);
    const heard: string[] = [];
    m.onExit((id) => heard.push(id));
    await m.ready;
    expect(heard).toEqual(["c1"]);
    // With the next rescan an hour away, a wait that needed one would time out (undefined), and
    // one answered by a new report would show in the listener as a second c1.
    expect((await m.waitFor("c1", 10_000))?.exitCode).toBe(137);
    expect(heard).toEqual(["c1"]);
  });

  it("ignores conmon's temp files", async () => {
    const m = monitorFor(50);
    const seen: string[] = [];
    m.onExit((id) => seen.push(id));
    await m.start();
    await fs.writeFile(path.join(root, "exits", "c1.Xy12Zq"), "0");
    await writeExit("c2", 0);
    await m.waitFor("c2", 5_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual(["c2"]);
  });

  it("resolves undefined on timeout and rejects on abort", async () => {
    const m = monitorFor();
    expect(await m.waitFor("never", 50)).toBeUndefined();
    const abort = new AbortController();
    const waiting = m.waitFor("never", 5_000, abort.signal);
    abort.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
  });

  it("resolves pending waits with undefined when closed", async () => {
    const m = monitorFor();
    const waiting = m.waitFor("never", 5_000);
    await m.close();
    expect(await waiting).toBeUndefined();
  });

  it("reads the OOM marker conmon leaves in the persist dir", async () => {
    const persist = path.join(root, "containers", "c1", "persist");
    await fs.mkdir(persist, { recursive: true });
    await fs.writeFile(path.join(persist, "oom"), "");
    await writeExit("c1", 137);
    const m = monitorFor();
    expect((await m.waitFor("c1", 5_000))?.oomKilled).toBe(true);
  });
});
