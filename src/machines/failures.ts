/**
 * How a failure crosses the machine. The caller of the command gets the typed
 * error as it was thrown (class, message, stack and `cause`), kept in the
 * machine's context; the journal gets only its `{code, message}`, so history
 * stays plain data.
 */
import { BerthError, errorFromWire } from "../errors.js";
import type { CommandError } from "./ports.js";

/** The `{code, message}` a failure fact journals: the error's own code, or INTERNAL. */
export function journaledError(err: unknown): CommandError {
  if (typeof err === "object" && err !== null && "code" in err && "message" in err) {
    const { code, message } = err;
    if (typeof code === "string" && typeof message === "string") return { code, message };
  }
  return { code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

type BerthErrorClass = new (message: string, options?: { cause?: unknown }) => BerthError;

/**
 * The error the caller of the failed command gets. A berth error is kept as it
 * is. Anything else gets the class its code names (INTERNAL for none or an
 * unknown one, as the wire form would rebuild it) and is kept as its `cause`.
 */
export function typedError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const rebuilt = errorFromWire(journaledError(err));
  // errorFromWire picks the class and message; building it again adds the cause it cannot take.
  const Class = rebuilt.constructor as BerthErrorClass;
  return new Class(rebuilt.message, { cause: err });
}
