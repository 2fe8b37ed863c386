/**
 * The refusal of a request that reached a removed container, which has no
 * actor left to refuse it: journaled as an audit record in its tombstone's
 * stream. A live container's machine refuses on its own (rules.ts decides).
 */
import type { BerthError } from "../errors.js";
import {
  rejectedFact,
  type CommandBody,
  type ContainerRecord,
  type RequestMeta,
} from "../machines/index.js";
import type { ActorPool } from "./actor-pool.js";
import { appendFacts, type AppendDeps } from "./fact-append.js";

/**
 * A request that reached a removed container: its refusal goes into the
 * tombstone's stream (there is no actor left to send it to). Best effort: the
 * caller throws `error` whether or not this was journaled.
 */
export async function journalRefusalOfRemoved(
  pool: ActorPool,
  deps: AppendDeps,
  ref: string,
  body: CommandBody,
  meta: RequestMeta,
  error: BerthError,
): Promise<void> {
  const tomb = pool.registry.removed(ref);
  if (!tomb) return;
  const refused = rejectedFact(body, error.toJSON(), "removed");
  await deps.journal
    .projection(tomb.id)
    .then((before) =>
      appendFacts(deps, { id: tomb.id, before: before as ContainerRecord, facts: [refused], meta }),
    )
    .then(({ record }) => pool.registry.bury(record))
    .catch(() => undefined);
}
