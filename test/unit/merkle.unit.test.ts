import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConsistencyProofError, InclusionProofError, InvalidArgError } from "../../src/errors.js";
import { MerkleFrontier } from "../../src/audit/frontier.js";
import { MemoryMerkleTree } from "../../src/audit/memory-tree.js";
import {
  consistencyProof,
  EMPTY_ROOT,
  eventLeafHash,
  hashLeaf,
  inclusionProof,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from "../../src/audit/merkle.js";

// The RFC 6962 definitions, written out the slow and obvious way, with their
// own hashing, so the module is checked against the text and not itself.
const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const refLeaf = (data: Uint8Array) => sha256(Buffer.from([0]), data);
const refNode = (l: Uint8Array, r: Uint8Array) => sha256(Buffer.from([1]), l, r);
const splitOf = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
function mth(leaves: Uint8Array[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return refLeaf(leaves[0]!);
  const k = splitOf(leaves.length);
  return refNode(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function refPath(m: number, leaves: Uint8Array[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = splitOf(leaves.length);
  return m < k
    ? [...refPath(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...refPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}
function refSubproof(m: number, leaves: Uint8Array[], whole: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return whole ? [] : [mth(leaves)];
  const k = splitOf(n);
  return m <= k
    ? [...refSubproof(m, leaves.slice(0, k), whole), mth(leaves.slice(k))]
    : [...refSubproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

/** Leaf data i: 32 bytes, like an event's hash. */
const data = (i: number) => sha256(Buffer.from(`event ${i}`));
const LEAVES = Array.from({ length: 1000 }, (_, i) => data(i));
const tree = new MemoryMerkleTree();
for (const d of LEAVES) tree.append(hashLeaf(d));
const leafOf = (i: number) => refLeaf(LEAVES[i]!);

const hex = (h: Uint8Array) => Buffer.from(h).toString("hex");
const flipped = (h: Hash, byte: number): Hash => {
  const copy = Buffer.from(h);
  copy[byte] = copy[byte]! ^ 0x01;
  return copy;
};
/** Each path with one byte of one element changed; every byte when `everyByte`, else one per element. */
function* alteredPaths(path: Hash[], seed: number, everyByte: boolean): Generator<Hash[]> {
  for (let j = 0; j < path.length; j++) {
    const bytes = everyByte ? Array.from({ length: 32 }, (_, b) => b) : [(seed + j * 7) % 32];
    for (const b of bytes) yield path.map((p, k) => (k === j ? flipped(p, b) : p));
  }
}

/**
 * Runs each altered check and returns the ones that did not throw `Err`.
 * One expect over the lot, not one per case: there are tens of thousands.
 */
function accepted(Err: new (...args: never[]) => Error, cases: Iterable<[string, () => void]>) {
  const wrong: string[] = [];
  for (const [name, check] of cases) {
    try {
      check();
      wrong.push(`${name}: accepted`);
    } catch (err) {
      if (!(err instanceof Err)) wrong.push(`${name}: ${String(err)}`);
    }
  }
  return wrong;
}

describe("Merkle tree hashing (RFC 6962 / RFC 9162 §2.1)", () => {
  it("gives the empty tree SHA-256 of nothing as its root", () => {
    expect(hex(EMPTY_ROOT)).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hex(new MemoryMerkleTree().root())).toBe(hex(EMPTY_ROOT));
    expect(hex(new MerkleFrontier().root())).toBe(hex(EMPTY_ROOT));
  });

  it("hashes a leaf with the 0x00 prefix and an event's leaf from its hex hash", () => {
    const d = data(7);
    expect(hex(hashLeaf(d))).toBe(hex(refLeaf(d)));
    expect(hex(hashLeaf(Buffer.from("short")))).toBe(hex(refLeaf(Buffer.from("short"))));
    expect(hex(eventLeafHash(hex(d)))).toBe(hex(refLeaf(d)));
    expect(() => eventLeafHash(hex(d).toUpperCase())).toThrow(InvalidArgError);
    expect(() => eventLeafHash(hex(d).slice(2))).toThrow(InvalidArgError);
  });

  it("has roots equal to the RFC's recursive MTH at every size from 0 to 300, in the tree and in the frontier", () => {
    const frontier = new MerkleFrontier();
    for (let n = 0; n <= 300; n++) {
      const expected = hex(mth(LEAVES.slice(0, n)));
      expect(hex(tree.root(n)), `size ${n}`).toBe(expected);
      expect(hex(frontier.root()), `frontier at size ${n}`).toBe(expected);
      expect(frontier.size).toBe(n);
      frontier.append(leafOf(n));
    }
  });

  it("resumes a frontier from its JSON form with the same root, and refuses a form whose hashes do not fit its size", () => {
    const frontier = new MerkleFrontier();
    for (let i = 0; i < 45; i++) frontier.append(leafOf(i));
    const copy = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(frontier)) as never);
    copy.append(leafOf(45));
    frontier.append(leafOf(45));
    expect(hex(copy.root())).toBe(hex(frontier.root()));
    expect(hex(copy.root())).toBe(hex(mth(LEAVES.slice(0, 46))));
    const json = frontier.toJSON();
    expect(() => MerkleFrontier.fromJSON({ ...json, size: json.size + 1 })).toThrow(
      InvalidArgError,
    );
    expect(() =>
      MerkleFrontier.fromJSON({ ...json, hashes: json.hashes.map((h) => h.toUpperCase()) }),
    ).toThrow(InvalidArgError);
  });

  it("refuses a leaf hash that is not 32 bytes and a subtree outside the tree", () => {
    expect(() => new MemoryMerkleTree().append(new Uint8Array(31))).toThrow(InvalidArgError);
    expect(() => new MerkleFrontier().append(new Uint8Array(33))).toThrow(InvalidArgError);
    expect(() => tree.subtreeHash(0, 1001)).toThrow(InvalidArgError);
    expect(() => tree.subtreeHash(5, 5)).toThrow(InvalidArgError);
    expect(() => inclusionProof(tree, 3, 3)).toThrow(InvalidArgError);
    expect(() => consistencyProof(tree, 4, 3)).toThrow(InvalidArgError);
  });
});

describe("inclusion proofs (RFC 9162 §2.1.3)", () => {
  it("are the RFC's PATH for every index of every size from 1 to 64", () => {
    for (let n = 1; n <= 64; n++) {
      for (let i = 0; i < n; i++) {
        const expected = refPath(i, LEAVES.slice(0, n)).map(hex);
        expect(inclusionProof(tree, i, n).map(hex), `leaf ${i} of ${n}`).toEqual(expected);
      }
    }
  });

  it("verify for every index of every size from 1 to 300 and of sampled sizes up to 1,000", () => {
    const sizes = [
      ...Array.from({ length: 300 }, (_, i) => i + 1),
      ...[383, 511, 512, 513, 640, 777, 999, 1000],
    ];
    let checked = 0;
    for (const n of sizes) {
      const root = tree.root(n);
      for (let i = 0; i < n; i++) {
        verifyInclusion(leafOf(i), i, n, inclusionProof(tree, i, n), root);
        checked += 1;
      }
    }
    expect(checked).toBe(45_150 + 383 + 511 + 512 + 513 + 640 + 777 + 999 + 1000);
  });

  it("fail when any byte of the path, the leaf or the root is changed (every byte up to size 16, one a hash up to 100)", () => {
    function* cases(): Generator<[string, () => void]> {
      for (let n = 1; n <= 100; n++) {
        const root = tree.root(n);
        const everyByte = n <= 16;
        for (let i = 0; i < n; i++) {
          const path = inclusionProof(tree, i, n);
          const leaf = leafOf(i);
          let k = 0;
          for (const altered of alteredPaths(path, i, everyByte)) {
            yield [
              `leaf ${i} of ${n}, path change ${k++}`,
              () => verifyInclusion(leaf, i, n, altered, root),
            ];
          }
          const bytes = everyByte ? Array.from({ length: 32 }, (_, b) => b) : [i % 32];
          for (const b of bytes) {
            const badLeaf = flipped(leaf, b);
            const badRoot = flipped(root, b);
            yield [
              `leaf ${i} of ${n}, leaf byte ${b}`,
              () => verifyInclusion(badLeaf, i, n, path, root),
            ];
            yield [
              `leaf ${i} of ${n}, root byte ${b}`,
              () => verifyInclusion(leaf, i, n, path, badRoot),
            ];
          }
        }
      }
    }
    expect(accepted(InclusionProofError, cases())).toEqual([]);
  });

  it("fail when the index or the size is changed, against the root of the size claimed (sizes 1 to 100 and sampled to 1,000)", () => {
    function* cases(): Generator<[string, () => void]> {
      for (const n of [...Array.from({ length: 100 }, (_, i) => i + 1), 255, 256, 257, 1000]) {
        for (let i = 0; i < n; i++) {
          const path = inclusionProof(tree, i, n);
          const leaf = leafOf(i);
          for (const j of [i - 1, i + 1, i ^ 1, n]) {
            if (j === i) continue;
            yield [
              `leaf ${i} of ${n} as ${j}`,
              () => verifyInclusion(leaf, j, n, path, tree.root(n)),
            ];
          }
          for (const m of [n - 1, n + 1, 2 * n]) {
            if (m <= i || m === n || m > tree.size) continue;
            yield [
              `leaf ${i} of ${n} in ${m}`,
              () => verifyInclusion(leaf, i, m, path, tree.root(m)),
            ];
          }
        }
      }
    }
    expect(accepted(InclusionProofError, cases())).toEqual([]);
  });

  it("fail when the path has a hash too many or too few, or one of the wrong length", () => {
    const path = inclusionProof(tree, 5, 100);
    const root = tree.root(100);
    expect(() => verifyInclusion(leafOf(5), 5, 100, [...path, path[0]!], root)).toThrow(
      /more than the leaf's depth/,
    );
    expect(() => verifyInclusion(leafOf(5), 5, 100, path.slice(0, -1), root)).toThrow(
      /fewer than the leaf's depth/,
    );
    expect(() =>
      verifyInclusion(leafOf(5), 5, 100, [path[0]!.subarray(1), ...path.slice(1)], root),
    ).toThrow(InclusionProofError);
    expect(() => verifyInclusion(leafOf(0), 0, 1, [], tree.root(1))).not.toThrow();
    expect(() => verifyInclusion(leafOf(0), 0, 1, [leafOf(1)], tree.root(1))).toThrow(
      InclusionProofError,
    );
  });
});

describe("consistency proofs (RFC 9162 §2.1.4)", () => {
  it("are the RFC's PROOF for every pair of sizes 0 < m < n <= 64 and empty when m is 0 or n", () => {
    for (let n = 1; n <= 64; n++) {
      expect(consistencyProof(tree, 0, n)).toEqual([]);
      expect(consistencyProof(tree, n, n)).toEqual([]);
      for (let m = 1; m < n; m++) {
        const expected = refSubproof(m, LEAVES.slice(0, n), true).map(hex);
        expect(consistencyProof(tree, m, n).map(hex), `${m} to ${n}`).toEqual(expected);
      }
    }
  });

  it("verify for every pair of sizes m <= n <= 64", () => {
    for (let n = 0; n <= 64; n++) {
      for (let m = 0; m <= n; m++) {
        verifyConsistency(m, n, consistencyProof(tree, m, n), tree.root(m), tree.root(n));
      }
    }
  });

  it("fail when any byte of the path or of either root is changed (every byte up to size 20, one a hash beyond)", () => {
    function* cases(): Generator<[string, () => void]> {
      for (let n = 0; n <= 64; n++) {
        const everyByte = n <= 20;
        for (let m = 0; m <= n; m++) {
          const path = consistencyProof(tree, m, n);
          const [rootM, rootN] = [tree.root(m), tree.root(n)];
          let k = 0;
          for (const altered of alteredPaths(path, m + n, everyByte)) {
            yield [
              `${m} to ${n}, path change ${k++}`,
              () => verifyConsistency(m, n, altered, rootM, rootN),
            ];
          }
          const bytes = everyByte ? Array.from({ length: 32 }, (_, b) => b) : [(m * 5 + n) % 32];
          for (const b of bytes) {
            const [badM, badN] = [flipped(rootM, b), flipped(rootN, b)];
            yield [
              `${m} to ${n}, old root byte ${b}`,
              () => verifyConsistency(m, n, path, badM, rootN),
            ];
            // With m 0 the new root is unconstrained: every tree extends the empty one.
            if (m === 0) continue;
            yield [
              `${m} to ${n}, new root byte ${b}`,
              () => verifyConsistency(m, n, path, rootM, badN),
            ];
          }
        }
      }
    }
    expect(accepted(ConsistencyProofError, cases())).toEqual([]);
  });

  it("fail when either size is changed, against the roots of the sizes claimed", () => {
    function* cases(): Generator<[string, () => void]> {
      for (let n = 1; n <= 64; n++) {
        for (let m = 1; m <= n; m++) {
          const path = consistencyProof(tree, m, n);
          for (const [m2, n2] of [
            [m - 1, n],
            [m + 1, n],
            [m, n + 1],
            [m, n - 1],
          ] as const) {
            if (m2 < 0 || m2 > n2 || (m2 === 0 && path.length === 0)) continue;
            yield [
              `${m} to ${n} as ${m2} to ${n2}`,
              () => verifyConsistency(m2, n2, path, tree.root(m2), tree.root(n2)),
            ];
          }
        }
      }
    }
    expect(accepted(ConsistencyProofError, cases())).toEqual([]);
  });

  it("fail for a tree that is not an extension: a changed early leaf gives another new root", () => {
    const forked = new MemoryMerkleTree();
    for (let i = 0; i < 40; i++) forked.append(i === 3 ? leafOf(999) : leafOf(i));
    const path = consistencyProof(forked, 20, 40);
    expect(() => verifyConsistency(20, 40, path, tree.root(20), forked.root(40))).toThrow(
      /old root/,
    );
    expect(() =>
      verifyConsistency(3, 40, consistencyProof(forked, 3, 40), tree.root(3), forked.root(40)),
    ).not.toThrow();
  });

  it("fail with an empty path where one is needed and a path where none is", () => {
    expect(() => verifyConsistency(3, 7, [], tree.root(3), tree.root(7))).toThrow(/empty/);
    expect(() => verifyConsistency(7, 7, [leafOf(0)], tree.root(7), tree.root(7))).toThrow(
      /must be empty/,
    );
    expect(() => verifyConsistency(8, 3, [], tree.root(8), tree.root(3))).toThrow(
      ConsistencyProofError,
    );
  });
});
