/**
 * The commands a batch may carry, turned into the command bodies the service
 * runs in one go on one container.
 */
import { InvalidArgError } from "../errors.js";
import type { CommandBody } from "../machines/index.js";
import { signalName } from "../signals.js";

/** One entry of a batch, as validated by `BatchBody`. */
export interface BatchEntry {
  type: string;
  timeout?: number;
  signal?: string | number;
  force?: boolean;
}

/**
 * Turns a batch entry into a command body, validating what it carries. Create,
 * remove, export and the checkpoint commands cannot be batched.
 */
export function batchCommand(entry: BatchEntry): CommandBody {
  switch (entry.type) {
    case "INIT":
    case "START":
    case "PAUSE":
    case "UNPAUSE":
    case "CLEANUP":
    case "MOUNT":
    case "SYNC":
      return { type: entry.type };
    case "STOP":
    case "RESTART":
      return { type: entry.type, timeout: entry.timeout };
    case "KILL":
      return { type: "KILL", signal: signalName(entry.signal ?? "SIGKILL") };
    case "UNMOUNT":
      return { type: "UNMOUNT", force: entry.force ?? false };
    default:
      throw new InvalidArgError(`command ${JSON.stringify(entry.type)} cannot be batched`);
  }
}
