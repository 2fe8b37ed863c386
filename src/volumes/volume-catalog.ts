/**
 * The volume catalog: which named volumes the host has, rebuilt from the
 * journal's `volumes` stream by one pure fold, as the image catalog is from
 * `images`. Nothing else records it: replaying the stream on any copy of the
 * journal tells which volumes existed, with which labels, and when.
 */

/** The journal stream that holds every volume event of a host. */
export const VOLUME_STREAM = "volumes";

/** Volume event actions, after Podman's volume event statuses. */
export const VOLUME_ACTIONS = ["create", "remove"] as const;

export type VolumeAction = (typeof VOLUME_ACTIONS)[number];

/** The CloudEvents type of a volume action. */
export const volumeEventType = (action: VolumeAction) => `io.berth.volume.${action}`;

/** True for an event type of the volume stream. */
export const isVolumeEventType = (type: string) => type.startsWith("io.berth.volume.");

/** What a `create` event carries: the whole volume. */
export interface VolumeCreated {
  name: string;
  /** Always `local`: a folder under the daemon's root. */
  driver: "local";
  /** The host folder the volume's data lives in (`<root>/volumes/<name>/_data`). */
  mountpoint: string;
  labels: Record<string, string>;
  /** Why it was made: `create` (volume create) or `container` (first use by `-v`). */
  reason: "create" | "container";
}

/** A volume event's data, by action. */
export type VolumeFact =
  | { action: "create"; data: VolumeCreated }
  | { action: "remove"; data: { name: string; reason: "remove" | "prune" } };

/** A volume the host has. */
export interface VolumeRecord extends Omit<VolumeCreated, "reason"> {
  /** The event subject: sha256 of the name and a creation uuid, so a re-created name is a new volume. */
  id: string;
  createdAt: string;
  /** The stream version of the last event applied. */
  version: number;
}

/** Every volume of a host, by name. */
export type VolumeCatalog = ReadonlyMap<string, VolumeRecord>;

/** Where an event sits: what `evolveVolume` reads besides the fact. */
export interface VolumeEventAt {
  id: string;
  time: string;
  version: number;
}

/** Applies one volume event to the catalog, returning a new catalog; it decides nothing. */
export function evolveVolume(
  catalog: VolumeCatalog,
  fact: VolumeFact,
  at: VolumeEventAt,
): VolumeCatalog {
  const next = new Map(catalog);
  switch (fact.action) {
    case "create": {
      const { reason: _reason, ...volume } = fact.data;
      next.set(volume.name, { ...volume, id: at.id, createdAt: at.time, version: at.version });
      break;
    }
    case "remove":
      // Only the volume this event is about: a stale remove never takes a re-created name.
      if (next.get(fact.data.name)?.id === at.id) next.delete(fact.data.name);
      break;
  }
  return next;
}

/** The part of a stored event the fold reads. */
export interface StoredVolumeEvent {
  type: string;
  subject: string;
  time: string;
  version: number;
  data: unknown;
}

const byType = new Map<string, VolumeAction>(VOLUME_ACTIONS.map((a) => [volumeEventType(a), a]));

/** Folds the volume stream's events (in order) into the catalog; unknown types are skipped. */
export function replayVolumes(events: Iterable<StoredVolumeEvent>): VolumeCatalog {
  let catalog: VolumeCatalog = new Map();
  for (const e of events) {
    const action = byType.get(e.type);
    if (action === undefined) continue;
    catalog = evolveVolume(catalog, { action, data: e.data } as VolumeFact, {
      id: e.subject,
      time: e.time,
      version: e.version,
    });
  }
  return catalog;
}
