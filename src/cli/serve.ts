/**
 * `berth serve`: runs the daemon until SIGTERM or SIGINT, then shuts down cleanly.
 */
import { startDaemon } from "../daemon/index.js";
import { daemonOptions, type ServeFlags } from "./serve-options.js";

export type { ServeFlags } from "./serve-options.js";

export async function serve(opts: ServeFlags & { socket: string; version: string }): Promise<void> {
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  let daemon;
  try {
    daemon = await startDaemon(daemonOptions(opts, { ...opts, log }));
  } catch (err) {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 125;
    return;
  }
  const running = daemon;
  const stop = (sig: string) => {
    log(`${sig}: shutting down`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}
