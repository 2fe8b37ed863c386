/**
 * Which command is allowed, with the seed API's error messages (libpod's
 * container_api.go): in which state, on which version (If-Match), with which
 * dependencies. Pure, so the machine (which refuses on its own), the service's
 * checks of observations and the conformance table share one source. Where the
 * seed is silent or berth departs from it, the comment says so.
 */
import {
  CtrHasDependentsError,
  CtrRemovedError,
  CtrStateInvalidError,
  CtrStoppedError,
  DependencyNotRunningError,
  InvalidArgError,
  NoHealthcheckError,
  VersionConflictError,
  type BerthError,
} from "../errors.js";
import type { CommandBody, RequestMeta } from "./commands.js";
import type { Peers } from "./ports.js";
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
  | "execSessions"
  | "healthcheck"
>;

/** libpod's refusal while exec sessions run (Unmount, Cleanup, removal without force). */
const activeExec = (record: RuleRecord, doing: string) =>
  (record.execSessions?.length ?? 0) > 0
    ? improper(`container ${record.id} has active exec sessions, refusing to ${doing}`)
    : undefined;

/**
 * Why a container cannot be probed now (berth; Podman's healthcheck run says
 * the same): it has no healthcheck, or it is not running.
 */
export function probeRefusal(
  record: Pick<ContainerRecord, "id" | "state" | "healthcheck">,
): BerthError | undefined {
  if (!record.healthcheck) {
    return new NoHealthcheckError(`container ${record.id} has no defined healthcheck`);
  }
  return record.state === "running"
    ? undefined
    : improper(`container ${record.id} is not running, its health is not checked`);
}

/**
 * The seed's AttachResize: only created or running containers, and only those
 * with a terminal (berth: the seed leaves that to the runtime's error). Not a
 * command: a resize changes no state and is not journaled.
 */
export function resizeRefusal(
  record: Pick<ContainerRecord, "id" | "state" | "terminal">,
): BerthError | undefined {
  if (!isIn(record.state, "created", "running")) {
    return improper("can only resize created or running containers");
  }
  return record.terminal
    ? undefined
    : new InvalidArgError(`container ${record.id} has no terminal to resize`);
}

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
      // berth: ahead of the running check (the seed asks it after), as it names the mount's user.
      const exec = activeExec(record, "unmount");
      if (exec) return exec;
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
        ? activeExec(record, "clean up")
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
      // Podman's removal refuses live exec sessions unless forced; berth asks before the state.
      if (!command.force) {
        const exec = activeExec(record, "remove");
        if (exec) return exec;
      }
      return isIn(state, "running", "paused") && !command.force
        ? improper(
            `cannot remove container ${id} as it is ${state} - running or paused containers cannot be removed without force`,
          )
        : undefined;
    case "EXEC_CREATE":
      return state === "running"
        ? undefined
        : improper(`can only create exec sessions on running containers`);
    case "EXEC_STARTED":
    case "EXEC_EXITED": {
      const sessionId =
        command.type === "EXEC_STARTED" ? command.sessionId : command.exit.sessionId;
      return record.execSessions?.some((s) => s.id === sessionId)
        ? undefined
        : new InvalidArgError(`container ${id} has no exec session ${sessionId}`);
    }
    case "HEALTH":
      // A report that arrives after a pause or an exit is stale.
      return probeRefusal(record);
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

/**
 * The Podman CLI's forgiveness, asked for with `ifNeeded`: a start of a
 * running container, or a stop of one that is not running (never started,
 * stopped or exited), already has what it asks for. Only those: a start of a
 * paused container still fails, as Podman's does. An exited container that
 * owes a policy restart is not "stopped" yet: its stop cancels the restart.
 */
export function alreadyMet(record: RuleRecord, command: CommandBody): boolean {
  const { state } = record;
  if (command.type === "START") return command.ifNeeded === true && state === "running";
  if (command.type !== "STOP" || command.ifNeeded !== true) return false;
  if (state === "exited") return !restartDue(record as ContainerRecord);
  return isIn(state, "configured", "stopped");
}

/**
 * Whether a command is a request someone made, whose refusal is journaled and
 * answered. The rest are observations (an exit, berth's reconcile, a restart
 * the policy owes): one that no longer applies is dropped without a trace.
 */
export function isRequest(command: CommandBody): boolean {
  if (command.type === "EXITED" || command.type === "RECONCILE") return false;
  if (command.type === "EXEC_STARTED" || command.type === "EXEC_EXITED") return false;
  if (command.type === "HEALTH") return false;
  return !(command.type === "RESTART" && command.byPolicy === true);
}

/** If-Match: the request was built on a version that is no longer current. */
export function versionConflict(
  record: Pick<ContainerRecord, "id" | "version">,
  meta: Pick<RequestMeta, "expectedVersion">,
): BerthError | undefined {
  if (meta.expectedVersion === undefined || meta.expectedVersion === record.version) {
    return undefined;
  }
  return new VersionConflictError(
    `container ${record.id} is at version ${record.version}, the request expected ${meta.expectedVersion}`,
  );
}

/** The seed's error when dependencies are down and the start is not recursive. */
export function dependencyError(
  record: Pick<ContainerRecord, "id">,
  down: string[],
): DependencyNotRunningError {
  return new DependencyNotRunningError(
    `some dependencies of container ${record.id} are not started: ${down.join(",")}`,
  );
}

/** Dependencies down for a start, or dependents still there for a removal. */
export function dependencyRefusal(
  record: ContainerRecord,
  command: CommandBody,
  peers: Peers,
): BerthError | undefined {
  if (command.type === "START" || command.type === "INIT" || command.type === "RESTART") {
    // A removed or unknown dependency counts as not running.
    const down = record.requires.filter((id) => peers.find(id)?.state !== "running");
    if (down.length > 0) return dependencyError(record, down);
  }
  if (command.type === "REMOVE") {
    // Named newest first, as `ps` lists them.
    const dependents = peers
      .live()
      .filter((r) => r.requires.includes(record.id))
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    if (dependents.length > 0) {
      const ids = dependents.map((d) => d.id).join(",");
      return new CtrHasDependentsError(
        `container ${record.id} has dependent containers which must be removed before it: ${ids}`,
      );
    }
  }
  return undefined;
}

/**
 * Why a user's request is refused, or undefined when it may run: a stale
 * If-Match first, then the state, then the dependencies. A request whose goal
 * is already met (`alreadyMet`) is never refused.
 */
export function refusal(
  record: ContainerRecord,
  command: CommandBody & { meta: Pick<RequestMeta, "expectedVersion"> },
  peers: Peers,
): BerthError | undefined {
  const conflict = versionConflict(record, command.meta);
  if (conflict) return conflict;
  if (alreadyMet(record, command)) return undefined;
  return rejection(record, command) ?? dependencyRefusal(record, command, peers);
}
