/**
 * The one signal normaliser. Every path that takes a signal (create's stop
 * signal, kill over any transport, batch, and runc itself) goes through it, so
 * the journal, the record and the runtime all see the same spelling.
 */
import { constants } from "node:os";
import { InvalidArgError } from "./errors.js";

const signals = constants.signals as Record<string, number>;

/**
 * A signal by name ("TERM", "sigterm", "SIGTERM") or number (15, "15"), as its
 * canonical name ("SIGTERM"). Throws InvalidArgError for anything this host
 * does not know.
 */
export function signalName(input: string | number): string {
  const raw = String(input).trim().toUpperCase();
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    const found = Object.entries(signals).find(([, v]) => v === n);
    if (found) return found[0];
  } else {
    const name = raw.startsWith("SIG") ? raw : `SIG${raw}`;
    if (name in signals) return name;
  }
  throw new InvalidArgError(`invalid signal ${JSON.stringify(String(input))}`);
}
