/**
 * Podman's exit codes for a container whose command could not run: 127 when
 * it is not there, 126 when it cannot be executed. `run` and `start -a` use
 * them; every other failure stays the CLI's 125.
 */
import { CommandNotExecutableError, CommandNotFoundError } from "../errors.js";

/** The exit code for `err`, when it says the container's command could not run. */
export function commandExitCode(err: unknown): number | undefined {
  if (err instanceof CommandNotFoundError) return 127;
  if (err instanceof CommandNotExecutableError) return 126;
  return undefined;
}

/** Runs a verb that starts a container; a command that could not run prints why and exits 126/127. */
export async function withCommandExit(verb: () => Promise<number>): Promise<number> {
  try {
    return await verb();
  } catch (err) {
    const code = commandExitCode(err);
    if (code === undefined) throw err;
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return code;
  }
}
