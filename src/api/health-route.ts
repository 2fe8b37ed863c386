/**
 * `GET /health`: 200 while the journal answers reads, 503 when it does not.
 * NATS being away does not make berth unhealthy (events wait in the journal),
 * so it shows as `"status": "degraded"` with the relay's lag, still a 200.
 */
import type { RelayStatus } from "../nats/index.js";
import type { Journal } from "../store/index.js";
import { sendJson } from "./http-io.js";
import type { Handler } from "./router.js";

export interface HealthDeps {
  journal: Journal;
  relay?: { status(): RelayStatus };
  natsApi?: { status(): { connected: boolean; subject: string } };
}

export interface Health {
  status: "ok" | "degraded" | "unavailable";
  journal: { open: boolean; seq: number; error?: string };
  relay: RelayStatus | null;
  natsApi: { connected: boolean; subject: string } | null;
}

export async function health(deps: HealthDeps): Promise<Health> {
  const relay = deps.relay?.status() ?? null;
  const natsApi = deps.natsApi?.status() ?? null;
  const seq = deps.journal.head().seq;
  try {
    await deps.journal.getMeta("health.probe");
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { status: "unavailable", journal: { open: false, seq, error }, relay, natsApi };
  }
  const degraded = (relay && !relay.connected) || (natsApi && !natsApi.connected);
  return { status: degraded ? "degraded" : "ok", journal: { open: true, seq }, relay, natsApi };
}

export function healthRoute(deps: HealthDeps): Handler {
  return async ({ res }) => {
    const h = await health(deps);
    sendJson(res, h.status === "unavailable" ? 503 : 200, h);
  };
}
