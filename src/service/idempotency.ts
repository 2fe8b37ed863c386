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
import type { Journal } from "../store/index.js";

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

/**
 * Runs each request once per idempotency key: a retry while it runs waits for
 * it; a retry afterwards gets the answer rebuilt from the journal.
 */
export class IdempotentRequests {
  private readonly inflight = new Map<
    string,
    IdempotencyRecord & { answer: Promise<ContainerRecord> }
  >();

  constructor(private readonly journal: Journal) {}

  /**
   * `command` and `args` identify what was asked; `target` is the container a
   * command names (none for create).
   */
  async run(
    key: string | undefined,
    requestId: string,
    request: { command: string; args: unknown; target?: string },
    run: () => Promise<ContainerRecord>,
  ): Promise<ContainerRecord> {
    if (!key) return run();
    const { target } = request;
    const print = fingerprint(request.command, request.args);
    const inflight = this.inflight.get(key);
    if (inflight) {
      sameRequestOrThrow(key, inflight, print, target);
      return inflight.answer;
    }
    // Registered before any await, so a concurrent retry always finds it.
    const answer = (async () => {
      const raw = await this.journal.getMeta(idempotencyMetaKey(key));
      if (!raw) return run();
      const stored = JSON.parse(raw) as IdempotencyRecord;
      sameRequestOrThrow(key, stored, print, target);
      return answerOf(await this.journal.readStream(stored.container), stored.requestId);
    })();
    this.inflight.set(key, { container: target ?? "", requestId, fingerprint: print, answer });
    try {
      return await answer;
    } finally {
      this.inflight.delete(key);
    }
  }
}
