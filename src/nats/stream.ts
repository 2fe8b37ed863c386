/**
 * The JetStream stream berth publishes to, created or checked at relay start.
 * Its subjects are named in src/events/subjects.ts.
 */
import {
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamUpdateConfig,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { StreamConfigError } from "../errors.js";
import { eventSubjects } from "../events/index.js";

/** The relay's timeouts and its longest wait between two attempts. */
export const RELAY_TIMING = {
  connectMs: 2_000,
  /** Each JetStream API call: the stream check and the last-event query. */
  apiMs: 5_000,
  publishMs: 5_000,
  maxBackoffMs: 5_000,
} as const;
/**
 * While NATS stays reachable, the longest time between a publish whose
 * acknowledgement was lost and its retry: the publish times out, the relay
 * backs off, reconnects, checks the stream, asks for its last event, publishes.
 */
export const RETRY_HORIZON_MS =
  RELAY_TIMING.publishMs +
  RELAY_TIMING.maxBackoffMs +
  RELAY_TIMING.connectMs +
  2 * RELAY_TIMING.apiMs;
/**
 * JetStream drops a message whose Nats-Msg-Id it saw within this window. It is
 * far longer than the retry horizon, so a republish after a lost acknowledgement
 * is always recognised. (After a reconnect the relay also asks the stream for
 * its host's last event, so even a republish after a long outage cannot land twice.)
 */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

export interface StreamSpec {
  name: string;
  prefix: string;
  /** Replicas in a JetStream cluster; unset keeps an existing stream's and creates with 1. */
  replicas?: number;
}

export function newStreamConfig(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: [eventSubjects(spec.prefix)],
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: spec.replicas ?? 1,
  };
}

/**
 * What an existing stream needs so berth can use it, or undefined if it is fine.
 * The storage type cannot change in place, so a memory stream is an error. A
 * `<prefix>.>` subject (which would capture the NATS API) becomes `<prefix>.*.*.*`.
 */
export function streamChanges(
  existing: StreamConfig,
  spec: StreamSpec,
): Partial<StreamUpdateConfig> | undefined {
  if (existing.storage !== StorageType.File) {
    throw new StreamConfigError(
      `stream ${spec.name} uses ${existing.storage} storage; berth needs file storage (delete the stream or choose another with --stream)`,
    );
  }
  const changes: Partial<StreamUpdateConfig> = {};
  const wanted = eventSubjects(spec.prefix);
  const subjects = existing.subjects.filter((s) => s !== `${spec.prefix}.>`);
  if (!subjects.includes(wanted)) subjects.push(wanted);
  if (
    subjects.length !== existing.subjects.length ||
    subjects.some((s, i) => s !== existing.subjects[i])
  )
    changes.subjects = subjects;
  if (existing.duplicate_window < nanos(DUPLICATE_WINDOW_MS))
    changes.duplicate_window = nanos(DUPLICATE_WINDOW_MS);
  if (spec.replicas !== undefined && existing.num_replicas !== spec.replicas)
    changes.num_replicas = spec.replicas;
  return Object.keys(changes).length > 0 ? changes : undefined;
}

/** Creates the stream, or checks it and applies what `streamChanges` asks for. */
export async function ensureStream(
  jsm: JetStreamManager,
  spec: StreamSpec,
): Promise<"created" | "updated" | "ok"> {
  let existing: StreamConfig;
  try {
    existing = (await jsm.streams.info(spec.name)).config;
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound))
      throw err;
    await jsm.streams.add(newStreamConfig(spec));
    return "created";
  }
  const changes = streamChanges(existing, spec);
  if (!changes) return "ok";
  await jsm.streams.update(spec.name, changes);
  return "updated";
}
