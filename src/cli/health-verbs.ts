/**
 * `berth healthcheck run`, answered as Podman answers it: nothing and exit 0
 * when healthy; the status and exit 1 when unhealthy or still starting.
 */
import { BerthClient } from "../client/index.js";
import type { HealthStatus } from "../machines/index.js";

export async function healthcheckRun(socket: string, ref: string): Promise<number> {
  const { status } = await new BerthClient({ socketPath: socket }).call<{ status: HealthStatus }>(
    "POST",
    `/containers/${encodeURIComponent(ref)}/healthcheck`,
    {},
  );
  if (status === "healthy") return 0;
  process.stdout.write(`${status}\n`);
  return 1;
}
