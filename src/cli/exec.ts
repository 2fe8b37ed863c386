/**
 * `berth exec`: runs a command in a running container, as Podman's exec. The
 * session's stdio comes over an upgraded connection (stdin with -i, a raw
 * terminal with -t); the CLI exits with the command's code (126 or 127 when
 * it could not be run). With -d it prints the session id and returns at once.
 */
import {
  BerthClient,
  DEFAULT_DETACH_KEYS,
  openAttachConnection,
  parseDetachKeys,
} from "../client/index.js";
import { InternalError } from "../errors.js";
import { forwardStdin, pumpOutput } from "./attach.js";
import { followTerminalSize } from "./terminal-size.js";

export interface ExecOptions {
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  detachKeys?: string;
}

export async function execCommand(
  socket: string,
  ref: string,
  command: string[],
  opts: ExecOptions,
): Promise<number> {
  const detachKeys = opts.detachKeys ?? DEFAULT_DETACH_KEYS;
  parseDetachKeys(detachKeys);
  const client = new BerthClient({ socketPath: socket });
  const body = {
    command,
    env: opts.env ?? [],
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    ...(opts.workdir !== undefined ? { workingDir: opts.workdir } : {}),
    tty: opts.tty ?? false,
    stdin: (opts.interactive ?? false) && !opts.detach,
    detach: opts.detach ?? false,
  };
  const base = `/containers/${encodeURIComponent(ref)}/exec`;
  if (opts.detach) {
    const session = await client.call<{ id: string }>("POST", base, body);
    process.stdout.write(`${session.id}\n`);
    return 0;
  }
  const query = new URLSearchParams({ detachKeys });
  const conn = await openAttachConnection(
    socket,
    `${base}?${query.toString()}`,
    undefined,
    JSON.stringify(body),
  );
  const id = conn.headers["x-berth-exec-id"];
  if (typeof id !== "string") throw new InternalError("the daemon named no exec session");
  let detached = false;
  const output = pumpOutput(conn);
  const cleanups: (() => void)[] = [];
  if (body.stdin) {
    cleanups.push(forwardStdin(conn.socket, { detachKeys }, body.tty, () => (detached = true)));
  }
  if (body.tty && process.stdout.isTTY) {
    cleanups.push(
      followTerminalSize((size) => client.call("POST", `${base}/${id}/resize?${size}`), true),
    );
  }
  await output.closed;
  for (const cleanup of cleanups) cleanup();
  const failure = output.failure();
  if (failure && !detached) {
    throw new InternalError(`exec stream failed: ${failure.message}`, { cause: failure });
  }
  if (detached) return 0;
  const session = await client.call<{ exitCode?: number }>("GET", `${base}/${id}?wait=1`);
  return session.exitCode ?? -1;
}
