/**
 * The Merkle root kept as events are appended, in O(log n) memory: the roots
 * of the perfect subtrees the leaves so far make, one for each set bit of
 * the size, largest first (the tree's "compact range" from 0). The daemon
 * needs only this to sign checkpoints; proofs need the stored hashes.
 */
import { InvalidArgError } from "../errors.js";
import { EMPTY_ROOT, HASH_BYTES, hashChildren, hashHex, type Hash } from "./merkle.js";

/** A frontier's JSON form, so a daemon can resume without rereading the journal. */
export interface FrontierJson {
  size: number;
  /** The perfect subtree roots, largest first, hex. */
  hashes: string[];
}

/** The right edge of an append-only Merkle tree: enough to append and to answer the root. */
export class MerkleFrontier {
  #size = 0;
  readonly #roots: Hash[] = [];

  /** Leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends one leaf hash; like a binary counter's carry, it merges the equal-sized subtrees at the end. */
  append(leafHash: Hash): void {
    if (leafHash.length !== HASH_BYTES) {
      throw new InvalidArgError(`a leaf hash is ${HASH_BYTES} bytes, not ${leafHash.length}`);
    }
    let node = leafHash;
    for (let carry = this.#size; carry % 2 === 1; carry = Math.floor(carry / 2)) {
      node = hashChildren(this.#roots.pop()!, node);
    }
    this.#roots.push(node);
    this.#size += 1;
  }

  /** The root over every leaf appended. */
  root(): Hash {
    let root = this.#roots.at(-1);
    if (root === undefined) return EMPTY_ROOT;
    for (let i = this.#roots.length - 2; i >= 0; i--) root = hashChildren(this.#roots[i]!, root);
    return root;
  }

  toJSON(): FrontierJson {
    return { size: this.#size, hashes: this.#roots.map(hashHex) };
  }

  /** Rebuilds a frontier from its JSON form, checking that it has one hash per set bit of the size. */
  static fromJSON(json: FrontierJson): MerkleFrontier {
    const { size, hashes } = json;
    const bits =
      Number.isSafeInteger(size) && size >= 0 ? size.toString(2).replace(/0/g, "").length : -1;
    if (bits !== hashes.length || !hashes.every((h) => /^[0-9a-f]{64}$/.test(h))) {
      throw new InvalidArgError(
        `a frontier of size ${size} holds one 64-hex-digit hash per set bit of its size`,
      );
    }
    const frontier = new MerkleFrontier();
    frontier.#size = size;
    for (const h of hashes) frontier.#roots.push(Buffer.from(h, "hex"));
    return frontier;
  }
}
