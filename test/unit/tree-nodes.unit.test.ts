/**
 * The tree as a store keeps it (perfect subtrees written once, as leaves
 * arrive in batches) must answer every root and proof hash exactly as the
 * in-memory tree does, which is itself checked against the RFC's text.
 */
import { describe, expect, it } from "vitest";
import { MerkleFrontier } from "../../src/audit/frontier.js";
import { MemoryMerkleTree } from "../../src/audit/memory-tree.js";
import {
  consistencyRanges,
  hashHex,
  hashLeaf,
  inclusionRanges,
  type Hash,
} from "../../src/audit/merkle.js";
import {
  extendTree,
  perfectCover,
  readFrontier,
  readRoot,
  readSubtrees,
  type NodeReader,
} from "../../src/audit/tree-nodes.js";

const leafOf = (i: number) => hashLeaf(Buffer.from(`event ${i}`));

/** A store of nodes in a Map, filled in batches of varying size, as group commit does. */
function storedTree(size: number) {
  const nodes = new Map<string, Hash>();
  const memory = new MemoryMerkleTree();
  let frontier = new MerkleFrontier();
  let i = 0;
  for (let batch = 1; i < size; batch = (batch % 7) + 1) {
    const leaves = Array.from({ length: Math.min(batch, size - i) }, (_, k) => leafOf(i + k));
    const next = extendTree(frontier, leaves);
    expect(frontier.size, "the frontier given is untouched").toBe(i);
    for (const n of next.nodes) {
      const key = `${n.level}:${n.index}`;
      expect(nodes.has(key), `node ${key} is written once`).toBe(false);
      nodes.set(key, n.hash);
    }
    for (const l of leaves) memory.append(l);
    frontier = next.frontier;
    i += leaves.length;
  }
  let reads = 0;
  const read: NodeReader = (positions) => {
    reads += 1;
    return Promise.resolve(
      positions.map((p) => {
        const h = nodes.get(`${p.level}:${p.index}`);
        if (!h) throw new Error(`node ${p.level}:${p.index} was never written`);
        return h;
      }),
    );
  };
  return { nodes, memory, frontier, read, reads: () => reads };
}

describe("the tree a store keeps", () => {
  it("writes about two nodes a leaf, and answers every earlier root as the in-memory tree does", async () => {
    const t = storedTree(300);
    expect(t.nodes.size).toBeLessThan(2 * 300);
    expect(hashHex(t.frontier.root())).toBe(hashHex(t.memory.root()));
    for (let size = 0; size <= 300; size++) {
      expect(hashHex(await readRoot(size, t.read)), `size ${size}`).toBe(
        hashHex(t.memory.root(size)),
      );
    }
  });

  it("resumes a frontier from stored nodes that goes on to the same roots", async () => {
    const t = storedTree(77);
    for (const size of [0, 1, 2, 3, 64, 77]) {
      const resumed = await readFrontier(size, t.read);
      expect(resumed.size).toBe(size);
      const { frontier } = extendTree(
        resumed,
        Array.from({ length: 77 - size }, (_, k) => leafOf(size + k)),
      );
      expect(hashHex(frontier.root()), `from ${size}`).toBe(hashHex(t.memory.root()));
    }
  });

  it("reads every hash of an inclusion or consistency proof in one call", async () => {
    const t = storedTree(130);
    for (const [index, size] of [
      [0, 1],
      [5, 17],
      [129, 130],
      [64, 130],
    ] as const) {
      const ranges = inclusionRanges(index, size);
      const before = t.reads();
      const source = await readSubtrees(ranges, t.read);
      expect(t.reads() - before).toBe(1);
      for (const r of ranges) {
        expect(hashHex(source.subtreeHash(r.start, r.end))).toBe(
          hashHex(t.memory.subtreeHash(r.start, r.end)),
        );
      }
    }
    for (const [from, to] of [
      [1, 130],
      [7, 8],
      [63, 129],
    ] as const) {
      const ranges = consistencyRanges(from, to);
      const source = await readSubtrees(ranges, t.read);
      for (const r of ranges) {
        expect(hashHex(source.subtreeHash(r.start, r.end))).toBe(
          hashHex(t.memory.subtreeHash(r.start, r.end)),
        );
      }
    }
  });

  it("covers a range with the largest aligned perfect subtrees, left to right", () => {
    expect(perfectCover(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(perfectCover(8, 12)).toEqual([{ level: 2, index: 2 }]);
    expect(perfectCover(5, 5)).toEqual([]);
    expect(() => perfectCover(3, 2)).toThrow(/not a range/);
  });
});
