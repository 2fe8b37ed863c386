/**
 * Podman's `--filter` for events: `container=<id, id prefix or name>`,
 * `event=<action>`, `image=<name>`, `label=<key>[=<value>]`, `type=<type>`.
 * Values of one key are alternatives (any may match), except `label`, whose
 * values must all match; different keys must all match.
 *
 * Events carry only the container id (`subject`). Name, image and labels come
 * from the container's create event: a `ContainerDirectory` is seeded from the
 * stored projections and learns from each create event the feed passes.
 */
import { InvalidArgError } from "../errors.js";
import { IMAGE_ACTIONS } from "../images/index.js";
import { ACTIONS } from "../machines/index.js";
import { VOLUME_ACTIONS } from "../volumes/index.js";
import type { CloudEvent } from "./envelope.js";
import { actionOf, kindOf } from "./event-type.js";
import type { EventLog } from "./log.js";

/** What a filter may ask about a container, fixed at create. */
export interface ContainerFacts {
  name: string;
  image: string;
  labels: Record<string, string>;
}

export interface EventFilter {
  /** The filter specs as given. */
  readonly specs: readonly string[];
  /** Whether matching needs the container's name, image or labels. */
  readonly needsFacts: boolean;
  matches(e: CloudEvent, facts: ContainerFacts | undefined): boolean;
}

/** Podman's event types; berth only has container events, so the others match nothing. */
/** Every action an event can have: a container's, an image's or a volume's. */
const EVENT_ACTIONS: readonly string[] = [
  ...new Set<string>([...ACTIONS, ...IMAGE_ACTIONS, ...VOLUME_ACTIONS]),
];
const TYPES = ["container", "image", "pod", "volume", "network", "system", "machine", "secret"];
const KEYS = ["container", "event", "image", "label", "type", "pod", "volume"] as const;
type Key = (typeof KEYS)[number];

function labelsOf(data: unknown): Record<string, string> {
  const labels = (data as { labels?: unknown } | undefined)?.labels;
  if (!labels || typeof labels !== "object") return {};
  return Object.fromEntries(
    Object.entries(labels as Record<string, unknown>).filter(
      (kv): kv is [string, string] => typeof kv[1] === "string",
    ),
  );
}

/** Container id -> name, image and labels, for every container the journal has seen. */
export class ContainerDirectory {
  private readonly byId = new Map<string, ContainerFacts>();

  /** Seeded from the projections, which every container keeps, removed ones included. */
  static async load(journal: EventLog): Promise<ContainerDirectory> {
    const dir = new ContainerDirectory();
    for (const raw of await journal.projections()) {
      const r = raw as { id?: unknown; name?: unknown; image?: unknown; labels?: unknown };
      if (typeof r.id === "string" && typeof r.name === "string" && typeof r.image === "string")
        dir.byId.set(r.id, { name: r.name, image: r.image, labels: labelsOf(r) });
    }
    return dir;
  }

  /** Learns a container from its create event. */
  learn(e: CloudEvent): void {
    if (kindOf(e.type) !== "container" || actionOf(e.type) !== "create" || this.byId.has(e.subject))
      return;
    const d = e.data as { name?: unknown; image?: unknown };
    if (typeof d.name === "string" && typeof d.image === "string")
      this.byId.set(e.subject, { name: d.name, image: d.image, labels: labelsOf(e.data) });
  }

  get(id: string): ContainerFacts | undefined {
    return this.byId.get(id);
  }
}

function parseSpec(spec: string): [Key, string] {
  const eq = spec.indexOf("=");
  const key = spec.slice(0, eq).trim().toLowerCase();
  const value = spec.slice(eq + 1).trim();
  if (eq < 1 || value === "" || !(KEYS as readonly string[]).includes(key)) {
    throw new InvalidArgError(
      `invalid filter ${JSON.stringify(spec)}: use key=value with key one of container, event, image, label, type, volume`,
    );
  }
  if (key === "event" && !EVENT_ACTIONS.includes(value)) {
    throw new InvalidArgError(
      `invalid filter ${JSON.stringify(spec)}: berth's events are ${EVENT_ACTIONS.join(", ")}`,
    );
  }
  if (key === "type" && !TYPES.includes(value)) {
    throw new InvalidArgError(
      `invalid filter ${JSON.stringify(spec)}: types are ${TYPES.join(", ")} (berth has container, image and volume events)`,
    );
  }
  return [key as Key, value];
}

/** The image names an image event carries (`names` of an add or remove, `name` of a tag). */
function namesOf(e: CloudEvent): string[] {
  const { names, name } = e.data as { names?: unknown; name?: unknown };
  const list: unknown[] = Array.isArray(names) ? (names as unknown[]) : [];
  return [...list, name].filter((n): n is string => typeof n === "string");
}

function matchOne(
  key: Key,
  value: string,
  e: CloudEvent,
  facts: ContainerFacts | undefined,
): boolean {
  switch (key) {
    case "container":
      return e.subject.startsWith(value) || facts?.name === value;
    case "event":
      return actionOf(e.type) === value;
    case "image":
      // An image event matches by the image's id (or a prefix of it) or by a name it carries.
      if (kindOf(e.type) === "image")
        return e.subject.startsWith(value) || namesOf(e).includes(value);
      return facts?.image === value;
    case "label": {
      const eq = value.indexOf("=");
      const [k, v] = eq < 0 ? [value, undefined] : [value.slice(0, eq), value.slice(eq + 1)];
      const have = facts?.labels[k];
      return have !== undefined && (v === undefined || have === v);
    }
    case "type":
      return kindOf(e.type) === value;
    case "volume":
      // A volume event matches by the volume's name or its id (or a prefix of it).
      return (
        kindOf(e.type) === "volume" &&
        (e.subject.startsWith(value) || (e.data as { name?: unknown }).name === value)
      );
    case "pod":
      return false;
  }
}

/** Compiles filter specs; an empty list matches every event. Throws InvalidArgError on a bad spec. */
export function parseFilters(specs: readonly string[]): EventFilter {
  const byKey = new Map<Key, string[]>();
  for (const spec of specs) {
    const [key, value] = parseSpec(spec);
    byKey.set(key, [...(byKey.get(key) ?? []), value]);
  }
  const groups = [...byKey.entries()];
  return {
    specs: [...specs],
    needsFacts: groups.some(([k]) => k === "container" || k === "image" || k === "label"),
    matches: (e, facts) =>
      groups.every(([key, values]) =>
        key === "label"
          ? values.every((v) => matchOne(key, v, e, facts))
          : values.some((v) => matchOne(key, v, e, facts)),
      ),
  };
}
