/**
 * The host side of exec sessions: each session's files live in
 * `<container dir>/exec/<session id>/` (its process spec, conmon's exit
 * file, its log and attach socket), so they go with the container.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { OciSpec } from "./bundle.js";
import { writeResize } from "./attach.js";
import {
  execPaths,
  readExecExit,
  spawnExec,
  type ExecOutcome,
  type ExecPaths,
} from "./exec-conmon.js";
import { execProcessSpec } from "./exec-spec.js";
import { errnoCode, parseJson } from "./fsutil.js";
import { assertContainerId, containerPaths, safeJoin, type Layout } from "./paths.js";
import type { TerminalSize } from "./types.js";
import { resolveUser } from "./user-resolve.js";

/** One session to start, as the service asks for it. */
export interface ExecStart {
  containerId: string;
  containerName: string;
  sessionId: string;
  command: string[];
  env: string[];
  user?: string;
  workingDir?: string;
  tty: boolean;
  stdin: boolean;
  attach: boolean;
}

/** Exec sessions on the host; LinuxExecs implements it, machine-only tests need none. */
export interface ExecRuntime {
  start(req: ExecStart): Promise<ExecOutcome>;
  /** The exit code conmon recorded for the session, if it has ended. */
  readExit(containerId: string, sessionId: string): Promise<number | undefined>;
  /** Whether the session's process still runs (its PID is in the container's PID namespace). */
  alive(containerId: string, sessionId: string, pid: number): Promise<boolean>;
  resize(containerId: string, sessionId: string, size: TerminalSize): Promise<void>;
}

export interface LinuxExecsOptions {
  layout: Layout;
  /** Default /usr/sbin/runc, as LinuxRuntime's. */
  runcPath?: string;
  /** Default /usr/bin/conmon, as LinuxRuntime's. */
  conmonPath?: string;
}

export class LinuxExecs implements ExecRuntime {
  constructor(private readonly o: LinuxExecsOptions) {}

  async start(req: ExecStart): Promise<ExecOutcome> {
    const container = containerPaths(this.o.layout, req.containerId);
    const paths = this.paths(req.containerId, req.sessionId);
    await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const config = parseJson(await fs.readFile(container.config, "utf8")) as OciSpec;
    // Resolved against the running container's own files, as runc resolves the container's user.
    const user = req.user ? await resolveUser(container.merged, req.user) : undefined;
    const spec = execProcessSpec(config.process, {
      command: req.command,
      env: req.env,
      tty: req.tty,
      ...(req.workingDir !== undefined ? { workingDir: req.workingDir } : {}),
      ...(user ? { user } : {}),
    });
    await fs.writeFile(paths.processFile, JSON.stringify(spec), { mode: 0o600 });
    return spawnExec({
      conmonPath: this.o.conmonPath ?? "/usr/bin/conmon",
      runcPath: this.o.runcPath ?? "/usr/sbin/runc",
      runcRoot: this.o.layout.runc,
      containerId: req.containerId,
      containerName: req.containerName,
      sessionId: req.sessionId,
      socketDir: this.o.layout.sockets,
      paths,
      tty: req.tty,
      stdin: req.stdin,
      attach: req.attach,
    });
  }

  readExit(containerId: string, sessionId: string): Promise<number | undefined> {
    return readExecExit(this.paths(containerId, sessionId));
  }

  async alive(containerId: string, sessionId: string, pid: number): Promise<boolean> {
    // conmon's pidfile names the session's process; a recycled PID would not match it.
    const recorded = await fs
      .readFile(this.paths(containerId, sessionId).pidfile, "utf8")
      .catch(() => "");
    if (Number(recorded.trim()) !== pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      if (errnoCode(err) === "ESRCH") return false;
      throw err;
    }
  }

  resize(containerId: string, sessionId: string, size: TerminalSize): Promise<void> {
    return writeResize(sessionId, this.paths(containerId, sessionId).ctl, size);
  }

  private paths(containerId: string, sessionId: string): ExecPaths {
    assertContainerId(sessionId);
    const dir = path.join(containerPaths(this.o.layout, containerId).dir, "exec");
    return execPaths(safeJoin(dir, sessionId));
  }
}
