/**
 * The fold: a pure function from a record and a fact to the next record.
 * Replay, the live machine and the stored projection all go through it.
 */
import { InternalError } from "../errors.js";
import type { Fact } from "./facts.js";
import type { Health } from "./health.js";
import type { NetworkAttachment } from "./network.js";
import type { ContainerRecord, ContainerState } from "./record.js";

/** Where a fact sits in its stream: the container id, the event time and its stream version. */
export interface FactPosition {
  id: string;
  time: string;
  version: number;
}

/** Applies one fact. A failure fact names the state the container was left in. */
export function evolve(
  record: ContainerRecord | undefined,
  fact: Fact,
  at: FactPosition,
): ContainerRecord {
  if (fact.data.outcome === "failure") {
    if (!record) throw new InternalError(`a failed ${fact.action} cannot start a stream`);
    return { ...record, state: fact.data.state, version: at.version };
  }
  if (fact.action === "create") {
    const d = fact.data;
    return {
      id: at.id,
      ...d,
      // Journals written before labels existed have none.
      labels: d.labels ?? {},
      // A create event from before the sandbox has no `sandbox`, and its record keeps none (LEGACY_SANDBOX).
      state: "configured",
      createdAt: at.time,
      oomKilled: false,
      stoppedByUser: false,
      restartCount: 0,
      mountCount: 0,
      version: at.version,
    };
  }
  if (!record) throw new InternalError(`event ${fact.action} before create`);
  const next = applySuccess(record, fact);
  // applySuccess returns a fresh object whenever it changes something; only then may it be finished in place.
  if (next === record) return { ...record, version: at.version };
  next.version = at.version;
  return next;
}

/** The record after one success fact other than create (which starts a record instead). */
function applySuccess(r: ContainerRecord, f: Fact): ContainerRecord {
  switch (f.action) {
    case "init": {
      const d = f.data as { pid: number; conmonPid: number; network?: NetworkAttachment };
      return {
        ...r,
        state: "created",
        pid: d.pid,
        conmonPid: d.conmonPid,
        ...(d.network ? { networkAttachment: d.network } : {}),
      };
    }
    case "start": {
      const d = f.data as { startedAt: string; restartCount?: number };
      const { exitCode: _e, finishedAt: _f, ...rest } = r;
      return {
        ...rest,
        state: "running",
        startedAt: d.startedAt,
        oomKilled: false,
        stoppedByUser: false,
        restartCount: d.restartCount ?? 0,
      };
    }
    case "pause":
      return { ...r, state: "paused" };
    case "unpause":
      return { ...r, state: "running" };
    case "kill":
    case "stop":
      return { ...r, stoppedByUser: true };
    case "died": {
      const d = f.data as { exitCode: number; exitedAt: string; oomKilled: boolean };
      // The exec sessions died with the container; their exec_died facts come in the same batch.
      const { pid: _p, execSessions: _x, ...rest } = r;
      return {
        ...rest,
        state: "stopped",
        exitCode: d.exitCode,
        finishedAt: d.exitedAt,
        oomKilled: d.oomKilled,
      };
    }
    case "cleanup": {
      // Cleanup tears the network down with the runtime's container.
      const { pid: _p, conmonPid: _c, networkAttachment: _n, ...rest } = r;
      // A created container that is cleaned up has left the runtime: it is configured again.
      const configuredAgain = r.state === "created" || r.state === "configured";
      return { ...rest, state: configuredAgain ? "configured" : "exited" };
    }
    case "remove": {
      const { networkAttachment: _n, ...rest } = r;
      return { ...rest, state: "removed" };
    }
    case "mount":
    case "unmount":
      return { ...r, mountCount: (f.data as { count: number }).count };
    case "sync":
      return { ...r, state: (f.data as { state: ContainerState }).state };
    case "checkpoint": {
      const d = f.data as { keepRunning: boolean; path: string };
      if (d.keepRunning) return { ...r, checkpoint: d.path };
      const { pid: _p, conmonPid: _c, ...rest } = r;
      return { ...rest, state: "exited", checkpoint: d.path, stoppedByUser: true };
    }
    case "restore":
      return { ...r, state: "running" };
    case "exec_create": {
      const d = f.data as { id: string; command: string[] };
      return {
        ...r,
        execSessions: [...(r.execSessions ?? []), { id: d.id, command: d.command }],
      };
    }
    case "exec_start": {
      const d = f.data as { sessionId: string; pid: number };
      const sessions = (r.execSessions ?? []).map((s) =>
        s.id === d.sessionId ? { ...s, pid: d.pid } : s,
      );
      return { ...r, execSessions: sessions };
    }
    case "exec_died": {
      const d = f.data as { sessionId: string };
      const sessions = (r.execSessions ?? []).filter((s) => s.id !== d.sessionId);
      if (sessions.length > 0) return { ...r, execSessions: sessions };
      const { execSessions: _x, ...rest } = r;
      return rest;
    }
    case "health_status": {
      const d = f.data as { status: Health["status"]; failingStreak: number };
      return { ...r, health: { status: d.status, failingStreak: d.failingStreak } };
    }
    // The died that follows carries oomKilled.
    case "oom":
    case "restart":
    case "attach":
    case "export":
    case "request":
      return r;
    case "create":
      throw new InternalError(`container ${r.id} created twice`);
  }
}
