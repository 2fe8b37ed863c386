/**
 * The hash chain: each event's hash covers a canonical encoding of every
 * other attribute, including the previous event's hash, so a changed byte,
 * a removed event or a swap breaks the chain at a findable position.
 */
import { createHash } from "node:crypto";
import type { CloudEvent } from "./envelope.js";

/** The prevhash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/** JSON with object keys sorted at every depth: one byte string per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 over the canonical encoding of the event without its own hash. */
export function eventHash(event: Omit<CloudEvent, "hash">): string {
  const { hash: _ignored, ...rest } = event as CloudEvent;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}
