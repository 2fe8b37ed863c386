/**
 * Projections are derived: one pass of the pure fold over the whole journal
 * rebuilds every container's record. `verify` compares the result with what
 * is stored; `rebuild` writes it.
 */
import { evolve, toFact, type ContainerRecord } from "../machines/index.js";
import type { CloudEvent } from "../events/index.js";
import { isImageEventType } from "../images/index.js";
import { isVolumeEventType } from "../volumes/index.js";
import { isCheckpointEvent } from "./checkpoints.js";
import type { Journal } from "../store/index.js";

export interface ProjectionDiff {
  id: string;
  /** Top-level fields whose stored value differs from the fold, with both values. */
  fields: { field: string; stored: unknown; replayed: unknown }[];
}

export interface ProjectionReport {
  events: number;
  containers: number;
  diffs: ProjectionDiff[];
}

/** Folds every event of the journal into records, by container. */
export async function foldJournal(
  journal: Journal,
  onProgress?: (events: number, total: number) => void,
): Promise<{ records: Map<string, ContainerRecord>; events: number }> {
  const records = new Map<string, ContainerRecord>();
  const total = journal.head().seq;
  let events = 0;
  for await (const batch of journal.readRawBatches()) {
    for (const raw of batch) {
      const e = JSON.parse(raw) as CloudEvent;
      // Image and volume events fold into their own catalogs, checkpoints into none.
      if (isImageEventType(e.type) || isVolumeEventType(e.type) || isCheckpointEvent(e)) continue;
      const at = { id: e.subject, time: e.time, version: e.version };
      records.set(e.subject, evolve(records.get(e.subject), toFact(e), at));
    }
    events += batch.length;
    if (events % 50_000 < batch.length) onProgress?.(events, total);
  }
  onProgress?.(events, total);
  return { records, events };
}

function diff(id: string, stored: unknown, replayed: unknown): ProjectionDiff | undefined {
  const a = (stored ?? {}) as Record<string, unknown>;
  const b = (replayed ?? {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]))
    .map((field) => ({ field, stored: a[field], replayed: b[field] }));
  return fields.length ? { id, fields } : undefined;
}

async function compare(journal: Journal, onProgress?: (events: number, total: number) => void) {
  const { records, events } = await foldJournal(journal, onProgress);
  const stored = new Map(
    ((await journal.projections()) as ContainerRecord[]).map((p) => [p.id, p] as const),
  );
  const ids = [...new Set([...records.keys(), ...stored.keys()])];
  const diffs = ids
    .map((id) => diff(id, stored.get(id), records.get(id)))
    .filter((d) => d !== undefined);
  return { records, report: { events, containers: records.size, diffs } };
}

/** Rebuilds every projection from the journal and lists where the stored ones differ. */
export async function verifyProjections(
  journal: Journal,
  onProgress?: (events: number, total: number) => void,
): Promise<ProjectionReport> {
  return (await compare(journal, onProgress)).report;
}

/** Replaces every stored projection with the fold of the journal; reports what differed before. */
export async function rebuildProjections(
  journal: Journal,
  onProgress?: (events: number, total: number) => void,
): Promise<ProjectionReport> {
  const { records, report } = await compare(journal, onProgress);
  await journal.replaceProjections(records);
  return report;
}
