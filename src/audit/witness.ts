/**
 * Comparing a host's journal with an external witness: the copy of its
 * events that the relay published to JetStream, and the signed checkpoints
 * among them. Root on the host can rewrite the whole journal with a
 * recomputed hash chain and the local check passes; it cannot rewrite what
 * another machine already holds, nor sign an old root it never signed.
 *
 * What counts as a difference, and in what order one is named:
 *
 * 1. A checkpoint in the witness that does not verify under the auditor's key
 *    (a changed field or signature, another key's id: the key was replaced, or
 *    a checkpoint of another host) is named first, whatever its position.
 *    Checkpoints are the only signed statements the witness holds; when one is
 *    not the host's, the witness copy itself is in doubt (or the auditor holds
 *    the wrong key), and every other verdict would lean on it.
 * 2. Otherwise the earliest position wins, counting positions as the local
 *    journal's (position p is seq p): an event whose hash differs from the
 *    witness's copy (p = its seq); an event the witness holds beyond the local
 *    journal's end (p = the local size + 1: the journal was cut); a checkpoint
 *    whose root is not the local journal's root at its size (p = that size, the
 *    last event it covers). At one position an event beats a checkpoint: it is
 *    the more specific finding. The first checkpoint that fails is reported as
 *    well when an event came first, since its root is the signed evidence.
 *
 * Not differences: local events after the witness's last one (the relay has
 * not sent them yet: counted as lag), identical repeats in the stream (a
 * relay retry), and local events the stream lacks before its last one (aged
 * out by the stream's limits, or deleted there: counted as unwitnessed). A
 * witness holding two different events at one seq is a difference: the host
 * published that seq twice.
 *
 * Pure: no I/O. The caller reads both sides.
 */
import {
  CheckpointKeyMismatchError,
  CheckpointSignatureError,
  InvalidArgError,
  ProofMalformedError,
} from "../errors.js";
import {
  CHECKPOINT_EVENT_TYPE,
  publicKeyOf,
  verifyCheckpoint,
  type Checkpoint,
  type KeyInput,
} from "./checkpoint.js";
import { MemoryMerkleTree } from "./memory-tree.js";
import { eventLeafHash, hashHex } from "./merkle.js";

/** One event of the local journal, in stored order: position p holds seq p. */
export interface LocalEventDigest {
  seq: number;
  hash: string;
  /** For the report's wording only. */
  type?: string;
}

/** One message of the witness stream for this host, in stream order. */
export interface WitnessEventDigest {
  seq: number;
  hash: string;
  type: string;
  /** The signed checkpoint, for events of CHECKPOINT_EVENT_TYPE; not needed for others. */
  data?: unknown;
  /** The message's stream sequence, for the report's wording only. */
  streamSeq?: number;
}

export type WitnessDifferenceKind =
  /** The local event's hash is not the witness's copy's. */
  | "hash"
  /** The witness holds two different events at one seq. */
  | "conflict"
  /** The witness holds events (or a checkpoint covers events) past the local journal's end. */
  | "truncated"
  /** The local journal does not hold seq p at position p. */
  | "local"
  /** A checkpoint's signature does not cover its fields under the key. */
  | "signature"
  /** A checkpoint is signed by another key than the one given: the key was replaced. */
  | "key"
  /** A checkpoint event whose data is not a signed checkpoint. */
  | "malformed"
  /** A checkpoint of another host in this host's subjects. */
  | "host"
  /** A checkpoint's root is not the local journal's Merkle root at its size. */
  | "root"
  /** A checkpoint's head is not the hash of the local event at its size. */
  | "head";

export interface WitnessDifference {
  kind: WitnessDifferenceKind;
  /** 1-based position in the local journal the finding is about. */
  position: number;
  /** The seq concerned: the event's, or the checkpoint event's own. */
  seq?: number;
  reason: string;
}

export interface WitnessReport {
  ok: boolean;
  /** Local events whose hash equals the witness's copy. */
  matched: number;
  /** Witness checkpoints that verify under the key and match the local root at their size. */
  checkpoints: number;
  /** Local events after the witness's last event: not yet relayed. */
  lag: number;
  /** Local events up to the witness's last event that the witness does not hold. */
  unwitnessed: number;
  /** Identical repeats of one event in the stream. */
  duplicates: number;
  /** The difference to name, per the order in the module comment. */
  first?: WitnessDifference;
  /** The first checkpoint that fails, when it is not `first` itself. */
  checkpoint?: WitnessDifference;
}

