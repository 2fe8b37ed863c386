/**
 * Which command is allowed in which state, with the seed API's error messages
 * (libpod's container_api.go). Pure, so the machine's guards, the service and
 * the conformance table share one source. Where the seed is silent or berth
 * departs from it, the comment says so.
 */
import {
  CtrRemovedError,
  CtrStateInvalidError,
  CtrStoppedError,
  InvalidArgError,
  type BerthError,
} from "../errors.js";
import type { CommandBody } from "./commands.js";
import type { ContainerRecord, ContainerState } from "./record.js";
import { restartDue } from "./restart-policy.js";

/** libpod wraps ErrCtrStateInvalid, whose text ends every state error. */
const improper = (message: string) =>
  new CtrStateInvalidError(`${message}: container state improper`);
const quoted = (text: string) => JSON.stringify(text);
const isIn = (state: ContainerState, ...states: ContainerState[]) => states.includes(state);

/** The seed's ErrCtrRemoved: every command on a removed container gets it, however it was named. */
export const removedError = () => new CtrRemovedError("container has already been removed");

/** States in which the runtime holds the container's root filesystem mounted. */
export const runtimeMounted = (state: ContainerState) =>
  isIn(state, "created", "running", "paused", "stopped");

type RuleRecord = Pick<
  ContainerRecord,
  | "id"
  | "state"
  | "mountCount"
  | "startedAt"
  | "checkpoint"
  | "restartPolicy"
  | "stoppedByUser"
  | "exitCode"
  | "restartCount"
>;

/** Returns the error that rejects `command` for `record`, or undefined when it is allowed. */
export function rejection(record: RuleRecord, command: CommandBody): BerthError | undefined {
  const { id, state } = record;
  if (state === "removed") return removedError();
  switch (command.type) {
    case "INIT":
      return isIn(state, "configured", "stopped", "exited")
        ? undefined
        : improper(`container ${id} has already been created in runtime`);
    case "START":
      return isIn(state, "configured", "created", "stopped", "exited")
        ? undefined
        : improper(`container ${id} must be in Created or Stopped state to be started`);
    case "RESTART":
      // Seed (restartWithTimeout): every state but paused and removing.
      return isIn(state, "configured", "created", "running", "stopped", "exited")
        ? undefined
        : improper(`unable to restart a container in a paused or unknown state`);
    case "STOP":
      // berth: stopping an exited container that waits for a policy restart cancels the restart.
      if (state === "exited" && restartDue(record as ContainerRecord)) return undefined;
      if (isIn(state, "stopped", "exited")) return new CtrStoppedError("container is stopped");
      return isIn(state, "created", "running")
        ? undefined
        : improper(`can only stop created or running containers. ${id} is in state ${state}`);
    case "KILL":
      // The seed allows running only (with a TODO about paused); current Podman and berth allow paused.
      return isIn(state, "running", "paused")
        ? undefined
        : improper(`can only kill running containers. ${id} is in state ${state}`);
    case "PAUSE":
      if (state === "paused") return improper(`${quoted(id)} is already paused`);
      // The seed quotes the state here, not the id; kept for fidelity.
      return state === "running"
        ? undefined
        : improper(`${quoted(state)} is not running, can't pause`);
    case "UNPAUSE":
      return state === "paused"
        ? undefined
        : improper(`${quoted(id)} is not paused, can't unpause`);
    case "ATTACH":
      return isIn(state, "created", "running")
        ? undefined
        : improper(`can only attach to created or running containers`);
    case "MOUNT":
      return state === "removing"
        ? improper(`cannot mount container ${id} as it is being removed`)
        : undefined;
    case "UNMOUNT": {
      const mounts = record.mountCount + (runtimeMounted(state) ? 1 : 0);
      // The seed also refuses the last mount of a stopped container as "still in use"
      // (ErrInternal); berth unmounts it, as only a running or paused one needs it.
      if (mounts === 1 && isIn(state, "running", "paused")) {
        return improper(`cannot unmount storage for container ${id} as it is running or paused`);
      }
      return state === "removing" ? improper(`container ${id} is being removed`) : undefined;
    }
    case "EXPORT":
      if (!command.path.startsWith("/")) {
        return new InvalidArgError(`export path ${quoted(command.path)} must be absolute`);
      }
      // The seed's message says "mount" here too; kept.
      return state === "removing"
        ? improper(`cannot mount container ${id} as it is being removed`)
        : undefined;
    case "CLEANUP":
      return isIn(state, "configured", "created", "stopped", "exited")
        ? undefined
        : improper(`container ${id} is running or paused, refusing to clean up`);
    case "RECONCILE":
      return state === "removing" ? improper(`container ${id} is being removed`) : undefined;
    case "SYNC":
      // berth: the seed journals a sync in any state; mid-removal there is nothing to compare.
      return state === "removing" ? improper(`container ${id} is being removed`) : undefined;
    case "CHECKPOINT":
      return state === "running"
        ? undefined
        : improper(`${quoted(state)} is not running, cannot checkpoint`);
    case "RESTORE":
      if (isIn(state, "running", "paused"))
        return improper(`container ${id} is running or paused, cannot restore`);
      if (!record.checkpoint && !command.options.targetFile) {
        return improper(`a complete checkpoint for this container cannot be found, cannot restore`);
      }
      return isIn(state, "configured", "created", "stopped", "exited")
        ? undefined
        : improper(`container ${id} is being removed, cannot restore`);
    case "REMOVE":
      return isIn(state, "running", "paused") && !command.force
        ? improper(
            `cannot remove container ${id} as it is ${state} - running or paused containers cannot be removed without force`,
          )
        : undefined;
    case "REJECT":
      return undefined;
    case "EXITED":
      if (!isIn(state, "running", "paused")) {
        return improper(`container ${id} is not running, its exit is already known`);
      }
      // An exit file older than the current run belongs to an earlier run (after a restart).
      return record.startedAt && command.exit.exitedAt < record.startedAt
        ? improper(
            `container ${id}: exit at ${command.exit.exitedAt} predates the run started ${record.startedAt}`,
          )
        : undefined;
  }
}
