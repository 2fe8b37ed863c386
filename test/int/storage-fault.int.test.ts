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
import { BerthClient } from "../../src/client/index.js";
import type { CloudEvent } from "../../src/events/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { busyboxTar, cleanRoot, startBerth, until, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let filler: string;

const runcStatus = (id: string) => runcStatusIn(berth.root, id);
// The socket API, to read the daemon's head at once after the failure, before its scheduled
// reconcile retries (a CLI process per read is slow enough to let them run first).
const api = () => new BerthClient({ socketPath: berth.socket });
const head = async () =>
  (await api().call<{ journal: { seq: number } }>("GET", "/status")).journal.seq;
const action = (e: CloudEvent) => e.type.slice("io.berth.container.".length);
const inspect = async (ref: string) =>
  (JSON.parse(await berth.ok("inspect", ref)) as ContainerRecord[])[0]!;

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
    let failed: { verb: "pause" | "unpause"; stderr: string; code: number } | undefined;
    let headBefore = 0;
    for (let i = 0; i < 40 && !failed; i++) {
      headBefore = await head();
      const verb = i % 2 === 0 ? "pause" : "unpause";
      const r = await berth.cli(verb, id);
      if (r.code !== 0) failed = { verb, ...r };
    }
    expect(failed?.code).toBe(125);
    expect(failed?.stderr).toMatch(/journal write failed/);

    // The daemon keeps answering while the disk is full: no error from status is excused. Its head
    // is in memory; it is checked against the journal below, once the journal can be read again
    // (LevelDB cannot reopen on a full disk, so reads wait for room too).
    const headDuring = await head();

    await rm(filler);
    await rm(`${filler}.tail`);
    // Whatever the runtime did meanwhile is reconciled into the journal.
    await until(
      async () => (await inspect(id)).state === (await runcStatus(id)),
      15_000,
      "record and runc to agree",
    );

    // Nothing half-written, decided by reading the journal. The failed request writes its intent,
    // then (after runc) its fact, each in its own batch. The batch that failed either left
    // nothing, or landed whole (a failed sync may still have written it). So after the head from
    // before come, gapless: a prefix of [intent, fact] of this very request, then at most one
    // reconcile that journals what runc did if the fact was lost, and nothing else.
    const after: CloudEvent[] = [];
    for await (const e of api().events({ afterSeq: headBefore, follow: false })) after.push(e);
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => headBefore + i + 1));
    const mine = after.filter((e) => e.actor !== "berth:reconcile");
    const reconciled = after.slice(mine.length);
    const verb = failed!.verb;
    expect([[], ["request"], ["request", verb]]).toContainEqual(mine.map((e) => action(e)));
    for (const e of mine) {
      expect(e.subject).toBe(id);
      expect(e.requestid).toBe(mine[0]!.requestid);
    }
    if (mine[0]) expect(mine[0].data).toMatchObject({ command: verb.toUpperCase() });
    expect(reconciled.length).toBeLessThanOrEqual(1);
    for (const e of reconciled) {
      expect(action(e)).toBe("sync");
      expect(e.data).toMatchObject({ cause: "reconcile", runtime: await runcStatus(id) });
    }
    // The head the daemon reported during the outage was durable: the head before, plus the
    // request's events, less the failed batch if it landed unseen (reopening failed on the full
    // disk, so the daemon kept the head it knew).
    const failedBatch = mine.length === 2 ? 1 : mine.length;
    expect([mine.length, mine.length - failedBatch]).toContain(headDuring - headBefore);

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
