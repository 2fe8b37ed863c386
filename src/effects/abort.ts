/**
 * AbortSignal helpers: effects reject with the signal's reason, so callers see
 * the same error whichever effect was cancelled.
 */

/** The abort reason as an Error (it is one unless someone aborted with a non-Error). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);
}

/** A promise that rejects with the abort reason once `signal` aborts. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(abortReason(signal));
    else signal.addEventListener("abort", () => reject(abortReason(signal)), { once: true });
  });
}

/** Throws the abort reason (as an Error) if `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}
