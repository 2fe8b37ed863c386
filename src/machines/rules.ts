/**
 * Which command is allowed in which state, with the seed API's error messages
 * (libpod's container_api.go). Pure, so the machine's guards, the service and
 * the conformance table share one source.
 */
import {
  CtrRemovedError,
  CtrStateInvalidError,
  CtrStoppedError,
  type BerthError,
} from "../errors.js";
import type { CommandType } from "./commands.js";
import type { ContainerRecord, ContainerState } from "./record.js";

/** libpod wraps ErrCtrStateInvalid, whose text ends every state error. */
const improper = (message: string) =>
  new CtrStateInvalidError(`${message}: container state improper`);
const q = (s: string) => JSON.stringify(s);
const isIn = (state: ContainerState, ...states: ContainerState[]) => states.includes(state);

/** Returns the error that rejects `command` for `record`, or undefined when it is allowed. */
export function rejection(
  record: Pick<ContainerRecord, "id" | "state">,
  command: CommandType,
  options: { force?: boolean } = {},
): BerthError | undefined {
  const { id, state } = record;
  if (state === "removed") return new CtrRemovedError("container has already been removed");
  switch (command) {
    case "INIT":
      return isIn(state, "configured", "stopped", "exited")
        ? undefined
        : improper(`container ${id} has already been created in runtime`);
    case "START":
      return isIn(state, "configured", "created", "stopped", "exited")
        ? undefined
        : improper(`container ${id} must be in Created or Stopped state to be started`);
    case "STOP":
      if (isIn(state, "stopped", "exited")) return new CtrStoppedError("container is stopped");
      return isIn(state, "created", "running")
        ? undefined
        : improper(`can only stop created or running containers. ${id} is in state ${state}`);
    case "KILL":
      return state === "running"
        ? undefined
        : improper(`can only kill running containers. ${id} is in state ${state}`);
    case "PAUSE":
      if (state === "paused") return improper(`${q(id)} is already paused`);
      // The seed quotes the state here, not the id; kept for fidelity.
      return state === "running" ? undefined : improper(`${q(state)} is not running, can't pause`);
    case "UNPAUSE":
      return state === "paused" ? undefined : improper(`${q(id)} is not paused, can't unpause`);
    case "CLEANUP":
      return isIn(state, "configured", "created", "stopped", "exited")
        ? undefined
        : improper(`container ${id} is running or paused, refusing to clean up`);
    case "REMOVE":
      return isIn(state, "running", "paused") && !options.force
        ? improper(
            `cannot remove container ${id} as it is ${state} - running or paused containers cannot be removed without force`,
          )
        : undefined;
    case "EXITED":
      return isIn(state, "running", "paused")
        ? undefined
        : improper(`container ${id} is not running, its exit is already known`);
  }
}
