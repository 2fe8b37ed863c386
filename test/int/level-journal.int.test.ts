import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { describe, expect, it } from "vitest";
import { RootLockedError } from "../../src/errors.js";
import { LevelJournal } from "../../src/store/index.js";
import { journalContract, streamId, unplaced } from "../support/journal-contract.js";

const tempDir = () => mkdtemp(join(tmpdir(), "berth-journal-"));
/** The journal's LevelDB opened directly, as someone tampering with it would. */
const openRaw = (dir: string) =>
  new ClassicLevel<string, string>(dir, { keyEncoding: "utf8", valueEncoding: "utf8" });

/** A journal in `dir` holding `count` events of one stream, appended one at a time. */
async function journalWith(dir: string, stream: string, count: number): Promise<LevelJournal> {
  const journal = await LevelJournal.open(dir);
  for (let v = 0; v < count; v++) {
    await journal.append({ stream, expectedVersion: v, events: [unplaced(stream)] });
  }
  return journal;
}

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
    const first = await journalWith(dir, a, 37);
    const tree = first.tree();
    await first.close();

    const reopened = await LevelJournal.open(dir);
    expect(reopened.tree()).toEqual(tree);
    await reopened.close();

    // A journal from before the tree: the same events, no node keys.
    const db = openRaw(dir);
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

  it("stores a group's tree nodes with the next write, and rebuilds the ones not yet stored from the events at reopen", async () => {
    const dir = await tempDir();
    const a = streamId(9);
    // Leaf 31, the last append's, completes the subtrees 4:1 and 5:0.
    const first = await journalWith(dir, a, 32);
    const tree = first.tree();
    const [top] = await first.treeNodes([{ level: 5, index: 0 }]);
    await first.close();

    const raw = async () => {
      const db = openRaw(dir);
      const stored = {
        nodes: await db.keys({ gt: "t:", lt: "t;" }).all(),
        size: await db.get("k:tree-size"),
      };
      await db.close();
      return stored;
    };
    expect(await raw()).toEqual({ nodes: ["t:04:0000000000000"], size: "31" });

    const reopened = await LevelJournal.open(dir);
    expect(reopened.tree()).toEqual(tree);
    expect(await reopened.treeNodes([{ level: 5, index: 0 }])).toEqual([top]);
    await reopened.append({ stream: a, expectedVersion: 32, events: [unplaced(a)] });
    await reopened.close();
    expect(await raw()).toEqual({
      nodes: ["t:04:0000000000000", "t:04:0000000000001", "t:05:0000000000000"],
      size: "32",
    });

    // A tree size that is not a number: the tree is built again from the events.
    const db = openRaw(dir);
    await db.put("k:tree-size", "lost");
    await db.close();
    const rebuilt = await LevelJournal.open(dir);
    expect((await rebuilt.treeNodes([{ level: 5, index: 0 }]))[0]).toEqual(top);
    expect(rebuilt.tree().size).toBe(33);
    await rebuilt.close();
    expect((await raw()).size).toBe("33");
    await rm(dir, { recursive: true, force: true });
  });

  it("still opens a journal with an event removed, so audit can read it, but signs and proves nothing over it", async () => {
    const dir = await tempDir();
    const a = streamId(10);
    const first = await journalWith(dir, a, 20);
    await first.close();
    const db = openRaw(dir);
    await db.batch([
      { type: "del", key: "e:0000000000013" },
      { type: "del", key: "t:04:0000000000000" },
    ]);
    await db.close();

    const tampered = await LevelJournal.open(dir);
    const events = [];
    for await (const e of tampered.read()) events.push(e);
    expect(events.map((e) => e.seq)).not.toContain(19);
    expect(events).toHaveLength(19);
    expect(() => tampered.tree()).toThrow(
      expect.objectContaining({ code: "TREE_UNAVAILABLE", name: "TreeUnavailableError" }),
    );
    await expect(tampered.treeNodes([{ level: 0, index: 0 }])).rejects.toMatchObject({
      code: "TREE_UNAVAILABLE",
    });
    await tampered.close();
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
