/**
 * Refuses a signed request seen before. A request is only accepted within
 * `skewMs` of its timestamp, so a nonce needs remembering only that long on
 * either side; older ones are forgotten. Memory is bounded by `capacity`: when
 * it is full of live nonces, new requests are refused (fail closed) rather
 * than forgetting a nonce that could then be replayed.
 */
export type ReplayVerdict = "fresh" | "stale" | "replayed" | "full";

export class ReplayGuard {
  /** Nonce -> the time it may be forgotten; insertion order is expiry order up to skew. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly skewMs: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checks a request's timestamp and nonce, and remembers the nonce when fresh. */
  check(time: number, nonce: string): ReplayVerdict {
    const now = this.now();
    if (!Number.isFinite(time) || Math.abs(now - time) > this.skewMs) return "stale";
    this.forget(now);
    if (this.seen.has(nonce)) return "replayed";
    if (this.seen.size >= this.capacity) return "full";
    // Kept until the request's own timestamp leaves the window.
    this.seen.set(nonce, time + this.skewMs);
    return "fresh";
  }

  private forget(now: number): void {
    // Oldest first; stopping at the first live one keeps each check cheap, and an entry left
    // behind lingers at most one more window.
    for (const [nonce, until] of this.seen) {
      if (until >= now) return;
      this.seen.delete(nonce);
    }
  }
}
