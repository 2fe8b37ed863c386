/**
 * A Merkle tree held in memory with every perfect subtree's hash, level by
 * level: level h holds the roots of the aligned runs of 2^h leaves. Any
 * range a proof asks for is then at most O(log n) stored hashes and as many
 * node hashes, so proofs over a million leaves take microseconds; the cost
 * is about 64 bytes a leaf.
 */
import { InvalidArgError } from "../errors.js";
import { EMPTY_ROOT, HASH_BYTES, hashChildren, type Hash, type SubtreeHashes } from "./merkle.js";

const INITIAL_CAPACITY = 64;

/** An append-only in-memory Merkle tree that answers roots and proof hashes at any earlier size. */
export class MemoryMerkleTree implements SubtreeHashes {
  // One flat buffer a level, not an array of small buffers: a million
  // Uint8Array objects would cost more in headers than in hashes.
  readonly #levels: Uint8Array[] = [];
  readonly #counts: number[] = [];

  /** Leaves appended so far. */
  get size(): number {
    return this.#counts[0] ?? 0;
  }

  /** Appends one leaf hash (see `hashLeaf`, `eventLeafHash`) and the subtree roots it completes. */
  append(leafHash: Hash): void {
    if (leafHash.length !== HASH_BYTES) {
      throw new InvalidArgError(`a leaf hash is ${HASH_BYTES} bytes, not ${leafHash.length}`);
    }
    let level = 0;
    let node = leafHash;
    for (;;) {
      const count = this.#push(level, node);
      if (count % 2 === 1) return;
      node = hashChildren(this.#node(level, count - 2), this.#node(level, count - 1));
      level += 1;
    }
  }

  /** The root of the tree's first `size` leaves (all of them by default). */
  root(size = this.size): Hash {
    if (size === 0) return EMPTY_ROOT;
    return this.subtreeHash(0, size);
  }

  subtreeHash(start: number, end: number): Hash {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
      throw new InvalidArgError(`leaves [${start}, ${end}) are not a range`);
    }
    if (start < 0 || end <= start || end > this.size) {
      throw new InvalidArgError(`leaves [${start}, ${end}) are not in a tree of size ${this.size}`);
    }
    const width = end - start;
    const level = Math.round(Math.log2(width));
    if (2 ** level === width && start % width === 0)
      return this.#node(level, start / width).slice();
    let k = 1;
    while (k * 2 < width) k *= 2;
    return hashChildren(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
  }

  /** The stored hash, as a view: callers that keep it must copy it. */
  #node(level: number, index: number): Hash {
    const buffer = this.#levels[level]!;
    return buffer.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  /** Stores `node` as the next hash of `level`; returns that level's new count. */
  #push(level: number, node: Hash): number {
    const count = this.#counts[level] ?? 0;
    let buffer = this.#levels[level] ?? new Uint8Array(INITIAL_CAPACITY * HASH_BYTES);
    if ((count + 1) * HASH_BYTES > buffer.length) {
      const grown = new Uint8Array(buffer.length * 2);
      grown.set(buffer);
      buffer = grown;
    }
    buffer.set(node, count * HASH_BYTES);
    this.#levels[level] = buffer;
    this.#counts[level] = count + 1;
    return count + 1;
  }
}
