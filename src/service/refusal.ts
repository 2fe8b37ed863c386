/**
 * Refusals: whether a request may run on a container (If-Match, the state
 * rules, dependencies), and how a refused one is journaled as an audit
 * record while the container stays as it was.
 */
import type { BerthError } from "../errors.js";
import { CtrHasDependentsError, VersionConflictError } from "../errors.js";
import {
  rejectedFact,
  rejection,
  type CommandBody,
  type ContainerRecord,
  type RequestMeta,
} from "../machines/index.js";
import type { ActorPool, Entry } from "./actor-pool.js";
import { recordOf } from "./actor-pool.js";
import { dependencyError, notRunning } from "./dependencies.js";
import { appendFacts, type AppendDeps } from "./fact-append.js";
import { listContainers } from "./queries.js";

/**
 * Throws the refusal of `body` on a live container, after journaling it
 * through the machine (REJECT). Returns when the command may run.
 */
export async function refuseIfForbidden(
  pool: ActorPool,
  entry: Entry,
  body: CommandBody,
  meta: RequestMeta,
): Promise<void> {
  const before = recordOf(entry);
  const refused =
    staleVersion(before, meta) ?? rejection(before, body) ?? dependencyProblem(pool, before, body);
  if (!refused) return;
  // The refusal is journaled as an audit record; if even that fails, the refusal still stands.
  const reject = { type: "REJECT" as const, command: body, error: refused.toJSON(), meta };
  await pool.send(entry, reject).catch(() => undefined);
  throw refused;
}

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
  await appendFacts(deps, { id: tomb.id, before: tomb, facts: [refused], meta })
    .then(({ record }) => pool.registry.bury(record))
    .catch(() => undefined);
}

/** If-Match: the request was built on a version that is no longer current. */
function staleVersion(record: ContainerRecord, meta: RequestMeta): BerthError | undefined {
  if (meta.expectedVersion === undefined || meta.expectedVersion === record.version)
    return undefined;
  return new VersionConflictError(
    `container ${record.id} is at version ${record.version}, the request expected ${meta.expectedVersion}`,
  );
}

/** Dependencies down for a start, or dependents still there for a removal. */
function dependencyProblem(
  pool: ActorPool,
  record: ContainerRecord,
  body: CommandBody,
): BerthError | undefined {
  if (body.type === "START" || body.type === "INIT" || body.type === "RESTART") {
    const down = notRunning(record, (id) => pool.registry.find(id));
    if (down.length > 0) return dependencyError(record, down);
  }
  if (body.type === "REMOVE") {
    const dependents = listContainers(pool, true).filter((r) => r.requires.includes(record.id));
    if (dependents.length > 0) {
      const ids = dependents.map((d) => d.id).join(",");
      return new CtrHasDependentsError(
        `container ${record.id} has dependent containers which must be removed before it: ${ids}`,
      );
    }
  }
  return undefined;
}
