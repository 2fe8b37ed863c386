/**
 * What an operation is, independent of the transport that carries it: a name,
 * a zod schema for its input, a handler, and the kind of answer it gives. A
 * transport adapter extracts the raw input and the request metadata, calls
 * `run`, and writes the answer or error in its own framing.
 */
import type { z } from "zod";
import { asBerthError, InvalidArgError } from "../errors.js";
import type { RequestMeta } from "../machines/index.js";
import { unknownFields } from "./bounds.js";

/**
 * How a successful answer is to be read: `created` for an operation that
 * creates a resource (HTTP answers 201), `ok` for the rest (HTTP 200).
 */
export type AnswerKind = "ok" | "created";

/** One operation of the API, ready to run on raw input from any transport. */
export interface Operation {
  readonly name: string;
  /** The schema of the whole input: what the adapter gathers from path, query, body or payload. */
  readonly input: z.ZodType;
  readonly answer: AnswerKind;
  /** Validates `raw` against `input` (InvalidArgError on a mismatch), then runs the handler. */
  run(raw: unknown, meta: RequestMeta): Promise<unknown>;
}

/**
 * Validates input at the edge, with one message format for every transport:
 * `invalid request: <field>: <problem>; ...`.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  // zod drops fields it does not know; a caller's typo must be refused, not ignored.
  const unknown = unknownFields(schema, value);
  if (!parsed.success || unknown.length > 0) {
    const issues = (parsed.error?.issues ?? []).map(
      (i) => `${i.path.join(".") || "body"}: ${i.message}`,
    );
    throw new InvalidArgError(`invalid request: ${[...issues, ...unknown].join("; ")}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Declares an operation; the handler sees its input already validated and typed. */
export function defineOperation<T extends z.ZodType>(
  name: string,
  input: T,
  handle: (input: z.infer<T>, meta: RequestMeta) => Promise<unknown>,
  answer: AnswerKind = "ok",
): Operation {
  return { name, input, answer, run: (raw, meta) => handle(parseInput(input, raw), meta) };
}

/** The wire form of a failed operation, the same on every transport. */
export function errorAnswer(err: unknown): { error: { code: string; message: string } } {
  return { error: asBerthError(err).toJSON() };
}
