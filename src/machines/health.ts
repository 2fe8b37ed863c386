/**
 * Healthchecks, decided purely: what a probe's result does to a container's
 * health (Docker's and Podman's rules). The
 * probes themselves run in the service's monitor; only transitions become
 * facts, so a probe every second does not grow the journal.
 */

export const HEALTH_STATUSES = ["starting", "healthy", "unhealthy"] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** What berth does when a container turns unhealthy (Podman's --health-on-failure). */
export const HEALTH_ACTIONS = ["none", "kill", "restart", "stop"] as const;
export type HealthAction = (typeof HEALTH_ACTIONS)[number];

/** A container's healthcheck as resolved at create: the image's, with create's flags over it. */
export interface HealthConfig {
  /** Docker's form: `["CMD", prog, ...args]` or `["CMD-SHELL", "command line"]`. */
  test: string[];
  /** Between the end of one probe and the start of the next; 0: only `healthcheck run`. */
  intervalMs: number;
  /** A probe running longer fails (its process is killed). */
  timeoutMs: number;
  /** Consecutive failures that make the container unhealthy. */
  retries: number;
  /** After a start, failures do not count until this has passed (a success still counts). */
  startPeriodMs: number;
  onFailure: HealthAction;
}

/** A container's health as the record keeps it: set at each transition. */
export interface Health {
  status: HealthStatus;
  /** Consecutive failed probes when the status was last set. */
  failingStreak: number;
}

/** The data of a `health_status` fact: the new health and the probe that caused it. */
export interface HealthReport extends Health {
  /** The probe's exit code; absent for the `starting` a start journals. */
  exitCode?: number;
  /** The end of the probe's output, at most OUTPUT_LIMIT characters. */
  output?: string;
}

/** How much of a probe's output the journal keeps (Docker keeps 4 KiB too). */
export const OUTPUT_LIMIT = 4_096;

/** One probe's outcome. A timeout or a probe that could not run is a failure. */
export interface ProbeResult {
  exitCode: number;
  output: string;
  /** When the probe ended, ISO 8601. */
  at: string;
}

/** The argv a probe runs. */
export function probeCommand(test: readonly string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === "CMD-SHELL") return ["/bin/sh", "-c", rest.join(" ")];
  return rest;
}

/** Whether the record has a healthcheck to run. */
export const hasHealthcheck = (r: {
  healthcheck?: HealthConfig;
}): r is { healthcheck: HealthConfig } => r.healthcheck !== undefined;

/**
 * The health after one probe: a success makes the container healthy and
 * clears the streak; a failure within the start period of a container still
 * starting is not counted; otherwise the streak grows and reaching `retries`
 * makes it unhealthy. Docker and Podman agree on all three.
 */
export function nextHealth(
  current: Health,
  result: Pick<ProbeResult, "exitCode" | "at">,
  config: Pick<HealthConfig, "retries" | "startPeriodMs">,
  startedAt: string | undefined,
): Health {
  if (result.exitCode === 0) return { status: "healthy", failingStreak: 0 };
  const sinceStart = startedAt ? Date.parse(result.at) - Date.parse(startedAt) : Infinity;
  if (current.status === "starting" && sinceStart < config.startPeriodMs) return current;
  const failingStreak = current.failingStreak + 1;
  return {
    status: failingStreak >= config.retries ? "unhealthy" : current.status,
    failingStreak,
  };
}

/** The report to journal for a probe's result, or undefined when the status did not change. */
export function healthTransition(
  before: Health,
  after: Health,
  result: Pick<ProbeResult, "exitCode" | "output">,
): HealthReport | undefined {
  if (after.status === before.status) return undefined;
  return { ...after, exitCode: result.exitCode, output: result.output.slice(-OUTPUT_LIMIT) };
}

/** What an unhealthy transition asks the machine to do, if anything. */
export function healthActionDue(
  record: { healthcheck?: HealthConfig },
  report: Pick<HealthReport, "status">,
): Exclude<HealthAction, "none"> | undefined {
  const action = record.healthcheck?.onFailure ?? "none";
  return report.status === "unhealthy" && action !== "none" ? action : undefined;
}
