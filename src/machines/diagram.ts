/**
 * Draws the machine as a mermaid stateDiagram, read from the machine's own
 * definition so the picture cannot drift from the code.
 */
import { containerMachine } from "./container-machine.js";

interface Node {
  config: {
    on?: Record<string, { target?: string } | { target?: string }[]>;
    invoke?: { src?: unknown; onDone?: unknown } | { src?: unknown; onDone?: unknown }[];
  };
  states: Record<string, Node>;
  key: string;
}

const first = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);
const last = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
/** "#ctr.stopped.cleanup" -> ["stopped", "cleanup"] */
const path = (target: string) => target.replace(/^#ctr\./, "").split(".");

function successTarget(op: Node): string[] {
  const commit = op.states.commit ?? op;
  const invoke = first(commit.config.invoke);
  const done = last(invoke?.onDone as { target?: string } | { target?: string }[] | undefined);
  return done?.target ? path(done.target) : [];
}

function effectOf(op: Node): string | undefined {
  const src = first(op.states.effect?.config.invoke)?.src;
  return typeof src === "string" ? src : undefined;
}

/** The mermaid source for the container lifecycle. */
export function lifecycleDiagram(): string {
  const root = containerMachine.root as unknown as Node;
  const lines = ["stateDiagram-v2", "  [*] --> configured: create"];
  for (const [name, state] of Object.entries(root.states)) {
    const idle = state.states.idle;
    if (!idle) continue;
    for (const [event, transitions] of Object.entries(idle.config.on ?? {})) {
      const target = first(transitions)?.target;
      if (!target) continue;
      const [top, child] = target.startsWith("#") ? path(target) : [name, target];
      // An operation that runs inside another state (removal runs in `removing`) is entered first.
      if (top !== name) {
        lines.push(`  ${name} --> ${top}: ${event}`);
        continue;
      }
      const op = child ? root.states[top]?.states[child] : undefined;
      if (!op) continue;
      const [to, then] = successTarget(op);
      const effect = effectOf(op);
      const label = `${event}${effect ? ` / ${effect}` : ""}${then ? ` (then ${then})` : ""}`;
      if (name === "removing") lines.push(`  removing --> removing: ${effect ?? event} failed`);
      lines.push(`  ${name} --> ${to}: ${label}`);
    }
  }
  lines.push("  removed --> [*]");
  return lines.join("\n") + "\n";
}
