/**
 * Dependencies between containers (create --requires): in which order a
 * recursive start brings them up. Whether they allow a command is a rule
 * (machines/rules.ts).
 */
import { DependencyNotRunningError, InvalidArgError } from "../errors.js";
import type { ContainerRecord } from "../machines/index.js";
import type { Known } from "./registry.js";

type Lookup = (id: string) => Known | undefined;

/** Every dependency of `record`, deepest first, each once; a cycle is an error. */
export function startOrder(record: ContainerRecord, lookup: Lookup): ContainerRecord[] {
  const order: ContainerRecord[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const required = (of: ContainerRecord, dep: string) => {
    const d = lookup(dep);
    if (!d || d.state === "removed") {
      throw new DependencyNotRunningError(
        `dependency ${dep} of container ${of.id} has been removed`,
      );
    }
    return d;
  };
  const visit = (r: ContainerRecord) => {
    if (done.has(r.id)) return;
    if (visiting.has(r.id)) throw new InvalidArgError(`dependency cycle through container ${r.id}`);
    visiting.add(r.id);
    for (const dep of r.requires) visit(required(r, dep));
    visiting.delete(r.id);
    done.add(r.id);
    order.push(r);
  };
  for (const dep of record.requires) visit(required(record, dep));
  return order;
}
