/**
 * Docker splits an exec into create and start; berth creates and starts in
 * one step. So the Docker adapter keeps, in memory and per daemon, what a
 * client created until it starts it, and afterwards which berth session a
 * Docker exec id stands for. Both are bounded: a client that creates and
 * never starts cannot grow the daemon.
 */
import { randomBytes } from "node:crypto";
import { CtrStateInvalidError, NoSuchExecSessionError } from "../errors.js";
import type { DockerExecConfig } from "./exec-body.js";

/** A created exec, and once started, the berth session that runs it. */
export interface DockerExec {
  /** Docker's exec id: 64 hex digits, as dockerd's. */
  id: string;
  containerId: string;
  config: DockerExecConfig;
  createdAt: number;
  sessionId?: string;
}

export interface ExecStoreLimits {
  /** Created, unstarted execs kept; past it the oldest is forgotten. */
  maxPending: number;
  /** How long an unstarted exec is kept, in milliseconds. */
  pendingTtlMs: number;
  /** Started execs whose Docker id is remembered; past it the oldest is forgotten. */
  maxStarted: number;
}

export const EXEC_STORE_LIMITS: ExecStoreLimits = {
  maxPending: 1024,
  pendingTtlMs: 5 * 60_000,
  maxStarted: 4096,
};

const noSuchExec = (id: string) => new NoSuchExecSessionError(`No such exec instance: ${id}`);

export class DockerExecStore {
  // Maps keep insertion order: the first key is the oldest.
  private readonly pending = new Map<string, DockerExec>();
  private readonly started = new Map<string, DockerExec>();

  constructor(
    private readonly limits: ExecStoreLimits = EXEC_STORE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers a created exec under a fresh Docker id, forgetting the oldest if full. */
  create(containerId: string, config: DockerExecConfig): DockerExec {
    this.sweep();
    while (this.pending.size >= this.limits.maxPending) {
      const oldest = this.pending.keys().next();
      if (oldest.done === true) break;
      this.pending.delete(oldest.value);
    }
    const exec: DockerExec = {
      id: randomBytes(32).toString("hex"),
      containerId,
      config,
      createdAt: this.now(),
    };
    this.pending.set(exec.id, exec);
    return exec;
  }

  /** The exec, pending or started; NoSuchExecSessionError (404) when unknown or expired. */
  get(id: string): DockerExec {
    this.sweep();
    const exec = this.pending.get(id) ?? this.started.get(id);
    if (!exec) throw noSuchExec(id);
    return exec;
  }

  /**
   * Takes a pending exec to start it: it leaves the pending set at once, so
   * two starts of one exec cannot both run it (dockerd answers 409 too).
   */
  claim(id: string): DockerExec {
    this.sweep();
    const exec = this.pending.get(id);
    if (exec) {
      this.pending.delete(id);
      return exec;
    }
    if (this.started.has(id)) throw new CtrStateInvalidError(`exec ${id} has already been started`);
    throw noSuchExec(id);
  }

  /** Records the berth session a claimed exec runs as. */
  markStarted(exec: DockerExec, sessionId: string): void {
    while (this.started.size >= this.limits.maxStarted) {
      const oldest = this.started.keys().next();
      if (oldest.done === true) break;
      this.started.delete(oldest.value);
    }
    this.started.set(exec.id, { ...exec, sessionId });
  }

  /** Counts, for tests and diagnostics. */
  size(): { pending: number; started: number } {
    this.sweep();
    return { pending: this.pending.size, started: this.started.size };
  }

  /** Forgets unstarted execs older than the time to live; the oldest come first. */
  private sweep(): void {
    const cutoff = this.now() - this.limits.pendingTtlMs;
    for (const [id, exec] of this.pending) {
      if (exec.createdAt > cutoff) break;
      this.pending.delete(id);
    }
  }
}
