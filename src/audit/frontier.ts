/**
 * The Merkle root kept as events are appended, in O(log n) memory: the roots
 * of the perfect subtrees the leaves so far make, one for each set bit of
 * the size, largest first (the tree's "compact range" from 0). The daemon
 * needs only this to sign checkpoints; proofs need the stored hashes.
 */
import { InvalidArgError } from "../errors.js";
import { EMPTY_ROOT, HASH_BYTES, hashChildren, hashHex, type Hash } from "./merkle.js";

/** A perfect subtree: leaves [index·2^level, (index+1)·2^level). */
export interface NodePosition {
  readonly level: number;
  readonly index: number;
}

/** A perfect subtree and its hash: what a store writes. */
export interface TreeNode extends NodePosition {
  readonly hash: Hash;
}

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
    this.appendNodes(leafHash);
  }

  /** Appends one leaf hash and returns the perfect subtrees it completes, the leaf first. */
  appendNodes(leafHash: Hash): TreeNode[] {
    if (leafHash.length !== HASH_BYTES) {
      throw new InvalidArgError(`a leaf hash is ${HASH_BYTES} bytes, not ${leafHash.length}`);
    }
    let node = leafHash;
    let index = this.#size;
    const nodes: TreeNode[] = [{ level: 0, index, hash: node }];
    for (let carry = this.#size; carry % 2 === 1; carry = Math.floor(carry / 2)) {
      node = hashChildren(this.#roots.pop()!, node);
      index = Math.floor(index / 2);
      nodes.push({ level: nodes.length, index, hash: node });
    }
    this.#roots.push(node);
    this.#size += 1;
    return nodes;
  }

  /** An independent copy: appends to it leave this one as it is. */
  clone(): MerkleFrontier {
    const copy = new MerkleFrontier();
    copy.#size = this.#size;
    copy.#roots.push(...this.#roots);
    return copy;
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

  /** A frontier from the roots of its perfect subtrees, largest first (one per set bit of `size`). */
  static fromHashes(size: number, hashes: readonly Hash[]): MerkleFrontier {
    return MerkleFrontier.fromJSON({ size, hashes: hashes.map(hashHex) });
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
