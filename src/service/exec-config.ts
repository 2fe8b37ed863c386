/**
 * Checks on an exec request before anything is journaled: bad input gets a
 * typed error and leaves no trace.
 */
import { InvalidArgError } from "../errors.js";

/** An exec as a client asks for it (Podman's exec flags). */
export interface ExecRequest {
  command: string[];
  env?: string[];
  user?: string;
  workingDir?: string;
  tty?: boolean;
  stdin?: boolean;
  detach?: boolean;
}

const ENV_KEY = /^[^=\0]+$/;
/** Bounds that keep one request's journal entry and process spec small. */
const MAX_ARGS = 4096;
const MAX_BYTES = 256 * 1024;

/** Throws InvalidArgError for a request runc could not be given. */
export function checkExecRequest(req: ExecRequest): void {
  if (req.command.length === 0 || req.command[0] === "") {
    throw new InvalidArgError("must provide a non-empty command to start an exec session");
  }
  const env = req.env ?? [];
  const all = [...req.command, ...env, req.user ?? "", req.workingDir ?? ""];
  if (all.some((s) => s.includes("\0"))) {
    throw new InvalidArgError("exec command, env, user and working directory cannot contain NUL");
  }
  if (req.command.length + env.length > MAX_ARGS) {
    throw new InvalidArgError(`an exec takes at most ${MAX_ARGS} arguments and env entries`);
  }
  if (all.reduce((n, s) => n + Buffer.byteLength(s), 0) > MAX_BYTES) {
    throw new InvalidArgError(`an exec's command and env take at most ${MAX_BYTES} bytes`);
  }
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq <= 0 || !ENV_KEY.test(entry.slice(0, eq))) {
      throw new InvalidArgError(`invalid env entry ${JSON.stringify(entry)}: use KEY=value`);
    }
  }
  if (req.workingDir !== undefined && !req.workingDir.startsWith("/")) {
    throw new InvalidArgError(
      `exec working directory ${JSON.stringify(req.workingDir)} must be an absolute path`,
    );
  }
  if (req.detach && req.stdin) {
    // Nobody would be attached to type into it.
    throw new InvalidArgError("a detached exec cannot keep stdin open");
  }
}
