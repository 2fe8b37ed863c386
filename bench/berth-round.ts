/**
 * One container lifecycle of issue 15 (create, start, pause, unpause, kill,
 * wait, rm) through berth's HTTP API, shared by the lifecycle and soak benches.
 */
import type { BerthClient } from "../src/client/index.js";
import type { ContainerRecord } from "../src/machines/index.js";
import { timed } from "./stats.js";

/** Killed with SIGKILL, so kill and wait measure the runtime, not a grace period. */
export const COMMAND = ["sleep", "1000"];

/**
 * Runs one lifecycle, adding each operation's milliseconds and the whole
 * lifecycle's to `samples`. A failing call is rethrown naming its operation
 * and container, since the daemon's error alone does not say which step it was.
 */
export async function berthRound(client: BerthClient, samples: Map<string, number[]>) {
  const t0 = performance.now();
  const r = await step(samples, "create", undefined, () =>
    client.call<ContainerRecord>("POST", "/containers", { image: "busybox", command: COMMAND }),
  );
  const at = `/containers/${r.id}`;
  await step(samples, "start", r.id, () => client.call("POST", `${at}/start`, {}));
  await step(samples, "pause", r.id, () => client.call("POST", `${at}/pause`, {}));
  await step(samples, "unpause", r.id, () => client.call("POST", `${at}/unpause`, {}));
  await step(samples, "kill", r.id, () => client.call("POST", `${at}/kill`, { signal: "SIGKILL" }));
  await step(samples, "wait", r.id, () => client.call("POST", `${at}/wait`));
  await step(samples, "rm", r.id, () => client.call("DELETE", at));
  samples.set("lifecycle", [...(samples.get("lifecycle") ?? []), performance.now() - t0]);
}

async function step<T>(
  samples: Map<string, number[]>,
  op: string,
  id: string | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await timed(samples, op, call);
  } catch (err) {
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const on = id === undefined ? "" : ` of container ${id.slice(0, 12)}`;
    throw new Error(`${op}${on} failed: ${what}`, { cause: err });
  }
}
