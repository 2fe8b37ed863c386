/**
 * Rehydrating an actor from a stored record (at daemon start-up, or after a
 * journal failure): the machine is put straight into the committed state, idle,
 * so no effect runs again. Not CRIU's restore of a checkpoint, which is the
 * RESTORE command. Use as `machine.resolveState(committed(record))` on the
 * provided machine.
 */
import type { ContainerContext } from "./operations.js";
import type { Peers } from "./ports.js";
import type { ContainerRecord } from "./record.js";

/**
 * The resting snapshot of `record`'s committed state, for `machine.resolveState`;
 * `peers` lets the rules see the containers this one requires or is required by.
 */
export function committed(
  record: ContainerRecord,
  peers?: Peers,
): {
  value: string | Record<string, string>;
  context: ContainerContext;
} {
  return {
    value: record.state === "removed" ? "removed" : { [record.state]: "idle" },
    context: { record, facts: [], ...(peers ? { peers } : {}) },
  };
}
