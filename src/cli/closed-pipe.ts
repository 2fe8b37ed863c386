/**
 * `berth events | head`: once the reader has gone, the CLI has nothing left
 * to do. Node reports the closed pipe as an 'error' event on stdout, which,
 * unhandled, ends the process with a stack trace. Like `git log | head`, the
 * CLI stops quietly instead; it exits 0, since the reader asked for no more
 * and nothing failed (a `set -o pipefail` script keeps working).
 */

/** Makes a closed stdout end the CLI quietly; other stdout errors are still thrown. */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}
