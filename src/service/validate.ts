/**
 * Input checks shared by the service's entry points. Bad input gets a typed
 * InvalidArgError before anything is journaled or run.
 */
import { InvalidArgError } from "../errors.js";
import type { RestartPolicy } from "../machines/index.js";

// The signal normaliser is shared with the runtime and the transports, so it lives outside the service.
export { signalName } from "../signals.js";

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** A container name as Podman accepts it. */
export function containerName(name: string): string {
  if (!NAME.test(name)) {
    throw new InvalidArgError(
      `invalid container name ${JSON.stringify(name)}: must match ${NAME.source}`,
    );
  }
  return name;
}

const POLICY = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/;

/** The most retries `on-failure:N` may ask for; more is a typo, not a policy. */
export const MAX_RESTART_RETRIES = 1_000;

/**
 * The longest timeout in seconds: Node's timers hold at most 2^31-1 ms, and a
 * longer delay fires at once (a patient stop would become an instant SIGKILL).
 */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1_000);

/** A restart policy as Podman writes it: no, always, unless-stopped, on-failure[:N]. */
export function restartPolicy(input = "no"): RestartPolicy {
  const m = POLICY.exec(input);
  if (!m || (m[2] !== undefined && m[1] !== "on-failure")) {
    throw new InvalidArgError(
      `invalid restart policy ${JSON.stringify(input)}: use no, always, unless-stopped or on-failure[:N]`,
    );
  }
  const maxRetries = m[2] === undefined ? 0 : Number(m[2]);
  if (maxRetries > MAX_RESTART_RETRIES) {
    throw new InvalidArgError(
      `invalid restart policy ${JSON.stringify(input)}: on-failure allows at most ${MAX_RESTART_RETRIES} retries`,
    );
  }
  return { name: m[1] as RestartPolicy["name"], maxRetries };
}

/** Labels as given to create: keys must be non-empty and free of "=". */
export function labels(input: Record<string, string> = {}): Record<string, string> {
  for (const key of Object.keys(input)) {
    if (key === "" || key.includes("=")) {
      throw new InvalidArgError(
        `invalid label key ${JSON.stringify(key)}: it must be non-empty and have no "="`,
      );
    }
  }
  return { ...input };
}

/** A whole number of seconds from 0 to MAX_TIMEOUT_SECONDS. */
export function seconds(input: number, what: string): number {
  if (!Number.isInteger(input) || input < 0 || input > MAX_TIMEOUT_SECONDS) {
    throw new InvalidArgError(
      `invalid ${what} ${JSON.stringify(input)}: must be a whole number of seconds from 0 to ${MAX_TIMEOUT_SECONDS}`,
    );
  }
  return input;
}
