/**
 * The container machine with berth's real effects provided: the host ports for
 * the runtime effects and the journal for `persist`.
 */
import { fromPromise } from "xstate";
import { envelope } from "../events/index.js";
import {
  applyFacts,
  containerMachine,
  type PersistInput,
  type PersistOutput,
} from "../machines/index.js";
import type { Journal } from "../store/index.js";
import { fingerprint, idempotencyMetaKey, type IdempotencyRecord } from "./idempotency.js";
import { runtimeEffects, type HostPorts } from "./runtime-effects.js";

export interface MachineDeps extends HostPorts {
  host: string;
  journal: Journal;
}

export function provideMachine(deps: MachineDeps) {
  return containerMachine.provide({
    actors: {
      ...runtimeEffects(deps),
      persist: fromPromise<PersistOutput, PersistInput>(async ({ input }) => {
        const at = {
          id: input.record.id,
          time: new Date().toISOString(),
          version: input.record.version + 1,
        };
        // A reconcile that found nothing to correct has nothing to make durable.
        if (input.facts.length === 0) return at;
        await deps.journal.append({
          stream: at.id,
          expectedVersion: input.record.version,
          events: input.facts.map((f) =>
            envelope(f, { host: deps.host, subject: at.id, time: at.time, meta: input.meta }),
          ),
          projection: applyFacts(input.record, input.facts, at),
          meta: idempotencyEntry(input),
        });
        return at;
      }),
    },
  });
}

export type ProvidedMachine = ReturnType<typeof provideMachine>;

/** With a request's first event (its intent or refusal), the idempotency key goes into the same batch. */
function idempotencyEntry({
  facts,
  meta,
  record,
}: PersistInput): Record<string, string> | undefined {
  const first = facts[0];
  if (!meta.idempotencyKey || first?.action !== "request") return undefined;
  const data = first.data as { command?: string; args?: unknown };
  const entry: IdempotencyRecord = {
    container: record.id,
    requestId: meta.requestId,
    fingerprint: fingerprint(data.command ?? "", data.args ?? {}),
  };
  return { [idempotencyMetaKey(meta.idempotencyKey)]: JSON.stringify(entry) };
}
