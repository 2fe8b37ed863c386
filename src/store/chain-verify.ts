/**
 * Verifying the journal's hash chain: every event must carry the next
 * sequence, the previous event's hash, and a hash that matches its own
 * canonical encoding; the last one must be the recorded head. A changed byte,
 * a removed event and swapped events each break one of these at a position
 * that is reported.
 */
import { CloudEventSchema, eventHash, GENESIS_HASH, type CloudEvent } from "../events/index.js";
import type { JournalHead } from "./journal.js";

export interface ChainReport {
  ok: boolean;
  /** Events examined. */
  checked: number;
  /** The first problem: its position (1-based, in stored order), the seq it claims, and why. */
  firstBad?: { position: number; seq?: number; reason: string };
}

/** Walks `events` (raw JSON text or parsed) in stored order; `head` is what the journal says its newest event is. */
export async function verifyChain(
  events: AsyncIterable<unknown>,
  head: JournalHead,
  onProgress?: (checked: number) => void,
): Promise<ChainReport> {
  let position = 0;
  let prev = { seq: 0, hash: GENESIS_HASH };
  const bad = (reason: string, seq?: number): ChainReport => ({
    ok: false,
    checked: position,
    firstBad: { position, ...(seq === undefined ? {} : { seq }), reason },
  });
  for await (const raw of events) {
    position += 1;
    if (position % 10_000 === 0) onProgress?.(position);
    let value: unknown = raw;
    if (typeof raw === "string") {
      try {
        value = JSON.parse(raw);
      } catch {
        return bad("stored bytes are not valid JSON");
      }
    }
    // The schema checks the shape; the hash is computed over the event exactly as stored,
    // so an attribute added to the stored bytes breaks the chain too.
    const parsed = CloudEventSchema.safeParse(value);
    if (!parsed.success)
      return bad(`not a valid event: ${parsed.error.issues[0]?.message ?? "schema"}`);
    const e: CloudEvent = parsed.data;
    if (e.seq !== prev.seq + 1)
      return bad(`expected seq ${prev.seq + 1}, found seq ${e.seq}`, e.seq);
    if (e.prevhash !== prev.hash)
      return bad(`prevhash does not match the hash of seq ${prev.seq}`, e.seq);
    if (eventHash(value as CloudEvent) !== e.hash) {
      return bad("hash does not match the event's content", e.seq);
    }
    prev = { seq: e.seq, hash: e.hash };
  }
  if (prev.seq !== head.seq || prev.hash !== head.hash) {
    position += 1;
    return bad(
      `journal ends at seq ${prev.seq} but its head says seq ${head.seq}: events are missing at the end`,
    );
  }
  return { ok: true, checked: position };
}
