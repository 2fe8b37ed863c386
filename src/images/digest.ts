/**
 * Content digests as the OCI image spec writes them: `sha256:<64 hex>`.
 * Only sha256 is accepted; it is what every registry and archive uses, and a
 * digest berth cannot verify is a digest it must not trust.
 */
import { createHash } from "node:crypto";
import { InvalidArgError } from "../errors.js";

/** A validated `sha256:<hex>` digest. */
export type Digest = `sha256:${string}`;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** True when `value` is a well-formed sha256 digest. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === "string" && DIGEST.test(value);
}

/** `value` as a Digest, or InvalidArgError naming `what` (a manifest field, a reference). */
export function parseDigest(value: unknown, what = "digest"): Digest {
  if (!isDigest(value))
    throw new InvalidArgError(
      `invalid ${what} ${JSON.stringify(value)}: use sha256: and 64 lowercase hex digits`,
    );
  return value;
}

/** The digest of bytes held in memory (a manifest, a config). */
export function digestOf(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The hex part of a digest: the blob's file name in the store. */
export const digestHex = (d: Digest): string => d.slice("sha256:".length);
