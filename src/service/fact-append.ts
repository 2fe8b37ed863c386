/**
 * The one path by which a container's facts reach the journal: envelopes,
 * the projection they lead to, the expected stream version and any
 * idempotency key, in one atomic batch that is durable when it resolves.
 */
import { InternalError } from "../errors.js";
import { envelope } from "../events/index.js";
import {
  evolve,
  type ContainerRecord,
  type Fact,
  type FactPosition,
  type PersistInput,
  type PersistOutput,
  type RequestMeta,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { fingerprint, idempotencyMetaKey, type IdempotencyRecord } from "./idempotency.js";

/** Where facts are journaled, and the host named in their envelopes. */
export interface AppendDeps {
  host: string;
  journal: Journal;
}

/** Facts to append to one container's stream. */
export interface FactsToAppend {
  /** The container's id: its stream and the events' subject. */
  id: string;
  /** The container before these facts; undefined when they start its stream. */
  before: ContainerRecord | undefined;
  facts: Fact[];
  meta: RequestMeta;
  /** What the request's idempotency key (if any) answers for, recorded in the same batch. */
  keyFor?: { command: string; args: unknown };
}

/**
 * Appends the facts with the projection they lead to; fails (and writes
 * nothing) if the stream has moved past `before`. Resolves once durable.
 */
export async function appendFacts(
  deps: AppendDeps,
  { id, before, facts, meta, keyFor }: FactsToAppend,
): Promise<{ at: FactPosition; record: ContainerRecord }> {
  const expectedVersion = before?.version ?? 0;
  const at = { id, time: new Date().toISOString(), version: expectedVersion + 1 };
  const record = facts.reduce<ContainerRecord | undefined>(
    (r, f, i) => evolve(r, f, { ...at, version: at.version + i }),
    before,
  );
  if (!record || facts.length === 0) throw new InternalError(`no facts to append to ${id}`);
  const key = meta.idempotencyKey;
  const entry: IdempotencyRecord | undefined =
    key && keyFor
      ? {
          container: id,
          requestId: meta.requestId,
          fingerprint: fingerprint(keyFor.command, keyFor.args),
        }
      : undefined;
  await deps.journal.append({
    stream: id,
    expectedVersion,
    events: facts.map((f) => envelope(f, { host: deps.host, subject: id, time: at.time, meta })),
    projection: record,
    ...(key && entry ? { meta: { [idempotencyMetaKey(key)]: JSON.stringify(entry) } } : {}),
  });
  return { at, record };
}

/**
 * The machine's `persist` effect. With a request's first event (its intent or
 * refusal), the idempotency key goes into the same batch.
 */
export async function persistFacts(
  deps: AppendDeps,
  { record, facts, meta }: PersistInput,
): Promise<PersistOutput> {
  // A reconcile that found nothing to correct has nothing to make durable.
  if (facts.length === 0) {
    return { id: record.id, time: new Date().toISOString(), version: record.version + 1 };
  }
  const first = facts[0];
  const request =
    first?.action === "request" ? (first.data as { command?: string; args?: unknown }) : undefined;
  const keyFor = request ? { command: request.command ?? "", args: request.args ?? {} } : undefined;
  const { at } = await appendFacts(deps, { id: record.id, before: record, facts, meta, keyFor });
  return at;
}
