/**
 * Idempotency keys: a retried request gets the first answer back and causes
 * no second effect. The key is recorded in the same atomic batch as the
 * request's first event, so the answer can always be rebuilt from the
 * journal, even after a crash between the effect and the reply.
 */
import { createHash } from "node:crypto";
import { errorFromWire, InvalidArgError, RequestInterruptedError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import { canonicalJson } from "../events/index.js";
import { replay, type ContainerRecord } from "../machines/index.js";

/** What the journal keeps for a key. */
export interface IdempotencyRecord {
  container: string;
  requestId: string;
  fingerprint: string;
}

export const idempotencyMetaKey = (key: string) => `idem:${key}`;

/** Identifies what was asked, so a key reused for something else is refused. */
export function fingerprint(command: string, args: unknown): string {
  return createHash("sha256").update(canonicalJson({ command, args })).digest("hex");
}

/**
 * The fingerprint does not name the container, so a command also checks the
 * container it targets: the same command on another container is another request.
 */
export function sameRequestOrThrow(
  key: string,
  stored: IdempotencyRecord,
  now: string,
  container?: string,
): void {
  if (stored.fingerprint !== now || (container !== undefined && stored.container !== container)) {
    throw new InvalidArgError(
      `idempotency key ${JSON.stringify(key)} was already used for a different request`,
    );
  }
}

/**
 * The first answer, rebuilt: the container as of the request's last event,
 * or the error that event recorded.
 */
export function answerOf(events: CloudEvent[], requestId: string): ContainerRecord {
  const last = events.filter((e) => e.requestid === requestId).at(-1);
  if (!last) throw new InvalidArgError(`request ${requestId} left no event to answer from`);
  const data = last.data as { outcome?: string; error?: { code: string; message: string } };
  if (data.outcome === "failure" && data.error) throw errorFromWire(data.error);
  if (last.type === "io.berth.container.request") {
    // Only the intent is there: the daemon stopped (or the journal failed) before the outcome.
    throw new RequestInterruptedError(
      `request ${requestId} was interrupted before its outcome was recorded; see the container's history`,
    );
  }
  const record = replay(events.filter((e) => e.version <= last.version));
  if (!record) throw new InvalidArgError(`request ${requestId} left no container to answer with`);
  return record;
}
