/**
 * Exec sessions in the machine's facts: a container whose process dies takes
 * its exec sessions with it (the kernel kills every process of a PID
 * namespace whose init is gone), so each `died` is preceded by an `exec_died`
 * for every session the record still holds.
 */
import type { ExecConfig, ExecExit } from "./commands.js";
import { fact, type Fact } from "./facts.js";
import type { ContainerRecord } from "./record.js";

/** What an exec session killed with its container reports: SIGKILL, as conmon writes 128+signal. */
export const KILLED_WITH_CONTAINER = 137;

/** `facts`, with the deaths of `record`'s exec sessions ahead of any `died` among them. */
export function withExecDeaths(record: ContainerRecord, facts: Fact[]): Fact[] {
  const sessions = record.execSessions ?? [];
  const at = facts.findIndex((f) => f.action === "died" && f.data.outcome === "success");
  if (sessions.length === 0 || at < 0) return facts;
  const deaths = sessions.map((s) =>
    fact("exec_died", {
      sessionId: s.id,
      exitCode: KILLED_WITH_CONTAINER,
      cause: "container-exit",
    }),
  );
  return [...facts.slice(0, at), ...deaths, ...facts.slice(at)];
}

/** The facts of an exec observation, or none for another command. */
export function execFacts(
  command:
    | { type: "EXEC_CREATE"; session: ExecConfig }
    | { type: "EXEC_STARTED"; sessionId: string; pid: number }
    | { type: "EXEC_EXITED"; exit: ExecExit }
    | { type: string },
): Fact[] {
  if (command.type === "EXEC_CREATE" && "session" in command) {
    return [fact("exec_create", command.session)];
  }
  if (command.type === "EXEC_STARTED" && "pid" in command) {
    return [fact("exec_start", { sessionId: command.sessionId, pid: command.pid })];
  }
  if (command.type === "EXEC_EXITED" && "exit" in command) return [fact("exec_died", command.exit)];
  return [];
}
