/**
 * The healthcheck a create asks for (Podman's --health-* flags), over the
 * image's HEALTHCHECK, checked and resolved to what the record keeps, so the
 * create event says exactly how the container is probed.
 */
import { InvalidArgError } from "../errors.js";
import { parseDuration } from "../events/index.js";
import type { ImageHealthcheck } from "../images/index.js";
import { HEALTH_ACTIONS, type HealthAction, type HealthConfig } from "../machines/index.js";

/** The healthcheck fields of a create request, in Podman's names. */
export interface HealthOptions {
  /** A shell command line, a JSON array (run without a shell), or `none` (create --health-cmd). */
  healthCmd?: string;
  /** A Go duration (30s, 1m30s) or `disable`: no timer, only `healthcheck run`. */
  healthInterval?: string;
  healthTimeout?: string;
  healthStartPeriod?: string;
  healthRetries?: number;
  /** none, kill, restart or stop. */
  healthOnFailure?: string;
  /** Ignore the image's healthcheck (create --no-healthcheck). */
  noHealthcheck?: boolean;
}

/** Podman's and Docker's defaults. */
export const HEALTH_DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  retries: 3,
  startPeriodMs: 0,
};

/** The least interval and timeout Docker takes; less would turn a probe into a busy loop. */
export const MIN_HEALTH_MS = 100;
/** A day: longer is a mistake, and timers past 2^31 ms fire at once in Node. */
export const MAX_HEALTH_MS = 86_400_000;
const MAX_RETRIES = 1_000;

function duration(raw: string, flag: string, min: number): number {
  const ms = parseDuration(raw.trim());
  if (ms === undefined || ms < min || ms > MAX_HEALTH_MS) {
    throw new InvalidArgError(
      `invalid ${flag} ${JSON.stringify(raw)}: use a duration such as 30s or 1m30s, from ${min} ms to 24h`,
    );
  }
  return ms;
}

function testOf(cmd: string): string[] | undefined {
  const text = cmd.trim();
  if (text === "" || text.toLowerCase() === "none") return undefined;
  if (text.startsWith("[")) {
    let argv: unknown;
    try {
      argv = JSON.parse(text);
    } catch (err) {
      throw new InvalidArgError(`invalid --health-cmd: ${text} is not a JSON array`, {
        cause: err,
      });
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) {
      throw new InvalidArgError("invalid --health-cmd: a JSON array of strings, not empty");
    }
    // Docker's own form (["CMD", ...] or ["CMD-SHELL", "..."]) is taken as it is.
    const [first] = argv;
    return first === "CMD" || first === "CMD-SHELL" ? argv : ["CMD", ...argv];
  }
  return ["CMD-SHELL", text];
}

function imageTest(image: ImageHealthcheck | undefined): string[] | undefined {
  const [kind] = image?.test ?? [];
  return kind === "CMD" || kind === "CMD-SHELL" ? image?.test : undefined;
}

const nsToMs = (ns: number | undefined) => (ns ? Math.round(ns / 1e6) : undefined);

/** The record's healthcheck for a create, or undefined when the container has none. */
export function healthcheckFor(
  o: HealthOptions,
  image: ImageHealthcheck | undefined,
): HealthConfig | undefined {
  if (o.noHealthcheck && o.healthCmd !== undefined && testOf(o.healthCmd)) {
    throw new InvalidArgError("--no-healthcheck conflicts with --health-cmd");
  }
  const fromImage = o.noHealthcheck ? undefined : image;
  const test = o.healthCmd !== undefined ? testOf(o.healthCmd) : imageTest(fromImage);
  if (!test) {
    if (o.healthOnFailure !== undefined && o.healthOnFailure !== "none") {
      throw new InvalidArgError("--health-on-failure needs a healthcheck (--health-cmd)");
    }
    return undefined;
  }
  const onFailure = (o.healthOnFailure ?? "none") as HealthAction;
  if (!HEALTH_ACTIONS.includes(onFailure)) {
    throw new InvalidArgError(
      `invalid --health-on-failure ${JSON.stringify(o.healthOnFailure)}: use ${HEALTH_ACTIONS.join(", ")}`,
    );
  }
  const retries = o.healthRetries ?? fromImage?.retries ?? HEALTH_DEFAULTS.retries;
  if (!Number.isInteger(retries) || retries < 1 || retries > MAX_RETRIES) {
    throw new InvalidArgError(`invalid --health-retries ${retries}: use 1 to ${MAX_RETRIES}`);
  }
  const interval = o.healthInterval?.trim().toLowerCase();
  return {
    test,
    intervalMs:
      interval === "disable"
        ? 0
        : interval !== undefined
          ? duration(interval, "--health-interval", MIN_HEALTH_MS)
          : (nsToMs(fromImage?.intervalNs) ?? HEALTH_DEFAULTS.intervalMs),
    timeoutMs:
      o.healthTimeout !== undefined
        ? duration(o.healthTimeout, "--health-timeout", MIN_HEALTH_MS)
        : (nsToMs(fromImage?.timeoutNs) ?? HEALTH_DEFAULTS.timeoutMs),
    retries,
    startPeriodMs:
      o.healthStartPeriod !== undefined
        ? duration(o.healthStartPeriod, "--health-start-period", 0)
        : (nsToMs(fromImage?.startPeriodNs) ?? HEALTH_DEFAULTS.startPeriodMs),
    onFailure,
  };
}
