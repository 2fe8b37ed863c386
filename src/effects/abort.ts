/**
 * AbortSignal helpers: effects reject with the signal's reason, so callers see
 * the same error whichever effect was cancelled.
 */

/** The abort reason as an Error (it is one unless someone aborted with a non-Error). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`aborted: ${String(reason)}`);
}

/**
 * Settles as `work` does, unless one of `signals` aborts first (or already
 * has): then it rejects with that signal's reason. The abort listeners are
 * removed as soon as it settles. Left on, a listener keeps the race's promises
 * and closures alive as long as its signal lives; and Node holds an
 * `AbortSignal.any` signal with an abort listener in a global set until it
 * aborts, while its sources are held only weakly: once they are collected it
 * never aborts and is never freed. One such race per container create was the
 * soak's steady heap growth (about 3.9 kB per lifecycle).
 */
export function raceAbort<T>(
  work: Promise<T>,
  signals: readonly (AbortSignal | undefined)[],
): Promise<T> {
  const watched = signals.filter((s): s is AbortSignal => s !== undefined);
  return new Promise<T>((resolve, reject) => {
    const off = () => {
      for (const s of watched) s.removeEventListener("abort", onAbort);
    };
    const onAbort = (e: Event) => {
      off();
      reject(abortReason(e.target as AbortSignal));
    };
    const already = watched.find((s) => s.aborted);
    if (already) reject(abortReason(already));
    else for (const s of watched) s.addEventListener("abort", onAbort);
    // Attached even after an abort, so a later failure of `work` is never an unhandled rejection.
    work.finally(off).then(resolve, reject);
  });
}

/** Throws the abort reason (as an Error) if `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}
