/**
 * Placement shared by every adapter: checks expected versions, assigns the
 * global sequence and stream versions, chains hashes, and grows the Merkle
 * tree over them. Pure, so a failed write leaves the in-memory head and tree
 * untouched.
 */
import { eventLeafHash, extendTree, type MerkleFrontier, type TreeNode } from "../audit/index.js";
import type { CloudEvent } from "../events/index.js";
import { eventHash } from "../events/index.js";
import { VersionConflictError } from "../errors.js";
import type { AppendInput, JournalHead } from "./journal.js";

export interface Placed {
  input: AppendInput;
  events: CloudEvent[];
}

export interface Plan {
  head: JournalHead;
  versions: Map<string, number>;
  placed: Placed[];
  /** Appends whose expected version did not hold, with their error. */
  conflicts: { input: AppendInput; error: VersionConflictError }[];
  /** The tree after the placed events, and the nodes to write with them (leaf i is seq i + 1). */
  tree: { frontier: MerkleFrontier; nodes: TreeNode[] };
}

/**
 * Places a group of appends after `head` and `tree` (the tree over the events
 * up to `head`); `versionOf` gives each stream's durable version.
 */
export function plan(
  head: JournalHead,
  tree: MerkleFrontier,
  inputs: AppendInput[],
  versionOf: (stream: string) => number,
): Plan {
  const versions = new Map<string, number>();
  const placed: Placed[] = [];
  const conflicts: Plan["conflicts"] = [];
  let { seq, hash } = head;
  for (const input of inputs) {
    const current = versions.get(input.stream) ?? versionOf(input.stream);
    if (current !== input.expectedVersion) {
      const error = new VersionConflictError(
        `stream ${input.stream} is at version ${current}, expected ${input.expectedVersion}`,
      );
      conflicts.push({ input, error });
      continue;
    }
    const events = input.events.map((e, i) => {
      seq += 1;
      const unhashed = { ...e, seq, version: current + i + 1, prevhash: hash };
      hash = eventHash(unhashed);
      return { ...unhashed, hash };
    });
    versions.set(input.stream, current + events.length);
    placed.push({ input, events });
  }
  const leaves = placed.flatMap((p) => p.events.map((e) => eventLeafHash(e.hash)));
  return { head: { seq, hash }, versions, placed, conflicts, tree: extendTree(tree, leaves) };
}
