/**
 * Exec sessions as service operations (libpod's ExecCreate + ExecStart in one
 * step). The session's configuration is journaled (`exec_create`) before its
 * process runs, in the container's queue; its start and its death follow as
 * observations, so `exec_died` is durable before the client hears the code.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { AttachSession, ExecRuntime } from "../effects/index.js";
import { NoSuchExecSessionError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import type { ContainerRecord, ExecConfig, ExecExit, RequestMeta } from "../machines/index.js";
import { recordOf, type ActorPool, type Entry } from "./actor-pool.js";
import type { CommandPath } from "./command-path.js";
import { checkExecRequest, type ExecRequest } from "./exec-config.js";

/** A started exec: the record with its session, the live output when attached, and its end. */
export interface ExecHandle {
  record: ContainerRecord;
  session: ExecConfig;
  /** Connected before the process ran, so none of its output is lost. */
  attach?: AttachSession;
  /** The exit code, once its `exec_died` is durable. */
  exitCode: Promise<number>;
}

/** An exec session as `inspect` shows it, folded from its events. */
export interface ExecInspect extends ExecConfig {
  containerId: string;
  running: boolean;
  pid?: number;
  exitCode?: number;
  cause?: ExecExit["cause"];
  message?: string;
}

/** The runtime reports exec starts and deaths; reconciles find them gone. */
const runtimeMeta = (actor = "runtime:conmon"): RequestMeta => ({
  actor,
  requestId: randomUUID(),
});

/** How often a session berth did not start itself (found at start-up) is checked. */
const POLL_MS = 250;
/**
 * conmon reaps the session's process before it writes the exit file, so a
 * process seen gone may have its code on disk only a moment later; how long
 * that moment is grows with the machine's load.
 */
const EXIT_FILE_GRACE_MS = 5_000;

export class ExecSessions {
  /** Exit codes of sessions this daemon watches, by session id. */
  private readonly ends = new Map<string, Promise<number>>();

  constructor(
    private readonly pool: ActorPool,
    private readonly commands: CommandPath,
    private readonly execs: ExecRuntime,
    private readonly history: (ref: string) => Promise<CloudEvent[]>,
  ) {}

  /**
   * Creates and starts one session in a running container. A command runc
   * cannot run still makes a session, which dies at once with Podman's 126
   * or 127; conmon failing outright rejects after journaling the death.
   */
  async exec(ref: string, req: ExecRequest, meta: RequestMeta): Promise<ExecHandle> {
    checkExecRequest(req);
    const session: ExecConfig = {
      id: randomBytes(32).toString("hex"),
      command: req.command,
      env: req.env ?? [],
      ...(req.user ? { user: req.user } : {}),
      ...(req.workingDir !== undefined ? { workingDir: req.workingDir } : {}),
      tty: req.tty ?? false,
      stdin: req.stdin ?? false,
      detach: req.detach ?? false,
    };
    const entry = await this.commands.entryOrRefuse(ref, { type: "EXEC_CREATE", session }, meta);
    return entry.queue.run(async () => {
      const created = await this.commands.apply(entry, { type: "EXEC_CREATE", session }, meta);
      const died = (exit: Omit<ExecExit, "sessionId">) =>
        this.observeDeath(entry, { sessionId: session.id, ...exit }, false);
      let outcome;
      try {
        outcome = await this.execs.start({
          containerId: created.id,
          containerName: created.name,
          sessionId: session.id,
          command: session.command,
          env: session.env,
          ...(session.user ? { user: session.user } : {}),
          ...(session.workingDir !== undefined ? { workingDir: session.workingDir } : {}),
          tty: session.tty,
          stdin: session.stdin,
          attach: !session.detach,
        });
      } catch (err) {
        await died({ exitCode: -1, cause: "start-failed", message: (err as Error).message });
        throw err;
      }
      if ("failed" in outcome) {
        const { exitCode, message } = outcome.failed;
        await died({ exitCode, cause: "start-failed", message });
        return { record: recordOf(entry), session, exitCode: Promise.resolve(exitCode) };
      }
      const { pid, attach, exited } = outcome.running;
      await this.pool.send(entry, {
        type: "EXEC_STARTED",
        sessionId: session.id,
        pid,
        meta: runtimeMeta(),
      });
      const exitCode = this.track(entry, session.id, async () => {
        const code = await exited;
        return code ?? (await this.execs.readExit(created.id, session.id));
      });
      return { record: recordOf(entry), session, ...(attach ? { attach } : {}), exitCode };
    });
  }

