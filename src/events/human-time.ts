/**
 * Durations in the words Docker's go-units `HumanDuration` uses, which
 * Podman's `ps` prints: "Less than a second", "About a minute", "3 hours".
 */

/** How long `ms` milliseconds is, as go-units `HumanDuration` words it. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  // go-units rounds hours to the nearest, but counts years from the whole hours.
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "About a minute ago" for the time `iso`, seen at `now`; a clock behind `iso` reads as now. */
export function humanAgo(iso: string, now: number): string {
  return `${humanDuration(Math.max(0, now - Date.parse(iso)))} ago`;
}
