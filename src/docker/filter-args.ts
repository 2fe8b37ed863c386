/**
 * Docker's `filters` query, read once for every endpoint that takes one
 * (the container list, events): JSON `{"key":{"value":true}}`, as the docker
 * CLI sends it, or the legacy `{"key":["value"]}`. As moby's `ExactMatch`, a
 * value set to false matches nothing: the key stays, with that value left out
 * (`{"event":{"start":false}}` lets no event through). A key the endpoint does
 * not filter by is refused, never ignored.
 */
import { InvalidArgError } from "../errors.js";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The values named under each key; absent or empty `raw` is no filter. */
export function filterArgs(
  raw: string | null | undefined,
  keys: readonly string[],
  what: string,
): Map<string, string[]> {
  const args = new Map<string, string[]>();
  if (raw === undefined || raw === null || raw.trim() === "") return args;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgError(`invalid filters ${JSON.stringify(raw)}: not JSON`, { cause: err });
  }
  if (!isRecord(parsed))
    throw new InvalidArgError(
      `invalid filters ${JSON.stringify(raw)}: use a JSON object such as {"label":{"a=b":true}}`,
    );
  for (const [key, value] of Object.entries(parsed)) {
    if (!keys.includes(key))
      throw new InvalidArgError(
        `invalid filter '${key}': berth filters ${what} by ${keys.join(", ")}`,
      );
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) args.set(key, value);
    else if (isRecord(value) && Object.values(value).every((v) => typeof v === "boolean"))
      args.set(
        key,
        Object.entries(value)
          .filter(([, on]) => on === true)
          .map(([v]) => v),
      );
    else
      throw new InvalidArgError(
        `invalid filter '${key}': use {"${key}":{"value":true}} or {"${key}":["value"]}`,
      );
  }
  return args;
}