  /** The session as its events tell it; `wait` resolves once it has ended. */
  async inspect(ref: string, sessionId: string, wait = false): Promise<ExecInspect> {
    const pending = this.ends.get(sessionId);
    if (wait && pending) await pending;
    let found: ExecInspect | undefined;
    for (const e of await this.history(ref)) {
      const d = e.data;
      if (e.type.endsWith(".exec_create") && d.id === sessionId) {
        const { outcome: _o, ...config } = d as unknown as ExecConfig & { outcome: string };
        found = { ...config, containerId: e.subject, running: true };
      } else if (found && d.sessionId === sessionId) {
        if (e.type.endsWith(".exec_start")) found.pid = d.pid as number;
        if (e.type.endsWith(".exec_died")) {
          const exit = d as unknown as ExecExit;
          found.running = false;
          found.exitCode = exit.exitCode;
          if (exit.cause) found.cause = exit.cause;
          if (exit.message) found.message = exit.message;
        }
      }
    }
    if (!found) {
      throw new NoSuchExecSessionError(`no exec session with ID ${sessionId} in container ${ref}`);
    }
    return found;
  }

  /** Resizes an exec session's terminal. */
  resize(containerId: string, sessionId: string, size: { width: number; height: number }) {
    return this.execs.resize(containerId, sessionId, size);
  }

  /**
   * After a restart: sessions whose process is gone die with the code conmon
   * wrote (or -1, cause reconcile); live ones are watched until they end.
   */
  reconcile(): void {
    for (const entry of this.pool.all()) {
      const record = recordOf(entry);
      for (const s of record.execSessions ?? []) {
        if (this.ends.has(s.id)) continue;
        void this.track(
          entry,
          s.id,
          async () => {
            while (s.pid !== undefined && (await this.execs.alive(record.id, s.id, s.pid))) {
              await new Promise((r) => setTimeout(r, POLL_MS));
            }
            return this.exitOnceWritten(record.id, s.id);
          },
          true,
        );
      }
    }
  }

  private async exitOnceWritten(
    containerId: string,
    sessionId: string,
  ): Promise<number | undefined> {
    const deadline = Date.now() + EXIT_FILE_GRACE_MS;
    for (;;) {
      const code = await this.execs.readExit(containerId, sessionId);
      if (code !== undefined || Date.now() >= deadline) return code;
      await new Promise((r) => setTimeout(r, POLL_MS / 5));
    }
  }

  private track(
    entry: Entry,
    sessionId: string,
    end: () => Promise<number | undefined>,
    reconcile = false,
  ): Promise<number> {
    const done = end()
      .catch(() => undefined)
      .then(async (code) => {
        const exit: ExecExit = {
          sessionId,
          exitCode: code ?? -1,
          ...(code === undefined || reconcile ? { cause: "reconcile" as const } : {}),
        };
        await this.observeDeath(entry, exit, true);
        return exit.exitCode;
      })
      .finally(() => this.ends.delete(sessionId));
    this.ends.set(sessionId, done);
    return done;
  }

  /**
   * Journals a death. A session that died with its container is already
   * journaled: the observation is then dropped, and its code is the one the
   * record's `exec_died` holds (which the caller reads from the process anyway).
   */
  private async observeDeath(entry: Entry, exit: ExecExit, queued: boolean): Promise<void> {
    const command = { type: "EXEC_EXITED" as const, exit, meta: runtimeMeta() };
    if (queued) await this.pool.observe(entry, command);
    else await this.pool.send(entry, command);
  }
}
