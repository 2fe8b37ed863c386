/**
 * The Merkle tree as a store keeps it: the hash of every perfect subtree
 * (2^level leaves, aligned), each written once. Appending leaf n completes
 * the leaf and one node per level it closes (two a leaf on average); a
 * store may keep only the higher levels and recompute the rest from the
 * leaves. Any root or proof hash at any earlier size is then O(log n)
 * nodes, read in one go.
 */
import { InternalError, InvalidArgError } from "../errors.js";
import { MerkleFrontier, type NodePosition, type TreeNode } from "./frontier.js";
import {
  EMPTY_ROOT,
  hashChildren,
  type Hash,
  type LeafRange,
  type SubtreeHashes,
} from "./merkle.js";

/** Reads stored perfect-subtree hashes, in the order asked; a store fills it. */
export type NodeReader = (positions: NodePosition[]) => Promise<Hash[]>;

const positionKey = (p: NodePosition) => `${p.level}:${p.index}`;

/**
 * The perfect subtrees that make leaves [start, end), left to right, largest
 * possible at each step. For the ranges RFC 9162's recursion produces (and
 * for [0, size)), these are exactly the pieces its hash combines.
 */
export function perfectCover(start: number, end: number): NodePosition[] {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new InvalidArgError(`leaves [${start}, ${end}) are not a range`);
  }
  const cover: NodePosition[] = [];
  let at = start;
  while (at < end) {
    let width = 1;
    while (at % (width * 2) === 0 && at + width * 2 <= end) width *= 2;
    cover.push({ level: Math.log2(width), index: at / width });
    at += width;
  }
  return cover;
}

/** Combines a range's perfect pieces right to left, as the RFC's recursion nests them. */
function combine(pieces: Hash[]): Hash {
  let acc = pieces.at(-1);
  if (acc === undefined) return EMPTY_ROOT;
  for (let i = pieces.length - 2; i >= 0; i--) acc = hashChildren(pieces[i]!, acc);
  return acc;
}

/**
 * The subtree hashes a set of ranges needs, read from a store in one call
 * and answered synchronously after, so the pure proof builders can use them.
 */
export async function readSubtrees(
  ranges: readonly LeafRange[],
  read: NodeReader,
): Promise<SubtreeHashes> {
  const wanted = new Map<string, NodePosition>();
  for (const r of ranges)
    for (const p of perfectCover(r.start, r.end)) wanted.set(positionKey(p), p);
  const positions = [...wanted.values()];
  const hashes = await read(positions);
  const known = new Map(positions.map((p, i) => [positionKey(p), hashes[i]!]));
  return {
    subtreeHash(start: number, end: number): Hash {
      const pieces = perfectCover(start, end).map((p) => {
        const h = known.get(positionKey(p));
        if (!h) throw new InternalError(`leaves [${start}, ${end}) were not read`);
        return h;
      });
      return combine(pieces);
    },
  };
}

/** The root of the first `size` leaves, from stored nodes. */
export async function readRoot(size: number, read: NodeReader): Promise<Hash> {
  if (size === 0) return EMPTY_ROOT;
  return (await readSubtrees([{ start: 0, end: size }], read)).subtreeHash(0, size);
}

/** A frontier resumed from stored nodes: the perfect subtrees of [0, size). */
export async function readFrontier(size: number, read: NodeReader): Promise<MerkleFrontier> {
  const positions = perfectCover(0, size);
  return MerkleFrontier.fromHashes(size, await read(positions));
}

/**
 * Appends leaves to a copy of `frontier`: the copy, and the nodes the store
 * must write (each leaf, and each subtree it completes). The frontier given
 * is untouched, so a failed write leaves the store's in-memory tree as the
 * disk has it.
 */
export function extendTree(
  frontier: MerkleFrontier,
  leaves: readonly Hash[],
): { frontier: MerkleFrontier; nodes: TreeNode[] } {
  const next = frontier.clone();
  const nodes: TreeNode[] = [];
  for (const leaf of leaves) nodes.push(...next.appendNodes(leaf));
  return { frontier: next, nodes };
}