export interface WitnessInput {
  local: readonly LocalEventDigest[];
  witness: readonly WitnessEventDigest[];
  /** The host's checkpoint public key (SPKI PEM or KeyObject); needed when the witness holds checkpoints. */
  publicKey?: KeyInput;
  /** The host id; checkpoints that name another are differences. */
  host?: string;
}

const short = (hash: string) => hash.slice(0, 12);
const typed = (type: string | undefined) => (type === undefined ? "" : ` (${type})`);

/** The witness's events by seq, the first copy of each, and the findings among repeats. */
function indexWitness(witness: readonly WitnessEventDigest[]) {
  const bySeq = new Map<number, WitnessEventDigest>();
  const conflicts: WitnessDifference[] = [];
  let duplicates = 0;
  for (const w of witness) {
    if (!Number.isSafeInteger(w.seq) || w.seq < 1)
      throw new InvalidArgError(`a witness event's seq is a positive integer, not ${w.seq}`);
    const seen = bySeq.get(w.seq);
    if (!seen) {
      bySeq.set(w.seq, w);
    } else if (seen.hash === w.hash) {
      duplicates += 1;
    } else {
      conflicts.push({
        kind: "conflict",
        position: w.seq,
        seq: w.seq,
        reason: `the witness holds two different events at seq ${w.seq} (hash ${short(seen.hash)} and ${short(w.hash)}): the host published it twice`,
      });
    }
  }
  return { bySeq, conflicts, duplicates };
}

/** Checks each checkpoint's signature, key and host; returns the valid ones and the first failure. */
function checkSignatures(
  checkpoints: readonly WitnessEventDigest[],
  publicKey: KeyInput | undefined,
  host: string | undefined,
): { valid: { event: WitnessEventDigest; checkpoint: Checkpoint }[]; failure?: WitnessDifference } {
  const valid: { event: WitnessEventDigest; checkpoint: Checkpoint }[] = [];
  if (checkpoints.length === 0) return { valid };
  if (publicKey === undefined)
    throw new InvalidArgError(
      `the witness holds ${checkpoints.length} checkpoints: the host's public key is needed to check them`,
    );
  let key: KeyInput;
  try {
    key = publicKeyOf(publicKey);
  } catch (err) {
    throw new InvalidArgError(
      `not an Ed25519 public key (SPKI PEM): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  for (const event of checkpoints) {
    const at = (kind: WitnessDifferenceKind, reason: string): WitnessDifference => ({
      kind,
      position: event.seq,
      seq: event.seq,
      reason,
    });
    let checkpoint: Checkpoint;
    try {
      checkpoint = verifyCheckpoint(event.data, key);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof CheckpointKeyMismatchError)
        return { valid, failure: at("key", `${message}: the key was replaced`) };
      if (err instanceof CheckpointSignatureError)
        return { valid, failure: at("signature", message) };
      if (err instanceof ProofMalformedError)
        return { valid, failure: at("malformed", `checkpoint event: ${message}`) };
      throw err;
    }
    if (host !== undefined && checkpoint.host !== host)
      return {
        valid,
        failure: at("host", `the checkpoint names host ${checkpoint.host}, not ${host}`),
      };
    valid.push({ event, checkpoint });
  }
  return { valid };
}

/** The first failure among valid checkpoints' roots and heads, and how many matched. */
function checkRoots(
  valid: readonly { event: WitnessEventDigest; checkpoint: Checkpoint }[],
  local: readonly LocalEventDigest[],
): { matched: number; failure?: WitnessDifference } {
  let tree: MemoryMerkleTree | undefined;
  let matched = 0;
  const failures: WitnessDifference[] = [];
  for (const { event, checkpoint } of valid) {
    const { size } = checkpoint;
    const at = (kind: WitnessDifferenceKind, position: number, reason: string) =>
      failures.push({
        kind,
        position,
        seq: event.seq,
        reason: `checkpoint at seq ${event.seq}: ${reason}`,
      });
    if (size > local.length) {
      at(
        "truncated",
        local.length + 1,
        `it covers ${size} events, the local journal holds ${local.length}: events were removed`,
      );
      continue;
    }
    tree ??= treeOf(local);
    const root = hashHex(tree.root(size));
    if (root !== checkpoint.root) {
      at(
        "root",
        size,
        `the signed root over events 1..${size} is ${short(checkpoint.root)}, the local journal's is ${short(root)}: an event up to seq ${size} was changed`,
      );
      continue;
    }
    const head = size === 0 ? "0".repeat(64) : local[size - 1]!.hash;
    if (head !== checkpoint.head) {
      at(
        "head",
        size,
        `the signed head is ${short(checkpoint.head)}, seq ${size}'s hash is ${short(head)}`,
      );
      continue;
    }
    matched += 1;
  }
  return { matched, ...(failures.length > 0 ? { failure: earliest(failures) } : {}) };
}

