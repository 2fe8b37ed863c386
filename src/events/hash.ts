/**
 * The hash chain: each event's hash covers a canonical encoding of every
 * other attribute, including the previous event's hash, so a changed byte,
 * a removed event or a swap breaks the chain at a findable position.
 */
import { createHash } from "node:crypto";
import type { CloudEvent } from "./envelope.js";

/** The prevhash of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * JSON with object keys sorted at every depth: one byte string per value.
 * Values are taken as JSON.stringify writes them (toJSON, undefined or a
 * function in an array as null), because `audit verify` hashes the stored
 * JSON: an event must hash the same before and after its trip to disk. For
 * every value that already round-trips, this is the same string as before.
 */
export function canonicalJson(value: unknown): string {
  if (value !== null && typeof value === "object" && "toJSON" in value) {
    const toJSON = value.toJSON;
    if (typeof toJSON === "function") return canonicalJson((toJSON as () => unknown).call(value));
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined || typeof v === "function" ? "null" : canonicalJson(v))).join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && typeof v !== "function")
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
