/**
 * Start-up: restore every container from its projection without running an
 * effect, resume restarts a policy still owes, reconcile with the runtime,
 * and tell the caller each container it is done with (automatic removal).
 */
import { randomUUID } from "node:crypto";
import type { ContainerRuntime } from "../effects/index.js";
import {
  restartDue,
  runtimeMounted,
  type ContainerRecord,
  type NetworkAttachment,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import type { NetworkPort } from "./runtime-effects.js";
import { reconcileMeta, recordOf, type ActorPool, type Entry } from "./actor-pool.js";

/** A restart the policy owes is the policy's doing, not a user's. */
export const policyMeta = () => ({ actor: "policy:restart", requestId: randomUUID() });

/** How many containers are reconciled at once. */
const RECONCILE_CONCURRENCY = 8;

/**
 * Fills the pool from the journal's projections, then starts (without
 * awaiting) the owed restarts and the reconciles of containers the runtime
 * may hold.
 */
export async function restoreAndReconcile(
  pool: ActorPool,
  deps: { journal: Journal; runtime: ContainerRuntime; network?: NetworkPort },
  /** Told each container's id once it is reconciled (or needed none): automatic removal looks then. */
  reconciled: (id: string) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  // Removed ones too: the network sweep may release only what belongs to a container of this journal.
  const known: { id: string; attachment?: NetworkAttachment }[] = [];
  for (const raw of await deps.journal.projections()) {
    const record = raw as ContainerRecord;
    if (record.state === "removed") {
      pool.registry.bury(record);
      known.push({ id: record.id });
    } else pool.spawn(record);
  }
  // Before any container runs again: addresses, ports and namespaces no record holds are released.
  for (const e of pool.all()) {
    const r = recordOf(e);
    known.push({ id: r.id, ...(r.networkAttachment ? { attachment: r.networkAttachment } : {}) });
  }
  // A sweep that fails (iptables busy, say) must not keep the daemon down; the next start sweeps again.
  await deps.network?.sweep(known).catch(() => undefined);
  // One `runc list` instead of a `runc state` per container keeps start-up fast on big roots.
  const inRuntime = new Set(await deps.runtime.list().catch(() => []));
  const toCheck: Entry[] = [];
  for (const entry of pool.all()) {
    const record = recordOf(entry);
    // What changed while no daemon watched is journaled with cause "reconcile".
    const check = runtimeMounted(record.state) || inRuntime.has(record.id);
    if (check && record.state !== "removing") toCheck.push(entry);
    // An exit, or an automatic removal, the last daemon did not live to finish.
    else void reconciled(record.id);
    if (restartDue(record)) {
      void pool.observe(entry, { type: "RESTART", byPolicy: true, meta: policyMeta() });
    }
  }
  // A few at a time: thousands of running containers must not mean thousands of runc processes at once.
  const next = async (): Promise<void> => {
    const entry = toCheck.shift();
    if (!entry) return;
    await pool.observe(entry, { type: "RECONCILE", meta: reconcileMeta() });
    void reconciled(recordOf(entry).id);
    return next();
  };
  for (let i = 0; i < RECONCILE_CONCURRENCY; i++) void next();
}
