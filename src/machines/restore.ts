/**
 * Restoring an actor from a stored record: the machine is put straight into
 * the committed state, idle, so no effect runs again after a daemon restart.
 * Use as `machine.resolveState(committed(record))` on the provided machine.
 */
import type { ContainerContext } from "./operations.js";
import type { ContainerRecord } from "./record.js";

export function committed(record: ContainerRecord): {
  value: string | Record<string, string>;
  context: ContainerContext;
} {
  return {
    value: record.state === "removed" ? "removed" : { [record.state]: "idle" },
    context: { record, facts: [] },
  };
}
