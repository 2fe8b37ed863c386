/**
 * The journal contract: one suite, run against every adapter.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { VersionConflictError, JournalWriteError } from "../../src/errors.js";
import type { UnplacedEvent } from "../../src/events/index.js";
import { eventHash, GENESIS_HASH } from "../../src/events/index.js";
import type { Journal } from "../../src/store/index.js";
import { MemoryMerkleTree } from "../../src/audit/memory-tree.js";
import { eventLeafHash, hashHex, inclusionRanges } from "../../src/audit/merkle.js";
import { readRoot, readSubtrees } from "../../src/audit/tree-nodes.js";

export const streamId = (n: number) => n.toString(16).padStart(64, "0");

export function unplaced(stream: string, action = "start"): UnplacedEvent {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: "berth://test",
    type: `io.berth.container.${action}`,
    subject: stream,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data: { outcome: "success" },
    actor: "uid:0",
    requestid: randomUUID(),
  };
}

export interface JournalFixture {
  journal: Journal;
  /** Makes the next writes fail as a full disk would; every adapter must offer it, so the test below runs for each. */
  breakWrites: () => void;
  cleanup: () => Promise<void>;
}

export function journalContract(name: string, open: () => Promise<JournalFixture>) {
  describe(`journal contract: ${name}`, () => {
    it("assigns gapless global sequences and per-stream versions", async () => {
      const { journal, cleanup } = await open();
      const a = streamId(1);
      const b = streamId(2);
      await journal.append({
        stream: a,
        expectedVersion: 0,
        events: [unplaced(a), unplaced(a)],
        projection: { v: 2 },
      });
      await journal.append({
        stream: b,
        expectedVersion: 0,
        events: [unplaced(b)],
        projection: { v: 1 },
      });
      const placed = await journal.append({
        stream: a,
        expectedVersion: 2,
        events: [unplaced(a)],
        projection: { v: 3 },
      });
      expect(placed.map((e) => [e.seq, e.version])).toEqual([[4, 3]]);
      const all = [];
      for await (const e of journal.read()) all.push(e);
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect((await journal.readStream(a)).map((e) => e.version)).toEqual([1, 2, 3]);
      expect(await journal.version(a)).toBe(3);
      expect(await journal.projection(a)).toEqual({ v: 3 });
      expect(journal.head().seq).toBe(4);
      await cleanup();
    });

    it("stores no projection for a stream appended without one, and keeps its events and versions", async () => {
      const { journal, cleanup } = await open();
      const a = streamId(1);
      const b = streamId(2);
      await journal.append({ stream: a, expectedVersion: 0, events: [unplaced(a)], projection: 1 });
      await journal.append({ stream: b, expectedVersion: 0, events: [unplaced(b), unplaced(b)] });
      expect(await journal.projection(b)).toBeUndefined();
      expect(await journal.projections()).toEqual([1]);
      expect(await journal.version(b)).toBe(2);
      expect((await journal.readStream(b)).map((e) => e.seq)).toEqual([2, 3]);
      await cleanup();
    });

    it("rejects an append on a stale version with a typed conflict and writes nothing", async () => {
      const { journal, cleanup } = await open();
      const a = streamId(1);
      await journal.append({ stream: a, expectedVersion: 0, events: [unplaced(a)], projection: 1 });
      await expect(
        journal.append({ stream: a, expectedVersion: 0, events: [unplaced(a)], projection: 2 }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect(await journal.readStream(a)).toHaveLength(1);
      expect(await journal.projection(a)).toBe(1);
      await cleanup();
    });

    it("chains each event to the previous one by hash", async () => {
      const { journal, cleanup } = await open();
      const a = streamId(1);
      await journal.append({
        stream: a,
        expectedVersion: 0,
        events: [unplaced(a), unplaced(a)],
        projection: 0,
      });
      const [first, second] = await journal.readStream(a);
      expect(first?.prevhash).toBe(GENESIS_HASH);
      expect(second?.prevhash).toBe(first?.hash);
      expect(eventHash(second!)).toBe(second?.hash);
      await cleanup();
    });

    it("keeps concurrent appends gapless and each stream in order", async () => {
      const { journal, cleanup } = await open();
      const streams = Array.from({ length: 16 }, (_, i) => streamId(i + 1));
      await Promise.all(
        streams.map(async (s) => {
          for (let v = 0; v < 5; v++) {
            await journal.append({
              stream: s,
              expectedVersion: v,
              events: [unplaced(s)],
              projection: v + 1,
            });
          }
        }),
      );
      const seqs = [];
      for await (const e of journal.read()) seqs.push(e.seq);
      expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
      for (const s of streams)
        expect((await journal.readStream(s)).map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
      await cleanup();
    });

    it("reads after a sequence with a limit", async () => {
      const { journal, cleanup } = await open();
      const a = streamId(1);
      await journal.append({
        stream: a,
        expectedVersion: 0,
        events: [1, 2, 3, 4].map(() => unplaced(a)),
        projection: 0,
      });
      const got = [];
      for await (const e of journal.read({ afterSeq: 1, limit: 2 })) got.push(e.seq);
      expect(got).toEqual([2, 3]);
      await cleanup();
    });

    it("tells subscribers about durable appends in order", async () => {
      const { journal, cleanup } = await open();
      const seen: number[] = [];
      const off = journal.subscribe((events) => seen.push(...events.map((e) => e.seq)));
      const a = streamId(1);
      await journal.append({
        stream: a,
        expectedVersion: 0,
        events: [unplaced(a), unplaced(a)],
        projection: 0,
      });
      off();
      await journal.append({ stream: a, expectedVersion: 2, events: [unplaced(a)], projection: 0 });
      expect(seen).toEqual([1, 2]);
      await cleanup();
    });

    it("fails an append whose write fails with a typed error and keeps the head", async () => {
      const { journal, breakWrites, cleanup } = await open();
      const a = streamId(1);
      await journal.append({ stream: a, expectedVersion: 0, events: [unplaced(a)], projection: 0 });
      breakWrites();
      await expect(
        journal.append({ stream: a, expectedVersion: 1, events: [unplaced(a)], projection: 0 }),
      ).rejects.toBeInstanceOf(JournalWriteError);
      expect(journal.head().seq).toBe(1);
      expect(await journal.version(a)).toBe(1);
      await cleanup();
    });

    it("keeps the Merkle tree over every event's hash, in step with the head, at every earlier size too", async () => {
      const { journal, cleanup } = await open();
      expect(journal.tree()).toEqual({ size: 0, root: hashHex(new MemoryMerkleTree().root()) });
      await Promise.all(
        [1, 2, 3, 4, 5, 6].map(async (n) => {
          const s = streamId(n);
          for (let v = 0; v < n * 5; v++) {
            await journal.append({ stream: s, expectedVersion: v, events: [unplaced(s)] });
          }
        }),
      );
      const events = [];
      for await (const e of journal.read()) events.push(e);
      const reference = new MemoryMerkleTree();
      for (const e of events) reference.append(eventLeafHash(e.hash));
      // 105 events: perfect subtrees up to 64 leaves, so every level a store may keep or recompute.
      expect(journal.tree()).toEqual({ size: 105, root: hashHex(reference.root()) });
      const read = (p: Parameters<Journal["treeNodes"]>[0]) => journal.treeNodes(p);
      for (let size = 1; size <= 105; size++) {
        expect(hashHex(await readRoot(size, read))).toBe(hashHex(reference.root(size)));
      }
      for (const leaf of [0, 4, 17, 63, 64, 100, 104]) {
        const source = await readSubtrees(inclusionRanges(leaf, 105), read);
        for (const r of inclusionRanges(leaf, 105)) {
          expect(hashHex(source.subtreeHash(r.start, r.end))).toBe(
            hashHex(reference.subtreeHash(r.start, r.end)),
          );
        }
      }
      await cleanup();
    });

    it("leaves the tree as the durable events have it when a write fails", async () => {
      const { journal, breakWrites, cleanup } = await open();
      const a = streamId(1);
      const [first] = await journal.append({
        stream: a,
        expectedVersion: 0,
        events: [unplaced(a)],
      });
      breakWrites();
      await expect(
        journal.append({ stream: a, expectedVersion: 1, events: [unplaced(a)] }),
      ).rejects.toBeInstanceOf(JournalWriteError);
      const reference = new MemoryMerkleTree();
      reference.append(eventLeafHash(first!.hash));
      expect(journal.tree()).toEqual({ size: 1, root: hashHex(reference.root()) });
      await expect(journal.treeNodes([{ level: 0, index: 1 }])).rejects.toMatchObject({
        code: "INTERNAL",
      });
      await cleanup();
    });

    it("keeps every stream's version right after more streams than its cache holds", async () => {
      const { journal, cleanup } = await open();
      const streams = Array.from({ length: 5_000 }, (_, i) => streamId(i + 1));
      await Promise.all(
        streams.map((s) =>
          journal.append({ stream: s, expectedVersion: 0, events: [unplaced(s)] }),
        ),
      );
      const first = streams[0]!;
      expect(await journal.version(first)).toBe(1);
      await expect(
        journal.append({ stream: first, expectedVersion: 0, events: [unplaced(first)] }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      await journal.append({ stream: first, expectedVersion: 1, events: [unplaced(first)] });
      expect(await journal.version(first)).toBe(2);
      expect(journal.head().seq).toBe(5_001);
      await cleanup();
    });

    it("stores meta values such as the relay cursor", async () => {
      const { journal, cleanup } = await open();
      expect(await journal.getMeta("cursor")).toBeUndefined();
      await journal.setMeta("cursor", "42");
      expect(await journal.getMeta("cursor")).toBe("42");
      await cleanup();
    });
  });
}
