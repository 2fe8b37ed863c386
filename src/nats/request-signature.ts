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
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
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

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding, the encoding of NKeys; the caller has checked the text. */
function base32(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    value = (value << 5) | BASE32.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The raw 32-byte Ed25519 key inside an NKey public key: after its one prefix byte. */
const rawPublic = (publicKey: string) => base32(publicKey).subarray(1, 33).toString("base64url");

/*
 * Signing and verifying go through node:crypto (OpenSSL), not nkeys' pure-JS
 * Ed25519, which takes milliseconds per signature: on the daemon's event loop
 * that would let anyone who knows a listed public key stall it with forgeries.
 * nkeys still checks the encodings (prefix, checksum) first.
 */

/** A signer for one user seed (`SU...`); throws on anything else. */
export function seedSigner(seed: string): { publicKey: string; sign(data: Uint8Array): string } {
  const text = seed.trim();
  const publicKey = nkeys.fromSeed(new TextEncoder().encode(text)).getPublicKey();
  if (!publicKey.startsWith("U")) throw new Error("the NKey seed is not a user seed (SU...)");
  // A seed holds two prefix bytes, then the 32-byte Ed25519 seed.
  const d = base32(text).subarray(2, 34).toString("base64url");
  const key = createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d, x: rawPublic(publicKey) },
    format: "jwk",
  });
  return { publicKey, sign: (data) => sign(null, data, key).toString("base64url") };
}

/** Whether `publicKey` is a well-formed user NKey (`U...`, with a valid checksum). */
export function isUserKey(publicKey: string): boolean {
  try {
    return publicKey.startsWith("U") && nkeys.fromPublic(publicKey).getPublicKey() === publicKey;
  } catch {
    return false;
  }
}

/** The verifying key of a user NKey; throws unless `isUserKey`. */
export function userVerifyKey(publicKey: string): KeyObject {
  if (!isUserKey(publicKey)) throw new Error(`${publicKey} is not a user NKey`);
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: rawPublic(publicKey) },
    format: "jwk",
  });
}

/** Whether `signature` (base64url) is the signature of `data` by `key`. */
export function verifySignature(key: KeyObject, data: Uint8Array, signature: string): boolean {
  try {
    return verify(null, data, key, Buffer.from(signature, "base64url"));
  } catch {
    return false;
  }
}
