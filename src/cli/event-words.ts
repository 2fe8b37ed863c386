/**
 * How one journal event reads to a person, shared by `history`, the
 * timeline and `events` so the three name things the same way.
 */
import type { CloudEvent } from "../events/index.js";
import { actionOf } from "../events/index.js";

/** The fields of an event's data that the human outputs read. */
export interface EventWords {
  outcome?: string;
  error?: { code?: string; message?: string };
  command?: string;
  cause?: string;
  exitCode?: number;
  oomKilled?: boolean;
  signal?: string;
  status?: string;
  attempt?: number;
  policy?: boolean;
  state?: string;
  keepRunning?: boolean;
  /** An `ifNeeded` request that found its goal met, and the state it found. */
  unchanged?: string;
}

export const wordsOf = (e: CloudEvent): EventWords => e.data;

export const failed = (e: CloudEvent): boolean => wordsOf(e).outcome === "failure";

/**
 * "success", "failure", or for a request whose goal was already met "success:
 * already exited": without it such a request reads like a change that never came.
 */
export function outcomeWord(e: CloudEvent): string {
  const { unchanged } = wordsOf(e);
  if (failed(e)) return "failure";
  return unchanged ? `success: already ${unchanged}` : "success";
}

/**
 * The action with what a reader needs beside it: the command a request
 * asked for (and why berth asked for it), a death's exit code, a signal, a
 * health status, a policy restart's attempt.
 */
export function actionLabel(e: CloudEvent): string {
  const action = actionOf(e.type);
  const d = wordsOf(e);
  switch (action) {
    case "request": {
      const asked = typeof d.command === "string" ? `request ${d.command}` : action;
      return d.cause ? `${asked} (${d.cause})` : asked;
    }
    case "died":
      if (d.exitCode === undefined) return action;
      return `died (${d.exitCode}${d.oomKilled ? ", oom" : ""})`;
    case "kill":
    case "stop":
      return d.signal ? `${action} ${d.signal}` : action;
    case "health_status":
      return d.status ? `${action} ${d.status}` : action;
    case "restart":
      return d.policy ? `restart (policy, attempt ${d.attempt ?? "?"})` : action;
    default:
      return action;
  }
}

/** The error a failure carries, code first, as one line. */
export function errorText(e: CloudEvent): string {
  const d = wordsOf(e);
  if (d.outcome !== "failure") return "";
  const code = d.error?.code ? `${d.error.code}: ` : "";
  return `${code}${d.error?.message ?? ""}`;
}

/**
 * Events grouped by the request that caused them, in journal order of each
 * group's first event: a request's facts come right after it even when an
 * event it did not cause (an exit seen meanwhile) was journaled between
 * them; the VERSION column keeps the journal's order visible. Events that no
 * request asked for (an exit, a policy restart) form their own groups, joined
 * by the request id berth gave them.
 */
export function byRequest(events: CloudEvent[]): CloudEvent[][] {
  const groups = new Map<string, CloudEvent[]>();
  const order: CloudEvent[][] = [];
  for (const e of events) {
    const key = e.requestid || `#${e.seq}`;
    const group = groups.get(key);
    if (group) {
      group.push(e);
      continue;
    }
    const fresh = [e];
    groups.set(key, fresh);
    order.push(fresh);
  }
  return order;
}
