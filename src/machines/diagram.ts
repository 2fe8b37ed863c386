/**
 * Draws the machine as a mermaid stateDiagram, read from the machine's own
 * definition so the picture cannot drift from the code.
 */
import { containerMachine } from "./container-machine.js";

type Transition = { target?: string | string[]; guard?: unknown };
interface Node {
  config: {
    on?: Record<string, Transition | Transition[]>;
    after?: Record<string, Transition | Transition[]>;
    invoke?: { src?: unknown; onDone?: unknown } | { src?: unknown; onDone?: unknown }[];
  };
  states: Record<string, Node>;
}

const first = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);
const last = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
const targetOf = (t: Transition | Transition[] | undefined) => first(first(t)?.target);
/**
 * The refusal the rules may take ahead of a command's own transition (see
 * `refuse`), or its twin for a goal already met (`unchanged`): both journal a
 * request and stay, so one arrow per state stands for them.
 */
const isRefusal = (t: Transition) => t.guard === "refused" || t.guard === "unchanged";
/** "#ctr.stopped.cleanup" -> ["stopped", "cleanup"] */
const path = (target: string) => target.replace(/^#ctr\./, "").split(".");

function successTarget(op: Node): string[] {
  const commit = op.states.commit ?? op;
  const done = last(first(commit.config.invoke)?.onDone as Transition | Transition[] | undefined);
  const t = first(done?.target);
  return t ? path(t) : [];
}

function effectOf(op: Node): string | undefined {
  const src = first(op.states.effect?.config.invoke)?.src;
  return typeof src === "string" ? src : undefined;
}

function edge(root: Node, from: string, event: string, target: string): string | undefined {
  const [top, child] = target.startsWith("#") ? path(target) : [from, target];
  // An operation that runs inside another state (removal runs in `removing`) is entered first.
  if (top !== from) return `  ${from} --> ${top}: ${event}`;
  const op = child ? root.states[from]?.states[child] : undefined;
  if (!op) return undefined;
  const [to, then] = successTarget(op);
  const effect = effectOf(op);
  const decided = to === "route";
  const label = [
    event,
    effect ? ` / ${effect}` : "",
    then && then !== "idle" ? ` (then ${then === "autoCleanup" ? "cleanup" : then})` : "",
    decided ? " (to the state the runtime reports)" : "",
  ].join("");
  return `  ${from} --> ${decided ? from : to}: ${label}`;
}

/** Offered by every live state and leaving it where it is; the document says so once. */
export const SHARED_EVENTS = [
  "MOUNT",
  "UNMOUNT",
  "EXPORT",
  "SYNC",
  "RECONCILE",
  "EXEC_STARTED",
  "EXEC_EXITED",
];

/** The mermaid source for the container lifecycle. */
export function lifecycleDiagram(): string {
  const root = containerMachine.root as unknown as Node;
  const lines = ["stateDiagram-v2", "  [*] --> configured: create"];
  for (const [name, state] of Object.entries(root.states)) {
    for (const [childName, child] of Object.entries(state.states)) {
      let refuses = false;
      for (const [event, t] of Object.entries(child.config.on ?? {})) {
        const handlers = Array.isArray(t) ? t : [t];
        refuses ||= handlers.some(isRefusal);
        if (SHARED_EVENTS.includes(event)) continue;
        const target = targetOf(handlers.filter((h) => !isRefusal(h)));
        const line = target ? edge(root, name, event, target) : undefined;
        if (line && !lines.includes(line)) lines.push(line);
      }
      // Every request can be refused, so one arrow per state says so instead of one per command.
      const refused = `  ${name} --> ${name}: refused request (journaled)`;
      if (refuses && !lines.includes(refused)) lines.push(refused);
      for (const [delay, t] of Object.entries(child.config.after ?? {})) {
        const target = targetOf(t);
        const line = target
          ? edge(root, name, `after ${delay} in ${childName}`, target)
          : undefined;
        if (line) lines.push(line);
      }
    }
  }
  lines.push("  removing --> removing: removeContainer failed", "  removed --> [*]");
  return lines.join("\n") + "\n";
}
