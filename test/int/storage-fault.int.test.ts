/**
 * A full disk under the journal: the request fails with a clear typed error,
 * no half-written event remains, and once there is room again the journal,
 * the projections and runc agree.
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { runcStatus as runcStatusIn } from "../support/runc-view.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, cleanRoot, startBerth, until, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let filler: string;

const runcStatus = (id: string) => runcStatusIn(berth.root, id);
const inspect = async (ref: string) =>
  JSON.parse(await berth.ok("inspect", ref)) as ContainerRecord;

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  await berth.kill("SIGTERM");
  // Move the root onto a small tmpfs, so the test can fill the journal's disk for real.
  const disk = `${berth.root}.disk`;
  await rename(berth.root, disk);
  await mkdir(berth.root);
  await execa("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", berth.root]);
  await execa("cp", ["-a", `${disk}/.`, berth.root]);
  await rm(disk, { recursive: true, force: true });
  filler = join(berth.root, "filler");
  await berth.start();
});

afterAll(async () => {
  await berth?.kill("SIGTERM");
  await cleanRoot(berth.root);
  await execa("umount", ["-l", berth.root], { reject: false });
  await berth?.stop();
});

describe("a full disk under the journal", () => {
  it("fails the request with a clear error, loses nothing, and recovers when there is room", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", id);

    // Fill to the last byte: big blocks first, then single bytes into what is left.
    await execa("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { reject: false });
    await execa("dd", ["if=/dev/zero", `of=${filler}.tail`, "bs=1"], { reject: false });
    // The log's last page may still take a few small batches; keep asking until the disk says no.
    const seq = async () =>
      (JSON.parse(await berth.ok("status")) as { journal: { seq: number } }).journal.seq;
    let failed: { stderr: string; code: number } | undefined;
    let headBefore = 0;
    for (let i = 0; i < 40 && !failed; i++) {
      headBefore = await seq();
      const r = await berth.cli(i % 2 === 0 ? "pause" : "unpause", id);
      if (r.code !== 0) failed = r;
    }
    expect(failed?.code).toBe(125);
    expect(failed?.stderr).toMatch(/journal write failed/);
    // Nothing half-written: the head is where it was, or the whole batch landed and was reconciled.
    const headAfter = await seq().catch(() => headBefore);
    expect(headAfter).toBeGreaterThanOrEqual(headBefore);

    await rm(filler);
    await rm(`${filler}.tail`);
    // Whatever the runtime did meanwhile is reconciled into the journal.
    await until(
      async () => (await inspect(id)).state === (await runcStatus(id)),
      15_000,
      "record and runc to agree",
    );
    // The journal takes writes again: flip the state and see runc follow.
    const paused = (await inspect(id)).state === "paused";
    await berth.ok(paused ? "unpause" : "pause", id);
    expect(await runcStatus(id)).toBe(paused ? "running" : "paused");
    expect((await berth.cli("audit", "verify")).code).toBe(0);
    expect((await berth.cli("replay", "--verify")).stdout).toContain(
      "projections match the journal",
    );
    await berth.ok("rm", "-f", "-t", "0", id);
  });
});
