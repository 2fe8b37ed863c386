/**
 * Signed NATS API requests. A caller proves who it is with its user NKey
 * (Ed25519): it signs the request's subject, the headers that change what the
 * request does, a timestamp, a nonce and a digest of the payload. The daemon
 * checks the signature against the public key the request names; the key's
 * name and role come from the daemon's allow-list (api-keys.ts), and replays
 * are caught by the nonce (replay-guard.ts).
 *
 * The reply subject is not signed: NATS picks it per request, and a request
 * cannot be accepted twice anyway, so a copy sent with another reply subject
 * is refused as a replay.
 */
import { createHash, randomBytes } from "node:crypto";
import { nkeys } from "@nats-io/transport-node";

/** The headers a signed request carries, besides the request metadata ones. */
export const SIGNATURE_HEADERS = {
  key: "Berth-Key",
  time: "Berth-Time",
  nonce: "Berth-Nonce",
  signature: "Berth-Signature",
} as const;

/** The headers that change what a request does: signed, so they cannot be swapped in transit. */
export const SIGNED_META_HEADERS = ["Berth-Request-Id", "Idempotency-Key", "If-Match"] as const;

/** What one request signs: everything that decides its effect. */
export interface SignedParts {
  subject: string;
  /** Milliseconds since the epoch, as sent. */
  time: string;
  nonce: string;
  /** Reads a request header by name; the SIGNED_META_HEADERS are signed ("" when absent). */
  meta: (name: string) => string | undefined;
  payload: Uint8Array;
}

/**
 * The exact bytes that are signed. Fields are joined by newlines; none may hold
 * one (subjects and header values cannot), so two requests never share a text.
 */
export function signedText(parts: SignedParts): Uint8Array {
  const digest = createHash("sha256").update(parts.payload).digest("hex");
  const meta = SIGNED_META_HEADERS.map((h) => parts.meta(h) ?? "");
  const text = ["berth-nats-api-v1", parts.subject, parts.time, parts.nonce, ...meta, digest];
  return new TextEncoder().encode(text.join("\n"));
}

/** A fresh nonce: 16 random bytes, base64url. */
export function newNonce(): string {
  return randomBytes(16).toString("base64url");
}

/** A signer for one user seed (`SU...`); throws on anything else. */
export function seedSigner(seed: string): { publicKey: string; sign(data: Uint8Array): string } {
  const pair = nkeys.fromSeed(new TextEncoder().encode(seed.trim()));
  const publicKey = pair.getPublicKey();
  if (!publicKey.startsWith("U")) throw new Error("the NKey seed is not a user seed (SU...)");
  return {
    publicKey,
    sign: (data) => Buffer.from(pair.sign(data)).toString("base64url"),
  };
}

/** Whether `publicKey` is a well-formed user NKey (`U...`, with a valid checksum). */
export function isUserKey(publicKey: string): boolean {
  try {
    return publicKey.startsWith("U") && nkeys.fromPublic(publicKey).getPublicKey() === publicKey;
  } catch {
    return false;
  }
}

/** Whether `signature` (base64url) is `publicKey`'s signature of `data`. */
export function verifySignature(publicKey: string, data: Uint8Array, signature: string): boolean {
  try {
    return nkeys.fromPublic(publicKey).verify(data, Buffer.from(signature, "base64url"));
  } catch {
    return false;
  }
}
