/**
 * What the CLI adds to a start or stop: Podman's CLI treats a start of a
 * running container and a stop of one that is not running as done, so berth's
 * asks the daemon to answer those with success (journaled as `unchanged`)
 * rather than forgiving refusals itself. Which states count is decided by
 * `alreadyMet` in src/machines/rules.ts, nowhere else.
 */
export const IF_NEEDED = { ifNeeded: true } as const;
