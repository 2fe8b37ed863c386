/**
 * Replay: rebuild a container's record from its journal events with the pure
 * `evolve`. No effect runs, so replay is safe at any time and on any copy.
 */
import { InternalError } from "../errors.js";
import { evolve } from "./evolve.js";
import { ACTIONS, type Action, type Fact } from "./facts.js";
import type { ContainerRecord } from "./record.js";

/** The part of a journal event that replay reads. */
export interface StoredFact {
  type: string;
  subject: string;
  time: string;
  version: number;
  data: unknown;
}

/** The CloudEvents type of an action. */
export const eventType = (action: Action) => `io.berth.container.${action}`;

const byType = new Map<string, Action>(ACTIONS.map((a) => [eventType(a), a]));

/** Turns a stored event back into the fact it recorded. */
export function toFact(event: StoredFact): Fact {
  const action = byType.get(event.type);
  if (!action)
    throw new InternalError(`unknown event type ${event.type} at version ${event.version}`);
  return { action, data: event.data } as Fact;
}

/** Folds events (in stream order) into a record; undefined for an empty stream. */
export function replay(
  events: Iterable<StoredFact>,
  from?: ContainerRecord,
): ContainerRecord | undefined {
  let record = from;
  for (const e of events) {
    record = evolve(record, toFact(e), { id: e.subject, time: e.time, version: e.version });
  }
  return record;
}
