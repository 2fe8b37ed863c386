/**
 * The journal's Merkle tree, hashed as RFC 6962 and RFC 9162 §2.1 define it
 * with SHA-256: a leaf is SHA-256(0x00 || leaf bytes), an inner node is
 * SHA-256(0x01 || left || right), and the empty tree's root is SHA-256 of
 * nothing. The distinct prefixes keep a leaf from passing for an inner node.
 *
 * Leaf `i` is the event with `seq` i + 1, and its bytes are that event's own
 * `hash` decoded from hex (32 bytes). That hash already covers the event's
 * canonical encoding, every attribute but itself, including `seq` and
 * `prevhash` (src/events/hash.ts), so the tree commits to each event's whole
 * content and to its place in the chain, and a proof needs only the hash.
 *
 * Proofs follow RFC 9162 §2.1.3 (inclusion: PATH) and §2.1.4 (consistency:
 * PROOF and SUBPROOF), and so do their verifiers (§2.1.3.2, §2.1.4.2).
 */
import { hash } from "node:crypto";
import { ConsistencyProofError, InclusionProofError, InvalidArgError } from "../errors.js";

/** Bytes in a SHA-256 digest: every leaf hash, node hash and root. */
export const HASH_BYTES = 32;

/** A leaf hash, node hash or root: 32 bytes. */
export type Hash = Uint8Array;

/** The root of the tree of no leaves: SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = hash("sha256", new Uint8Array(0), "buffer");

// Hashing goes through one reused input buffer and the one-shot `hash`,
// about twice as fast as a createHash chain for inputs this small; nothing
// here awaits, so no two calls can interleave on the buffer.
const nodeInput = new Uint8Array(1 + 2 * HASH_BYTES);
nodeInput[0] = 0x01;
const leafInput = new Uint8Array(1 + HASH_BYTES);

/** RFC 6962's leaf hash: SHA-256(0x00 || bytes). */
export function hashLeaf(bytes: Uint8Array): Hash {
  if (bytes.length === HASH_BYTES) {
    leafInput.set(bytes, 1);
    return hash("sha256", leafInput, "buffer");
  }
  const input = new Uint8Array(1 + bytes.length);
  input.set(bytes, 1);
  return hash("sha256", input, "buffer");
}

/** RFC 6962's inner node hash: SHA-256(0x01 || left || right); both must be 32 bytes. */
export function hashChildren(left: Hash, right: Hash): Hash {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_BYTES);
  return hash("sha256", nodeInput, "buffer");
}

/** The leaf hash of a journal event, from its `hash` attribute (64 hex digits). */
export function eventLeafHash(eventHash: string): Hash {
  if (!/^[0-9a-f]{64}$/.test(eventHash)) {
    throw new InvalidArgError(
      `an event hash is 64 lowercase hex digits, not ${JSON.stringify(eventHash)}`,
    );
  }
  return hashLeaf(Buffer.from(eventHash, "hex"));
}

/** Lowercase hex of a hash, the form checkpoints and proofs carry. */
export function hashHex(value: Hash): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
}

/** The largest power of two smaller than `n` (n >= 2): where RFC 9162 splits a tree of n leaves. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isOdd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);
const isSize = (x: number) => Number.isSafeInteger(x) && x >= 0;

/** Leaves [start, end) of the tree: one subtree whose hash a proof carries. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where the tree's hashes come from. Every range a proof or root asks for is
 * one the RFC's recursion produces: `start` is a multiple of the smallest
 * power of two not below `end - start`. So a source that keeps the hashes of
 * perfect subtrees (power-of-two sized and aligned) answers any of them from
 * O(log n) of those, and a store-backed source may read them from disk.
 */
export interface SubtreeHashes {
  /** MTH of leaves [start, end), 0 <= start < end <= the source's size. */
  subtreeHash(start: number, end: number): Hash;
}

/**
 * The subtrees whose hashes make the inclusion proof of leaf `index` in the
 * tree of `size` leaves, in proof order (RFC 9162 §2.1.3.1 PATH: the leaf's
 * sibling first, the root's child last). A source that must read its hashes
 * asynchronously reads these and sends them in this order.
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new InvalidArgError(`no leaf ${index} in a tree of size ${size}`);
  }
  const ranges: LeafRange[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      ranges.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      ranges.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return ranges.reverse();
}

/**
 * The subtrees whose hashes make the consistency proof from the tree of
 * `from` leaves to the tree of `to` leaves, in proof order (RFC 9162 §2.1.4.1
 * PROOF and SUBPROOF). Empty when `from` is 0 or equals `to`: every tree
 * extends the empty one and itself.
 */
export function consistencyRanges(from: number, to: number): LeafRange[] {
  if (!isSize(from) || !isSize(to) || from > to) {
    throw new InvalidArgError(`no consistency proof from size ${from} to size ${to}`);
  }
  if (from === 0 || from === to) return [];
  const ranges: LeafRange[] = [];
  let lo = 0;
  let hi = to;
  // SUBPROOF's flag: whether the old tree's root is still the subtree being
  // descended into, in which case the verifier already holds its hash.
  let wholeOldTree = true;
  while (from !== hi) {
    const k = splitPoint(hi - lo);
    if (from - lo <= k) {
      ranges.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      ranges.push({ start: lo, end: lo + k });
      lo += k;
      wholeOldTree = false;
    }
  }
  if (!wholeOldTree) ranges.push({ start: lo, end: hi });
  return ranges.reverse();
}

