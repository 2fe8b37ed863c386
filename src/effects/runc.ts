/**
 * Direct runc calls (everything after create, which conmon runs). All use
 * berth's own `--root`, so berth never sees or touches other engines' containers.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { OciRuntimeError } from "../errors.js";
import { signalName } from "../signals.js";
import { throwIfAborted } from "./abort.js";
import { defaultRunner } from "./default-runner.js";
import { parseJson } from "./fsutil.js";
import type { ProcessRunner } from "./process-runner.js";
import { isNotExist, runcError } from "./runc-errors.js";
import type { RuncState } from "./types.js";

/** A runc call that hangs (e.g. on a stuck cgroup) must not block its caller forever. */
const RUNC_TIMEOUT_MS = 30_000;

const StateSchema = z.object({
  status: z.enum(["creating", "created", "running", "paused", "stopped"]),
  pid: z.number().int(),
});

interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** runc bound to a binary and a state root. */
export class Runc {
  constructor(
    readonly binary: string,
    readonly root: string,
    private readonly runner: ProcessRunner = defaultRunner(),
  ) {}

  private async run(args: string[], signal?: AbortSignal): Promise<RunResult> {
    const result = await this.runner.run(this.binary, ["--root", this.root, ...args], {
      ...(signal !== undefined ? { signal } : {}),
      timeoutMs: RUNC_TIMEOUT_MS,
      forceKillAfterMs: 2_000,
    });
    throwIfAborted(signal);
    if (result.timedOut) {
      throw new OciRuntimeError(`runc ${args.join(" ")} timed out after ${RUNC_TIMEOUT_MS} ms`);
    }
    return {
      ok: !result.failed,
      stdout: result.stdout,
      // Spawn failures (ENOENT, EACCES) have no stderr; their message says what went wrong.
      stderr: result.stderr || (result.failed ? result.message : ""),
    };
  }

  private async expectOk(op: string, id: string, args: string[], signal?: AbortSignal) {
    const result = await this.run(args, signal);
    if (!result.ok) throw runcError(result.stderr, op, id);
    return result;
  }

  /** `runc start`: runs the user process of a created container. */
  async start(id: string, signal?: AbortSignal): Promise<void> {
    await this.expectOk("start", id, ["start", id], signal);
  }

  /** `runc kill <id> <signal>`. */
  async kill(id: string, sig: string, signal?: AbortSignal): Promise<void> {
    await this.expectOk("kill", id, ["kill", id, signalName(sig)], signal);
  }

  /** `runc pause`: freezes the container's cgroup. */
  async pause(id: string, signal?: AbortSignal): Promise<void> {
    await this.expectOk("pause", id, ["pause", id], signal);
  }

  /** `runc resume`: thaws the container's cgroup. */
  async resume(id: string, signal?: AbortSignal): Promise<void> {
    await this.expectOk("resume", id, ["resume", id], signal);
  }

  /** `runc delete --force`; succeeds when runc does not know the container. */
  async delete(id: string, signal?: AbortSignal): Promise<void> {
    const result = await this.run(["delete", "--force", id], signal);
    if (!result.ok && !isNotExist(result.stderr)) throw runcError(result.stderr, "delete", id);
  }

  /** `runc list`: the ids of every container under this root. One call, however many there are. */
  async list(signal?: AbortSignal): Promise<string[]> {
    const result = await this.run(["list", "-q"], signal);
    if (!result.ok) throw runcError(result.stderr, "list", "*");
    return result.stdout.split("\n").filter((l) => l.trim() !== "");
  }

  /** `runc state`, or undefined when runc does not know the container. */
  /**
   * Whether runc holds a container with this id: its state folder exists.
   * That folder is what `runc create` itself refuses to create over, so this
   * answers the same question as `state` without starting a process.
   */
  async holds(id: string): Promise<boolean> {
    try {
      await stat(join(this.root, id));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  async state(id: string, signal?: AbortSignal): Promise<RuncState | undefined> {
    const result = await this.run(["state", id], signal);
    if (!result.ok) {
      if (isNotExist(result.stderr)) return undefined;
      throw runcError(result.stderr, "state", id);
    }
    const parsed = StateSchema.safeParse(parseJson(result.stdout));
    if (!parsed.success) {
      throw new OciRuntimeError(
        `runc state ${id}: unexpected output ${JSON.stringify(result.stdout)}`,
      );
    }
    return { status: parsed.data.status, pid: parsed.data.pid };
  }
}
