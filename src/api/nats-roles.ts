/**
 * The role each NATS API verb needs. Typed over every operation name, so a new
 * operation does not compile until someone decides who may call it.
 */
import type { ApiRole } from "../nats/index.js";
import type { OperationName } from "./operation-table.js";

/** The daemon's own verbs, besides the operation table's. */
export type DaemonVerb = "ping" | "status";

/**
 * read-only looks; operator changes containers' lifecycle inside the daemon's
 * root (mount included, which batches may also do); admin names host paths
 * (import reads one, export and checkpoint write one, restore reads one).
 */
export const VERB_ROLES: Readonly<Record<OperationName | DaemonVerb, ApiRole>> = {
  ping: "read-only",
  status: "read-only",
  ps: "read-only",
  inspect: "read-only",
  logs: "read-only",
  history: "read-only",
  wait: "read-only",
  create: "operator",
  init: "operator",
  pause: "operator",
  unpause: "operator",
  cleanup: "operator",
  sync: "operator",
  start: "operator",
  stop: "operator",
  restart: "operator",
  kill: "operator",
  rm: "operator",
  mount: "operator",
  unmount: "operator",
  batch: "operator",
  // Runs a command inside a container the operator could already start and stop.
  exec: "operator",
  "exec-inspect": "read-only",
  import: "admin",
  export: "admin",
  checkpoint: "admin",
  restore: "admin",
};
