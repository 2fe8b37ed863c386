/**
 * Proofs as JSON documents an auditor can keep, pass around and check with
 * nothing but the host's public key: each carries the signed checkpoint(s)
 * it is checked against. Hashes are lowercase hex; `version` names this
 * layout, so a later one can be told apart.
 */
import { z } from "zod";
import { ConsistencyProofError, InclusionProofError, ProofMalformedError } from "../errors.js";
import { parseAuditJson, SignedCheckpointSchema, verifyCheckpoint } from "./checkpoint.js";
import type { Checkpoint, KeyInput, SignedCheckpoint } from "./checkpoint.js";
import {
  consistencyProof,
  hashHex,
  inclusionProof,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type SubtreeHashes,
} from "./merkle.js";

/** The proof layout this code writes and reads. */
export const PROOF_VERSION = 1;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits");
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const path = z.array(hex64).max(128);

/** That the event with hash-chain leaf `leafHash` is leaf `index` (seq index + 1) of the tree `checkpoint` signs. */
export const InclusionProofSchema = z.strictObject({
  version: z.literal(PROOF_VERSION),
  kind: z.literal("inclusion"),
  index: size,
  size,
  leafHash: hex64,
  path,
  checkpoint: SignedCheckpointSchema,
});
export type InclusionProofJson = z.infer<typeof InclusionProofSchema>;

const treeHead = z.strictObject({ size, root: hex64 });

/** That the tree `to` extends the tree `from`: the later checkpoint's journal begins with the earlier one's. */
export const ConsistencyProofSchema = z.strictObject({
  version: z.literal(PROOF_VERSION),
  kind: z.literal("consistency"),
  from: treeHead,
  to: treeHead,
  path,
  checkpoints: z.strictObject({ from: SignedCheckpointSchema, to: SignedCheckpointSchema }),
});
export type ConsistencyProofJson = z.infer<typeof ConsistencyProofSchema>;

export const AuditProofSchema = z.discriminatedUnion("kind", [
  InclusionProofSchema,
  ConsistencyProofSchema,
]);
export type AuditProofJson = z.infer<typeof AuditProofSchema>;

const fromHex = (h: string): Hash => Buffer.from(h, "hex");

/**
 * Reads a proof from its JSON text (or an already parsed value).
 * @throws ProofMalformedError naming what is wrong with it.
 */
export function parseProof(input: unknown): AuditProofJson {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new ProofMalformedError("a proof is JSON, and this is not", { cause: err });
    }
  }
  return parseAuditJson(AuditProofSchema, value, "not a berth proof");
}

/** The inclusion proof of leaf `index` under `checkpoint`, from a tree holding at least its size. */
export function buildInclusionProof(
  tree: SubtreeHashes,
  index: number,
  checkpoint: SignedCheckpoint,
): InclusionProofJson {
  return {
    version: PROOF_VERSION,
    kind: "inclusion",
    index,
    size: checkpoint.size,
    leafHash: hashHex(tree.subtreeHash(index, index + 1)),
    path: inclusionProof(tree, index, checkpoint.size).map(hashHex),
    checkpoint,
  };
}

/** The consistency proof from checkpoint `from` to checkpoint `to`, from a tree holding at least `to`'s size. */
export function buildConsistencyProof(
  tree: SubtreeHashes,
  from: SignedCheckpoint,
  to: SignedCheckpoint,
): ConsistencyProofJson {
  return {
    version: PROOF_VERSION,
    kind: "consistency",
    from: { size: from.size, root: from.root },
    to: { size: to.size, root: to.root },
    path: consistencyProof(tree, from.size, to.size).map(hashHex),
    checkpoints: { from, to },
  };
}

/**
 * Checks an inclusion proof with nothing but the host's public key, and
 * returns the checkpoint it holds under.
 * @throws ProofMalformedError, CheckpointKeyMismatchError, CheckpointSignatureError, InclusionProofError
 */
export function checkInclusionProof(proof: unknown, publicKey: KeyInput): Checkpoint {
  const p = parseAuditJson(InclusionProofSchema, proof, "not an inclusion proof");
  const checkpoint = verifyCheckpoint(p.checkpoint, publicKey);
  if (p.size !== checkpoint.size) {
    throw new InclusionProofError(
      `the proof is for a tree of size ${p.size}, its checkpoint signs size ${checkpoint.size}`,
    );
  }
  verifyInclusion(
    fromHex(p.leafHash),
    p.index,
    p.size,
    p.path.map(fromHex),
    fromHex(checkpoint.root),
  );
  return checkpoint;
}

/**
 * Checks a consistency proof with nothing but the host's public key, and
 * returns the two checkpoints it joins.
 * @throws ProofMalformedError, CheckpointKeyMismatchError, CheckpointSignatureError, ConsistencyProofError
 */
export function checkConsistencyProof(
  proof: unknown,
  publicKey: KeyInput,
): { from: Checkpoint; to: Checkpoint } {
  const p = parseAuditJson(ConsistencyProofSchema, proof, "not a consistency proof");
  const from = verifyCheckpoint(p.checkpoints.from, publicKey);
  const to = verifyCheckpoint(p.checkpoints.to, publicKey);
  if (from.host !== to.host) {
    throw new ConsistencyProofError(
      `the checkpoints are of two hosts, ${from.host} and ${to.host}`,
    );
  }
  for (const [end, head, signed] of [
    ["from", p.from, from],
    ["to", p.to, to],
  ] as const) {
    if (head.size !== signed.size || head.root !== signed.root) {
      throw new ConsistencyProofError(
        `the proof's ${end} tree (size ${head.size}, root ${head.root}) is not its checkpoint's (size ${signed.size}, root ${signed.root})`,
      );
    }
  }
  verifyConsistency(from.size, to.size, p.path.map(fromHex), fromHex(from.root), fromHex(to.root));
  return { from, to };
}

/** Checks either kind of proof. */
export function checkProof(
  proof: AuditProofJson,
  publicKey: KeyInput,
): Checkpoint | { from: Checkpoint; to: Checkpoint } {
  return proof.kind === "inclusion"
    ? checkInclusionProof(proof, publicKey)
    : checkConsistencyProof(proof, publicKey);
}