function treeOf(local: readonly LocalEventDigest[]): MemoryMerkleTree {
  const tree = new MemoryMerkleTree();
  for (const e of local) tree.append(eventLeafHash(e.hash));
  return tree;
}

/** The finding at the lowest position; the first given wins a tie. */
function earliest(found: readonly WitnessDifference[]): WitnessDifference | undefined {
  let best: WitnessDifference | undefined;
  for (const d of found) if (!best || d.position < best.position) best = d;
  return best;
}

/** The first local event that differs from the witness, and how the two sides line up. */
function compareEvents(
  local: readonly LocalEventDigest[],
  bySeq: ReadonlyMap<number, WitnessEventDigest>,
) {
  let matched = 0;
  let unwitnessed = 0;
  let failure: WitnessDifference | undefined;
  let last = 0;
  for (const seq of bySeq.keys()) if (seq > last) last = seq;
  for (let position = 1; position <= Math.min(last, local.length); position++) {
    const mine = local[position - 1]!;
    if (mine.seq !== position) {
      failure ??= {
        kind: "local",
        position,
        seq: mine.seq,
        reason: `the local journal holds seq ${mine.seq} at position ${position}: run audit verify without --witness`,
      };
      continue;
    }
    const theirs = bySeq.get(position);
    if (!theirs) {
      unwitnessed += 1;
    } else if (theirs.hash === mine.hash) {
      matched += 1;
    } else {
      failure ??= {
        kind: "hash",
        position,
        seq: position,
        reason: `the local event${typed(mine.type)} has hash ${short(mine.hash)}, the witness's copy${typed(theirs.type)} ${short(theirs.hash)}`,
      };
    }
  }
  if (last > local.length && (!failure || failure.position > local.length + 1)) {
    failure = {
      kind: "truncated",
      position: local.length + 1,
      seq: local.length + 1,
      reason: `the witness holds events up to seq ${last}, the local journal ends at seq ${local.length}: events were removed`,
    };
  }
  return { matched, unwitnessed, lag: Math.max(0, local.length - last), failure };
}

/**
 * Compares the local journal with the witness's copy of this host's events
 * and checkpoints, and names the first difference (see the module comment for
 * the order). Local events past the witness's end are lag, not a difference.
 * @throws InvalidArgError when a witness event has no usable seq, or the
 *   witness holds checkpoints and no usable public key is given.
 */
export function compareWithWitness(input: WitnessInput): WitnessReport {
  const { local, publicKey, host } = input;
  const { bySeq, conflicts, duplicates } = indexWitness(input.witness);
  const checkpointEvents = [...bySeq.values()]
    .filter((w) => w.type === CHECKPOINT_EVENT_TYPE)
    .sort((a, b) => a.seq - b.seq);
  const signatures = checkSignatures(checkpointEvents, publicKey, host);
  const events = compareEvents(local, bySeq);
  const roots = checkRoots(signatures.valid, local);
  const counts = {
    matched: events.matched,
    checkpoints: roots.matched,
    lag: events.lag,
    unwitnessed: events.unwitnessed,
    duplicates,
  };
  const eventFailure = earliest([...(events.failure ? [events.failure] : []), ...conflicts]);
  const checkpointFailure = signatures.failure ?? roots.failure;
  const first =
    signatures.failure ??
    earliest([...(eventFailure ? [eventFailure] : []), ...(roots.failure ? [roots.failure] : [])]);
  if (!first) return { ok: true, ...counts };
  return {
    ok: false,
    ...counts,
    first,
    ...(checkpointFailure && checkpointFailure !== first ? { checkpoint: checkpointFailure } : {}),
  };
}
