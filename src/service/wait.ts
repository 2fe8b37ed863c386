/**
 * Podman's wait: resolves once a container reaches one of the asked states,
 * driven by its actor's changes with a poll as a safety net.
 */
import { asBerthError, CtrRemovedError, InvalidArgError } from "../errors.js";
import type { ContainerRecord, ContainerState } from "../machines/index.js";
import { recordOf, type ActorPool, type Entry } from "./actor-pool.js";
import type { Tombstone } from "./registry.js";

type Snapshot = ReturnType<Entry["actor"]["getSnapshot"]>;

/** Options of `wait`: the states to wait for (default: stopped or exited) and a poll interval. */
export interface WaitOptions {
  conditions?: ContainerState[];
  intervalMs?: number;
}

const EXIT_STATES: ContainerState[] = ["stopped", "exited", "removed"];
const MIN_WAIT_INTERVAL_MS = 50;

/**
 * By default resolves with the exit code once the container's exit is
 * journaled (`stopped`; the automatic cleanup may still run, as with Podman);
 * `exited` waits for the cleanup too. With other conditions, resolves with -1
 * once it is in one of them. A removed container still answers with its last
 * exit code.
 */
export async function waitFor(
  pool: ActorPool,
  ref: string,
  options: WaitOptions = {},
): Promise<number> {
  const conditions: ContainerState[] = options.conditions?.length
    ? options.conditions
    : ["stopped", "exited"];
  const forExit = conditions.some((c) => EXIT_STATES.includes(c));
  // An exit state counts as reached by any later one: a container passes `stopped` in
  // milliseconds, and a waiter must not miss it. `exited` alone waits for the cleanup.
  const exitStates = EXIT_STATES.slice(EXIT_STATES.findIndex((s) => conditions.includes(s)));
  const tomb = pool.registry.removed(ref);
  if (tomb) return exitOfRemoved(tomb, forExit, conditions);
  const entry = pool.entry(ref);
  const reached = (r: ContainerRecord) =>
    forExit
      ? exitStates.includes(r.state) && r.exitCode !== undefined
      : conditions.includes(r.state);
  const id = recordOf(entry).id;
  return new Promise<number>((resolve, reject) => {
    const finish = (answer: () => number) => {
      sub.unsubscribe();
      clearInterval(poll);
      try {
        resolve(answer());
      } catch (err) {
        reject(asBerthError(err));
      }
    };
    const check = () => {
      // Removed meanwhile: answer as for a tombstone, never hang.
      const tombstone = pool.registry.removed(id);
      if (tombstone) return finish(() => exitOfRemoved(tombstone, forExit, conditions));
      // The actor may have been replaced (journal failure): look it up each time.
      const snap = pool.byId(id)?.actor.getSnapshot();
      if (snap && answerable(snap) && reached(snap.context.record)) {
        const r = snap.context.record;
        finish(() => (forExit ? (r.exitCode ?? -1) : -1));
      }
    };
    const sub = entry.actor.subscribe({ next: check, complete: check });
    // Events drive the wait; the interval (seed: WaitWithInterval) is a safety net.
    const poll = setInterval(check, Math.max(MIN_WAIT_INTERVAL_MS, options.intervalMs ?? 1_000));
    check();
  });
}

/**
 * The record is durable in every state (the machine moves only after the
 * journal write), but a command in flight may still change it. The automatic
 * cleanup after an exit is the exception: it cannot change the exit code, and
 * like Podman's wait (which answers once conmon's exit file is read, while
 * `podman container cleanup` still runs) the answer does not wait for the
 * runc delete and unmount. A command sent after the answer still queues
 * behind the cleanup, so `wait` then `rm` or `start` sees an exited container.
 */
function answerable(snap: Snapshot): boolean {
  return snap.hasTag("settled") || snap.hasTag("exitRecorded");
}

function exitOfRemoved(record: Tombstone, forExit: boolean, conditions: ContainerState[]): number {
  if (forExit && record.exitCode !== undefined) return record.exitCode;
  if (forExit) throw new CtrRemovedError(`container ${record.id} was removed without ever exiting`);
  if (conditions.includes("removed")) return -1;
  throw new InvalidArgError(
    `container ${record.id} has been removed and never reaches ${conditions.join("|")}`,
  );
}
