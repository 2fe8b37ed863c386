import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { raceAbort } from "../../src/effects/abort.js";

const listeners = (s: AbortSignal) => getEventListeners(s, "abort").length;

describe("raceAbort", () => {
  it("settles as the work does and leaves no abort listener on its signals", async () => {
    const a = new AbortController();
    const b = new AbortController();
    await expect(raceAbort(Promise.resolve(7), [a.signal, undefined, b.signal])).resolves.toBe(7);
    await expect(raceAbort(Promise.reject(new Error("boom")), [a.signal])).rejects.toThrow("boom");
    // A listener left behind keeps the race alive as long as the signal: a leak per call.
    expect(listeners(a.signal)).toBe(0);
    expect(listeners(b.signal)).toBe(0);
  });

  it("rejects with the reason of the signal that aborts first, and lets go of the others", async () => {
    const a = new AbortController();
    const b = new AbortController();
    const race = raceAbort(new Promise<never>(() => undefined), [a.signal, b.signal]);
    expect(listeners(a.signal)).toBe(1);
    b.abort(new Error("too late"));
    await expect(race).rejects.toThrow("too late");
    expect(listeners(a.signal)).toBe(0);
  });

  it("rejects at once when a signal has already aborted, without listening", async () => {
    const a = new AbortController();
    a.abort(new Error("gone"));
    const work = Promise.reject(new Error("ignored"));
    await expect(raceAbort(work, [a.signal])).rejects.toThrow("gone");
    expect(listeners(a.signal)).toBe(0);
  });
});
