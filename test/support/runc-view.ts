/**
 * runc's own view of a container, for tests that check berth against the runtime.
 */
import { execa } from "execa";
import type { ContainerRecord } from "../../src/machines/index.js";

/** `runc state` under a berth root: status ("absent" when runc has none) and init pid. */
export async function runcState(
  root: string,
  id: string,
): Promise<{ status: string; pid?: number }> {
  const r = await execa("runc", ["--root", `${root}/runc`, "state", id], { reject: false });
  if (r.exitCode !== 0) return { status: "absent" };
  const { status, pid } = JSON.parse(r.stdout) as { status: string; pid: number };
  return { status, pid };
}

/** `runc state`'s status under a berth root, or "absent". */
export async function runcStatus(root: string, id: string): Promise<string> {
  return (await runcState(root, id)).status;
}

/** What runc should say for a container berth has at rest in this state. */
export const expectedRunc = (r: Pick<ContainerRecord, "state">): string =>
  ({ created: "created", running: "running", paused: "paused" })[r.state as string] ?? "absent";
