/**
 * What follows an exit, decided purely from the record: whether an exited
 * container is due for a restart, how long to back off first, and whether it
 * is due for its automatic removal (run --rm).
 */
import type { ContainerRecord } from "./record.js";

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** True when the policy wants this exited container running again. A user's stop never does. */
export function restartDue(r: ContainerRecord): boolean {
  if (r.state !== "exited" || r.stoppedByUser || r.exitCode === undefined) return false;
  const { name, maxRetries } = r.restartPolicy;
  switch (name) {
    case "no":
      return false;
    case "always":
    case "unless-stopped":
      return true;
    case "on-failure":
      return r.exitCode !== 0 && (maxRetries === 0 || r.restartCount < maxRetries);
  }
}

/**
 * True when an exited container created with autoRemove is to be removed: the
 * policy owes it no restart (create refuses --rm with a policy other than no,
 * but a stop by the user never restarts either).
 */
export function autoRemoveDue(r: ContainerRecord): boolean {
  return r.autoRemove === true && r.state === "exited" && !restartDue(r);
}

/** Exponential backoff: 100 ms, 200 ms, 400 ms, ... capped at 5 s. */
export function restartDelayMs(r: Pick<ContainerRecord, "restartCount">): number {
  return Math.min(BASE_DELAY_MS * 2 ** r.restartCount, MAX_DELAY_MS);
}