/** The inclusion proof of leaf `index` in the tree's first `size` leaves. */
export function inclusionProof(tree: SubtreeHashes, index: number, size: number): Hash[] {
  return inclusionRanges(index, size).map((r) => tree.subtreeHash(r.start, r.end));
}

/** The consistency proof from the tree's first `from` leaves to its first `to`. */
export function consistencyProof(tree: SubtreeHashes, from: number, to: number): Hash[] {
  return consistencyRanges(from, to).map((r) => tree.subtreeHash(r.start, r.end));
}

/**
 * RFC 9162's `fn` and `sn` while a verifier climbs: the node's index and the
 * last index at the current level. Division, not bit shifts, so sizes past
 * 2^31 stay exact.
 */
class PathCursor {
  constructor(
    public fn: number,
    public sn: number,
  ) {}

  /** The next path hash is the left sibling: the node is a right child, or the level's last node. */
  siblingOnLeft(): boolean {
    return isOdd(this.fn) || this.fn === this.sn;
  }

  /** A last node that is a left child has no sibling on the levels it is promoted through. */
  skipRightEdge(): void {
    while (!isOdd(this.fn) && this.fn !== 0) this.up();
  }

  up(): void {
    this.fn = half(this.fn);
    this.sn = half(this.sn);
  }
}

function equalHashes(a: Hash, b: Hash): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function checkLengths(path: readonly Hash[], fail: (reason: string) => Error): void {
  path.forEach((p, i) => {
    if (p.length !== HASH_BYTES)
      throw fail(`path element ${i} is ${p.length} bytes, not ${HASH_BYTES}`);
  });
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose
 * root is `root` (RFC 9162 §2.1.3.2). `size` and `root` must come together
 * from one signed checkpoint: a root only means something for its size.
 * @throws InclusionProofError naming why the proof fails.
 */
export function verifyInclusion(
  leafHash: Hash,
  index: number,
  size: number,
  path: readonly Hash[],
  root: Hash,
): void {
  const fail = (reason: string) =>
    new InclusionProofError(`leaf ${index} of a tree of size ${size}: ${reason}`);
  if (!isSize(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw fail("the index is outside the tree");
  }
  if (leafHash.length !== HASH_BYTES) throw fail(`the leaf hash is ${leafHash.length} bytes`);
  checkLengths(path, fail);
  const at = new PathCursor(index, size - 1);
  let r = leafHash;
  for (const p of path) {
    if (at.sn === 0) throw fail(`the path has ${path.length} hashes, more than the leaf's depth`);
    if (at.siblingOnLeft()) {
      r = hashChildren(p, r);
      at.skipRightEdge();
    } else {
      r = hashChildren(r, p);
    }
    at.up();
  }
  if (at.sn !== 0) throw fail(`the path has ${path.length} hashes, fewer than the leaf's depth`);
  if (!equalHashes(r, root)) {
    throw fail(`the path leads to root ${hashHex(r)}, not ${hashHex(root)}`);
  }
}

/**
 * Checks that the tree of `to` leaves with root `toRoot` extends the tree of
 * `from` leaves with root `fromRoot`: the same first `from` leaves, in the
 * same order (RFC 9162 §2.1.4.2). With `from` 0 the proof is empty and
 * `fromRoot` must be the empty root; with `from` equal to `to` the proof is
 * empty and the roots must be equal.
 * @throws ConsistencyProofError naming why the proof fails.
 */
export function verifyConsistency(
  from: number,
  to: number,
  path: readonly Hash[],
  fromRoot: Hash,
  toRoot: Hash,
): void {
  const fail = (reason: string) =>
    new ConsistencyProofError(`from size ${from} to size ${to}: ${reason}`);
  if (!isSize(from) || !isSize(to) || from > to) throw fail("the sizes are out of order");
  checkLengths(path, fail);
  if (from === 0 || from === to) {
    if (path.length > 0) throw fail(`the path must be empty, it has ${path.length} hashes`);
    const expected = from === 0 ? EMPTY_ROOT : toRoot;
    if (!equalHashes(fromRoot, expected)) {
      throw fail(`root ${hashHex(fromRoot)} is not ${hashHex(expected)}`);
    }
    return;
  }
  if (path.length === 0) throw fail("the path is empty");
  // A power-of-two old tree is a whole subtree of the new one: the proof
  // leaves its root out, since the verifier holds it.
  const hashes = 2 ** Math.round(Math.log2(from)) === from ? [fromRoot, ...path] : path;
  const at = new PathCursor(from - 1, to - 1);
  while (isOdd(at.fn)) at.up();
  let fr = hashes[0]!;
  let sr = fr;
  for (const c of hashes.slice(1)) {
    if (at.sn === 0) throw fail(`the path has ${path.length} hashes, more than it needs`);
    if (at.siblingOnLeft()) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      at.skipRightEdge();
    } else {
      sr = hashChildren(sr, c);
    }
    at.up();
  }
  if (at.sn !== 0) throw fail(`the path has ${path.length} hashes, fewer than it needs`);
  if (!equalHashes(fr, fromRoot)) {
    throw fail(`the path leads to old root ${hashHex(fr)}, not ${hashHex(fromRoot)}`);
  }
  if (!equalHashes(sr, toRoot)) {
    throw fail(`the path leads to new root ${hashHex(sr)}, not ${hashHex(toRoot)}`);
  }
}
