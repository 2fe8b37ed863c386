/**
 * Podman's time arguments for `--since` and `--until`: RFC3339 (with or
 * without fractional seconds), a date-time or date without a zone (read as
 * UTC), a date with a zone, Unix seconds, or a Go duration. A duration counts
 * back from now for `since` and forward from now for `until`, as in Podman
 * (`--until -5m` is five minutes ago).
 */
import { InvalidArgError } from "../errors.js";

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/;
const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$/;
const UNIX = /^\d+(\.\d+)?$/;

/** A Go duration ("10m", "1h30m", "-5s") in milliseconds, or undefined if it is not one. */
export function parseDuration(raw: string): number | undefined {
  const m = DURATION.exec(raw);
  if (!m) return undefined;
  let total = 0;
  for (const [, n, unit] of (m[2] ?? "").matchAll(DURATION_PART))
    total += Number(n) * (UNIT_MS[unit!] ?? NaN);
  return m[1] === "-" ? -total : total;
}

function parseDateTime(raw: string): number | undefined {
  const m = DATE_TIME.exec(raw);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  // Fractions beyond milliseconds are kept as a fraction of a millisecond.
  const ms = frac ? Number(`0.${frac}`) * 1_000 : 0;
  const parts = [y, mo, d, h, mi, s].map((p) => Number(p ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [year, month, day, hour, minute, second] = parts;
  let t = Date.UTC(year, month - 1, day, hour, minute, second);
  const c = new Date(t);
  const same = [
    c.getUTCFullYear(),
    c.getUTCMonth() + 1,
    c.getUTCDate(),
    c.getUTCHours(),
    c.getUTCMinutes(),
    c.getUTCSeconds(),
  ].every((v, i) => v === parts[i]);
  // Date.UTC rolls 2024-02-30 over into March; Go rejects it, and so do we.
  if (!same) return undefined;
  t += ms;
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const [zh, zm] = zone.slice(1).split(":").map(Number);
    t -= sign * ((zh ?? 0) * 60 + (zm ?? 0)) * 60_000;
  }
  return t;
}

/**
 * An RFC3339 time (conmon's RFC3339Nano log times among them) as milliseconds
 * since the epoch, keeping the fraction below a millisecond; NaN when it is not one.
 */
export function rfc3339Ms(raw: string): number {
  return parseDateTime(raw) ?? NaN;
}

/**
 * A `--since` or `--until` argument as milliseconds since the epoch (possibly
 * fractional). Throws InvalidArgError naming the accepted forms.
 */
export function parseTimeArg(raw: string, kind: "since" | "until", now = Date.now()): number {
  const text = raw.trim();
  const at = parseDateTime(text);
  if (at !== undefined) return at;
  if (UNIX.test(text)) return Number(text) * 1_000;
  const duration = parseDuration(text);
  if (duration !== undefined) return kind === "since" ? now - duration : now + duration;
  throw new InvalidArgError(
    `invalid --${kind} ${JSON.stringify(raw)}: use RFC3339 (2024-05-01T10:00:00Z), a date (2024-05-01), Unix seconds, or a duration such as 10m or 1h30m`,
  );
}
