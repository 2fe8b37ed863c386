/**
 * Signed checkpoints: a host's statement, under its Ed25519 key, of how long
 * its journal was, the Merkle root over those events, the chain's head hash,
 * and when. An auditor who holds the host's public key and one checkpoint can
 * check any proof against it without trusting the host again.
 *
 * The bytes signed are a fixed-order text, one field a line, each line ended
 * by "\n", nothing else:
 *
 *     berth-checkpoint/v1
 *     <host>
 *     <size, decimal>
 *     <root, 64 lowercase hex digits>
 *     <head: the newest event's hash, 64 lowercase hex digits; 64 zeros when size is 0>
 *     <time, RFC 3339>
 *
 * A text form (like transparency logs' checkpoints) rather than JSON, so no
 * two encodings of one checkpoint exist and a person can read what was signed.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { z } from "zod";
import {
  type BerthError,
  CheckpointKeyMismatchError,
  CheckpointSignatureError,
  InvalidArgError,
  ProofMalformedError,
} from "../errors.js";

/**
 * The journal event type of a checkpoint: its data is the signed checkpoint,
 * its subject the root it signs. Not `…checkpoint`: on NATS the subject's last
 * token is the action alone, and `checkpoint` is a container's CRIU checkpoint.
 */
export const CHECKPOINT_EVENT_TYPE = "io.berth.audit.signed_checkpoint";

/** The first line of a checkpoint's signed form; a new form gets a new version. */
export const CHECKPOINT_HEADER = "berth-checkpoint/v1";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits");

/** What a checkpoint states. */
export const CheckpointSchema = z.strictObject({
  /** The host's id, as in its events' `source` (berth://HOST). */
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[^\s/]+$/, "no whitespace or slash"),
  /** Events in the journal, hence leaves in the tree. */
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  root: hex64,
  head: hex64,
  time: z.iso.datetime({ offset: true }),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** A checkpoint with the id of the key that signed it and the signature (base64) over its signed form. */
export const SignedCheckpointSchema = CheckpointSchema.extend({
  keyId: z.string().regex(/^[0-9a-f]{16}$/, "16 lowercase hex digits"),
  // Canonical base64 only: a lenient decoder reads several spellings of the
  // last character as the same bytes, and an altered proof must not verify.
  signature: z
    .base64()
    .length(88, "an Ed25519 signature: 64 bytes in base64")
    .refine((s) => Buffer.from(s, "base64").toString("base64") === s, "canonical base64"),
});
export type SignedCheckpoint = z.infer<typeof SignedCheckpointSchema>;

/** A key as callers hold it: a KeyObject, or PEM text (PKCS#8 private, SPKI public). */
export type KeyInput = KeyObject | string;

/** The exact bytes a checkpoint's signature covers (see the module comment). */
export function checkpointBody(checkpoint: Checkpoint): Buffer {
  const { host, size, root, head, time } = checkpoint;
  return Buffer.from([CHECKPOINT_HEADER, host, String(size), root, head, time, ""].join("\n"));
}

function ed25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new InvalidArgError(`checkpoints are signed with Ed25519, not ${key.asymmetricKeyType}`);
  }
  return key;
}

const privateKeyOf = (key: KeyInput) =>
  ed25519(typeof key === "string" ? createPrivateKey(key) : key);

/** The public key of a private or public key, or of SPKI PEM text. */
export function publicKeyOf(key: KeyInput): KeyObject {
  if (typeof key === "string") return ed25519(createPublicKey(key));
  return ed25519(key.type === "public" ? key : createPublicKey(key));
}

/** A new Ed25519 key pair for a host. */
export function generateCheckpointKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ed25519");
}

/** The private key as PKCS#8 PEM, the form the daemon keeps on disk. */
export function privateKeyPem(key: KeyInput): string {
  return privateKeyOf(key).export({ type: "pkcs8", format: "pem" }).toString();
}

/** The public key as SPKI PEM: the stable text `berth audit key` prints and auditors keep. */
export function publicKeyPem(key: KeyInput): string {
  return publicKeyOf(key).export({ type: "spki", format: "pem" }).toString();
}

/** A short name for a public key: the first 16 hex digits of SHA-256 over its SPKI DER. */
export function keyId(key: KeyInput): string {
  const der = publicKeyOf(key).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16);
}

function parsed<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  Err: new (message: string, options: { cause: unknown }) => BerthError,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Err(`${what}: ${z.prettifyError(result.error)}`, { cause: result.error });
  }
  return result.data;
}

/** Signs a checkpoint with the host's private key. */
export function signCheckpoint(checkpoint: Checkpoint, privateKey: KeyInput): SignedCheckpoint {
  const valid = parsed(CheckpointSchema, checkpoint, "not a checkpoint", InvalidArgError);
  const key = privateKeyOf(privateKey);
  const signature = sign(null, checkpointBody(valid), key).toString("base64");
  return { ...valid, keyId: keyId(key), signature };
}

/**
 * Checks a signed checkpoint against the host's published public key and
 * returns what it states.
 * @throws ProofMalformedError when it is not a signed checkpoint at all.
 * @throws CheckpointKeyMismatchError when it names another key: the host's key was replaced.
 * @throws CheckpointSignatureError when the signature does not cover these fields under this key.
 */
export function verifyCheckpoint(signed: unknown, publicKey: KeyInput): Checkpoint {
  const {
    keyId: signer,
    signature,
    ...checkpoint
  } = parsed(SignedCheckpointSchema, signed, "not a signed checkpoint", ProofMalformedError);
  const key = publicKeyOf(publicKey);
  const expected = keyId(key);
  if (signer !== expected) {
    throw new CheckpointKeyMismatchError(
      `the checkpoint of ${checkpoint.host} at size ${checkpoint.size} is signed by key ${signer}, not by ${expected}`,
    );
  }
  if (!verify(null, checkpointBody(checkpoint), key, Buffer.from(signature, "base64"))) {
    throw new CheckpointSignatureError(
      `the checkpoint of ${checkpoint.host} at size ${checkpoint.size} does not verify under key ${expected}: a field or the signature was changed`,
    );
  }
  return checkpoint;
}

/** Parses a schema-checked value, naming the problem in a ProofMalformedError. */
export function parseAuditJson<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  return parsed(schema, value, what, ProofMalformedError);
}
