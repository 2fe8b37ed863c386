/**
 * The bodies of Docker's exec endpoints: `POST /containers/{id}/exec`
 * (moby's ExecOptions) and `POST /exec/{id}/start` (ExecStartOptions).
 * The CLI sends every field, most of them zero; a field that asks for
 * something berth cannot do (Privileged) is refused, never dropped.
 */
import { InvalidArgError } from "../errors.js";
import { parseDetachKeys } from "../client/index.js";
import type { TerminalSize } from "../effects/index.js";

/** A created exec as berth will run it. */
export interface DockerExecConfig {
  command: string[];
  env: string[];
  user?: string;
  workingDir?: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  /** Docker's spelling (`ctrl-p,ctrl-q`); undefined takes berth's default. */
  detachKeys?: string;
  consoleSize?: TerminalSize;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const bad = (field: string, what: string) =>
  new InvalidArgError(`invalid ${field} in the exec body: ${what}`);

function bool(body: Json, field: string): boolean {
  const v = body[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw bad(field, "not a boolean");
  return v;
}

function str(body: Json, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw bad(field, "not a string");
  return v;
}

function strings(body: Json, field: string): string[] {
  const v = body[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string"))
    throw bad(field, "not a list of strings");
  return v;
}

/** `ConsoleSize` is `[height, width]`; `[0, 0]` (the CLI's zero) asks for nothing. */
function consoleSize(body: Json): TerminalSize | undefined {
  const v = body.ConsoleSize;
  if (v === undefined || v === null) return undefined;
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !v.every((n) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff)
  )
    throw bad("ConsoleSize", "not [height, width]");
  const [height, width] = v as [number, number];
  if (height === 0 && width === 0) return undefined;
  if (height === 0 || width === 0) throw bad("ConsoleSize", "a zero side");
  return { height, width };
}

/** The exec create body as berth runs it; InvalidArgError (400) names the bad field. */
export function dockerExecConfig(body: unknown): DockerExecConfig {
  if (!isObject(body)) throw new InvalidArgError("the exec body must be a JSON object");
  const command = strings(body, "Cmd");
  // dockerd's own wording for the commonest mistake.
  if (command.length === 0) throw new InvalidArgError("No exec command specified");
  if (bool(body, "Privileged")) throw bad("Privileged", "berth runs no privileged exec sessions");
  const detachKeys = str(body, "DetachKeys");
  if (detachKeys !== undefined) {
    try {
      parseDetachKeys(detachKeys);
    } catch (err) {
      throw bad("DetachKeys", (err as Error).message);
    }
  }
  const user = str(body, "User");
  const workingDir = str(body, "WorkingDir");
  const size = consoleSize(body);
  return {
    command,
    env: strings(body, "Env"),
    ...(user !== undefined ? { user } : {}),
    ...(workingDir !== undefined ? { workingDir } : {}),
    tty: bool(body, "Tty"),
    attachStdin: bool(body, "AttachStdin"),
    attachStdout: bool(body, "AttachStdout"),
    attachStderr: bool(body, "AttachStderr"),
    ...(detachKeys !== undefined ? { detachKeys } : {}),
    ...(size ? { consoleSize: size } : {}),
  };
}

/** The start body: whether to detach. `Tty` there only repeats create's, which rules. */
export function dockerExecStart(body: unknown): { detach: boolean } {
  if (!isObject(body)) throw new InvalidArgError("the exec start body must be a JSON object");
  const detach = body.Detach;
  if (detach !== undefined && detach !== null && typeof detach !== "boolean")
    throw new InvalidArgError("invalid Detach in the exec start body: not a boolean");
  return { detach: detach === true };
}
