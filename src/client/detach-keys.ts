/**
 * Detach keys: a key sequence on an attached client's stdin that ends the
 * session and leaves the container running. The spelling is Docker's and
 * Podman's (`ctrl-p,ctrl-q`): comma-separated keys, each a single character or
 * `ctrl-<c>`. Both the daemon (which detaches) and the CLI (which must know it
 * detached rather than saw the container exit) run the same matcher on the
 * same bytes, so they always agree.
 */
import { InvalidArgError } from "../errors.js";

/** Podman's default. */
export const DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";

/** Control characters by name, in code order from 0: ctrl-@, ctrl-a .. ctrl-z, ctrl-[ .. ctrl-_. */
const CTRL_NAMES = "@abcdefghijklmnopqrstuvwxyz[\\]^_";

/**
 * The bytes of a detach-key spec. An empty spec gives no bytes, which turns
 * detaching off. Throws InvalidArgError for a key it cannot spell.
 */
export function parseDetachKeys(spec: string): Uint8Array {
  if (spec === "") return new Uint8Array(0);
  const bytes = spec.split(",").map((key) => {
    if (key.length === 1 && key.charCodeAt(0) < 0x80) return key.charCodeAt(0);
    const ctrl = /^ctrl-(.)$/i.exec(key);
    const code = ctrl ? CTRL_NAMES.indexOf((ctrl[1] ?? "").toLowerCase()) : -1;
    if (code >= 0) return code;
    if (key === "DEL") return 0x7f;
    throw new InvalidArgError(
      `invalid detach keys ${JSON.stringify(spec)}: unknown key ${JSON.stringify(key)} (use a character or ctrl-<c>, comma-separated)`,
    );
  });
  return Uint8Array.from(bytes);
}

/** What one chunk of client input comes to. */
export interface ScanResult {
  /** Bytes to pass on to the container. */
  forward: Buffer;
  /** The sequence completed inside this chunk; whatever followed it is dropped. */
  detached: boolean;
}

/**
 * Finds the detach sequence in a stream of client input. Bytes that could be
 * the start of the sequence are held back until the next byte decides; if it
 * does not continue the sequence, they are passed on after all, so typing
 * ctrl-p alone still reaches the container (late, as in Docker and Podman).
 */
export class DetachScanner {
  /** How many bytes of the sequence the held-back input matches. */
  private matched = 0;

  constructor(private readonly keys: Uint8Array) {}

  push(chunk: Uint8Array): ScanResult {
    const keys = this.keys;
    const first = keys[0];
    if (first === undefined || (this.matched === 0 && !chunk.includes(first))) {
      return { forward: Buffer.from(chunk), detached: false };
    }
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === keys[this.matched]) {
        this.matched += 1;
        if (this.matched === keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detached: true };
        }
        continue;
      }
      // The held bytes plus this one: keep the longest tail that still starts the sequence.
      const held = [...keys.subarray(0, this.matched), byte];
      const keep = longestSequenceStart(held, keys);
      out.push(...held.slice(0, held.length - keep));
      this.matched = keep;
    }
    return { forward: Buffer.from(out), detached: false };
  }

  /** Releases held-back bytes, for the end of input: a partial sequence is just input. */
  flush(): Buffer {
    const held = Buffer.from(this.keys.subarray(0, this.matched));
    this.matched = 0;
    return held;
  }
}

/** Length of the longest proper suffix of `bytes` that is a prefix of `keys`. */
function longestSequenceStart(bytes: number[], keys: Uint8Array): number {
  for (let k = Math.min(bytes.length - 1, keys.length - 1); k > 0; k--) {
    const tail = bytes.slice(bytes.length - k);
    if (tail.every((b, i) => b === keys[i])) return k;
  }
  return 0;
}
