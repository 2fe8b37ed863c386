/**
 * Bounds for every number and string a caller hands the daemon, and the check
 * that an input carries no field its schema does not name. Both apply at the
 * edge (HTTP bodies and queries, NATS payloads), so the service never sees a
 * timeout that overflows a timer or a field it would silently ignore.
 */
import { z } from "zod";
import { MAX_TIMEOUT_SECONDS } from "../service/index.js";

/** The longest wait poll interval, in milliseconds: the largest delay a Node timer keeps. */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** Signal numbers are small: Linux has 64 (1 to 64). */
export const MAX_SIGNAL_NUMBER = 64;

/** A reference is an id (64 hex), an id prefix or a name (at most 128 characters). */
export const MAX_REF_LENGTH = 128;

/** Image names, label keys and label values are short; bounded so none becomes a memory sink. */
export const MAX_IMAGE_LENGTH = 512;
export const MAX_LABEL_KEY_LENGTH = 255;
export const MAX_LABEL_VALUE_LENGTH = 4_096;

/** A whole number of seconds a timer can hold (stop, restart and rm timeouts). */
export const timeoutSeconds = () => z.number().int().min(0).max(MAX_TIMEOUT_SECONDS);

/** A poll interval a timer can hold, in milliseconds. */
export const intervalMs = () => z.number().int().min(0).max(MAX_INTERVAL_MS);

/** A signal by name or number; the name is checked against the host's signals later. */
export const signalInput = () =>
  z.union([z.string().min(1).max(32), z.number().int().min(1).max(MAX_SIGNAL_NUMBER)]);

/** A container reference: id, id prefix or name. */
export const refString = () => z.string().min(1).max(MAX_REF_LENGTH);

/**
 * Property names that a plain object cannot keep faithfully: JSON.parse makes
 * `__proto__` an own key, but copying it into a new object sets the prototype
 * instead, so it would vanish between the request and the journal.
 */
const UNKEEPABLE_KEYS = new Set(["__proto__"]);

/** The schema under optional/nullable/default wrappers, which do not change the shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (
    s instanceof z.ZodOptional ||
    s instanceof z.ZodNullable ||
    s instanceof z.ZodDefault ||
    s instanceof z.ZodReadonly
  ) {
    s = s.unwrap() as z.ZodType;
  }
  return s;
}

const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Fields of `value` that `schema` does not name (and keys no object can keep),
 * as `path: problem` lines; empty when there are none. Objects, arrays,
 * records and their optional wrappers are walked; a union is left to zod,
 * which cannot tell which branch an unknown key was meant for.
 */
export function unknownFields(schema: z.ZodType, value: unknown, path: string[] = []): string[] {
  const s = unwrap(schema);
  const at = (key: string) => [...path, key].join(".");
  if (s instanceof z.ZodObject && isPlainRecord(value)) {
    const shape = s.shape as Record<string, z.ZodType>;
    return Object.keys(value).flatMap((key) =>
      Object.hasOwn(shape, key)
        ? unknownFields(shape[key]!, value[key], [...path, key])
        : [`${at(key)}: unknown field`],
    );
  }
  if (s instanceof z.ZodRecord && isPlainRecord(value)) {
    return Object.keys(value).flatMap((key) =>
      UNKEEPABLE_KEYS.has(key)
        ? [`${at(key)}: reserved key`]
        : unknownFields(s.valueType as z.ZodType, value[key], [...path, key]),
    );
  }
  if (s instanceof z.ZodArray && Array.isArray(value)) {
    return value.flatMap((item, i) =>
      unknownFields(s.element as z.ZodType, item, [...path, String(i)]),
    );
  }
  return [];
}

/** The most lines `logs --tail` may ask for: the daemon holds that many lines while it reads. */
export const MAX_LOG_TAIL = 100_000;

/** A `--since`/`--until` argument (RFC3339, Unix seconds or a duration) is short. */
export const MAX_TIME_ARG_LENGTH = 64;
