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
 * root (mount included, which batches may also do) and adds images or names
 * (pull, tag, untag: what a deploy needs); admin names host paths (import
 * reads one, export and checkpoint write one, restore reads one) and removes
 * images (rmi, image-prune), which other tenants' containers may be built on.
 */
export const VERB_ROLES: Readonly<Record<OperationName | DaemonVerb, ApiRole>> = {
  ping: "read-only",
  status: "read-only",
  ps: "read-only",
  inspect: "read-only",
  logs: "read-only",
  history: "read-only",
  wait: "read-only",
  images: "read-only",
  "image-inspect": "read-only",
  pull: "operator",
  tag: "operator",
  untag: "operator",
  rmi: "admin",
  "image-prune": "admin",
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
  top: "read-only",
  stats: "read-only",
  // A probe may journal a change of health and set off --health-on-failure.
  healthcheck: "operator",
  import: "admin",
  export: "admin",
  checkpoint: "admin",
  restore: "admin",
  // Volumes: looking is read-only; making one is an operator's (as create -v does);
  // removal and prune delete data for good, so they are an admin's.
  "volume-ls": "read-only",
  "volume-inspect": "read-only",
  "volume-create": "operator",
  "volume-rm": "admin",
  "volume-prune": "admin",
};

/**
 * The role a request needs because of what its payload asks, beyond its
 * verb's: a create that binds a host path (`-v /host:/ctr`) needs admin, since
 * admin is the role that names host paths, and a bind of `/` is the host.
 * Named volumes stay an operator's. Undefined: the verb's role suffices.
 */
export function payloadRole(verb: string, body: unknown): ApiRole | undefined {
  if (verb !== "create" || typeof body !== "object" || body === null) return undefined;
  const volumes = (body as { volumes?: unknown }).volumes;
  if (!Array.isArray(volumes)) return undefined;
  return volumes.some((v) => typeof v === "string" && v.startsWith("/")) ? "admin" : undefined;
}
