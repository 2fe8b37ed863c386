import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RootLockedError } from "../../src/errors.js";
import { LevelJournal } from "../../src/store/index.js";
import { journalContract, streamId, unplaced } from "../support/journal-contract.js";

const tempDir = () => mkdtemp(join(tmpdir(), "berth-journal-"));

journalContract("leveldb", async () => {
  const dir = await tempDir();
  const journal = await LevelJournal.open(dir);
  return {
    journal,
    breakWrites: () => {
      journal.writeFault = () => new Error("IO error: No space left on device");
    },
    cleanup: async () => {
      await journal.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("leveldb journal on disk", () => {
  it("keeps events, versions, projection and head across a reopen", async () => {
    const dir = await tempDir();
    const a = streamId(7);
    const first = await LevelJournal.open(dir);
    await first.append({
      stream: a,
      expectedVersion: 0,
      events: [unplaced(a), unplaced(a)],
      projection: { state: "running" },
    });
    const head = first.head();
    await first.close();

    const second = await LevelJournal.open(dir);
    expect(second.head()).toEqual(head);
    expect(await second.version(a)).toBe(2);
    expect(await second.projections()).toEqual([{ state: "running" }]);
    const next = await second.append({
      stream: a,
      expectedVersion: 2,
      events: [unplaced(a)],
      projection: {},
    });
    expect(next[0]?.prevhash).toBe(head.hash);
    await second.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the Merkle tree across a reopen, and builds it once for a journal that has none", async () => {
    const dir = await tempDir();
    const a = streamId(8);
    const first = await LevelJournal.open(dir);
    for (let v = 0; v < 37; v++) {
      await first.append({ stream: a, expectedVersion: v, events: [unplaced(a)] });
    }
    const tree = first.tree();
    await first.close();

    const reopened = await LevelJournal.open(dir);
    expect(reopened.tree()).toEqual(tree);
    await reopened.close();

    // A journal from before the tree: the same events, no node keys.
    const { ClassicLevel } = await import("classic-level");
    const db = new ClassicLevel<string, string>(dir, {
      keyEncoding: "utf8",
      valueEncoding: "utf8",
    });
    // Only subtrees of 16 leaves and more are stored; the smaller ones come from the events.
    const nodeKeys = await db.keys({ gt: "t:", lt: "t;" }).all();
    expect(nodeKeys).toEqual(["t:04:0000000000000", "t:04:0000000000001", "t:05:0000000000000"]);
    await db.batch(nodeKeys.map((key) => ({ type: "del" as const, key })));
    await db.close();

    const upgraded = await LevelJournal.open(dir);
    expect(upgraded.tree()).toEqual(tree);
    await upgraded.append({ stream: a, expectedVersion: 37, events: [unplaced(a)] });
    expect(upgraded.tree().size).toBe(38);
    await upgraded.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a second opener of the same folder with a clear typed error", async () => {
    const dir = await tempDir();
    const first = await LevelJournal.open(dir);
    await expect(LevelJournal.open(dir)).rejects.toBeInstanceOf(RootLockedError);
    await first.close();
    await rm(dir, { recursive: true, force: true });
  });
});
