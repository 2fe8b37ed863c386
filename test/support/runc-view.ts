/**
 * runc's own view of a container, for tests that check berth against the runtime.
 */
import { execa } from "execa";
import type { ContainerRecord } from "../../src/machines/index.js";

/** `runc state`'s status under a berth root, or "absent". */
export async function runcStatus(root: string, id: string): Promise<string> {
  const r = await execa("runc", ["--root", `${root}/runc`, "state", id], { reject: false });
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as { status: string }).status : "absent";
}

/** What runc should say for a container berth has at rest in this state. */
export const expectedRunc = (r: Pick<ContainerRecord, "state">): string =>
  ({ created: "created", running: "running", paused: "paused" })[r.state as string] ?? "absent";
