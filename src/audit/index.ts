/**
 * Audit evidence that does not rest on trusting the host: the journal's
 * RFC 6962 Merkle tree, inclusion and consistency proofs, and checkpoints
 * signed with the host's Ed25519 key. Pure: no I/O, only node:crypto; the
 * daemon keeps the key and the tree, the CLI prints and checks the proofs.
 * Imports only `src/errors.ts`.
 */
export {
  consistencyProof,
  consistencyRanges,
  EMPTY_ROOT,
  eventLeafHash,
  HASH_BYTES,
  hashChildren,
  hashHex,
  hashLeaf,
  inclusionProof,
  inclusionRanges,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type LeafRange,
  type SubtreeHashes,
} from "./merkle.js";
export { MemoryMerkleTree } from "./memory-tree.js";
export { MerkleFrontier, type FrontierJson, type NodePosition, type TreeNode } from "./frontier.js";
export {
  extendTree,
  perfectCover,
  readFrontier,
  readRoot,
  readSubtrees,
  type NodeReader,
} from "./tree-nodes.js";
export {
  CHECKPOINT_EVENT_TYPE,
  CHECKPOINT_HEADER,
  checkpointBody,
  CheckpointSchema,
  generateCheckpointKey,
  keyId,
  privateKeyPem,
  publicKeyOf,
  publicKeyPem,
  signCheckpoint,
  SignedCheckpointSchema,
  verifyCheckpoint,
  type Checkpoint,
  type KeyInput,
  type SignedCheckpoint,
} from "./checkpoint.js";
export {
  AuditProofSchema,
  buildConsistencyProof,
  buildInclusionProof,
  checkConsistencyProof,
  checkInclusionProof,
  checkProof,
  ConsistencyProofSchema,
  InclusionProofSchema,
  parseProof,
  PROOF_VERSION,
  type AuditProofJson,
  type ConsistencyProofJson,
  type InclusionProofJson,
} from "./proof.js";
export {
  compareWithWitness,
  type LocalEventDigest,
  type WitnessDifference,
  type WitnessDifferenceKind,
  type WitnessEventDigest,
  type WitnessInput,
  type WitnessReport,
} from "./witness.js";
