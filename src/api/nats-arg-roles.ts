/**
 * Arguments that raise the role a NATS API call needs above its verb's
 * (nats-roles.ts). A privileged container, or one given capabilities beyond
 * berth's default, can reach the host (devices, kernel modules, raw disks):
 * that is more than the operator's "lifecycle inside the daemon's root", so
 * only an admin may ask for it over NATS. The local socket is the host's own
 * root and is not checked.
 */
import type { ApiRole } from "../nats/index.js";

/** The role `body` needs for `verb` beyond the verb's own, or undefined when it needs none. */
export function roleForArgs(verb: string, body: unknown): ApiRole | undefined {
  if (verb !== "create" || typeof body !== "object" || body === null) return undefined;
  const b = body as { privileged?: unknown; capAdd?: unknown };
  const adds = Array.isArray(b.capAdd) && b.capAdd.length > 0;
  return b.privileged === true || adds ? "admin" : undefined;
}
