/**
 * Restoring an actor from a stored record: the machine is put straight into
 * the committed state, so no effect runs again after a daemon restart.
 */
import { containerMachine } from "./container-machine.js";
import type { ContainerRecord } from "./record.js";

/** The machine snapshot for a committed record, idle in its state. */
export function snapshotOf(record: ContainerRecord) {
  return containerMachine.resolveState({
    value: record.state === "removed" ? "removed" : { [record.state]: "idle" },
    context: { record, facts: [] },
  });
}
