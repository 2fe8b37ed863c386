/**
 * berth's journal events as the Docker Engine API's events (API 1.47, with the
 * legacy `status`, `id` and `from` fields that 1.52 dropped).
 *
 * berth journals facts, Docker reports actions, and they do not line up one to
 * one:
 * - a berth `stop` records the signal it sent first and whether it had to
 *   escalate; Docker reports each signal as a `kill` before the `stop`, so one
 *   berth event becomes `kill` [`kill`] `stop`;
 * - a user's `restart` is journaled first (then stop, died, init, start) but
 *   Docker reports `restart` last, after the `start`; a policy restart has no
 *   `restart` event in Docker at all;
 * - requests, refusals and failed effects, and berth's bookkeeping facts
 *   (init, cleanup, mount, unmount, sync) have no Docker equivalent and map to
 *   nothing; a sync that finds a process dead is followed by its own `died`;
 * - an image's `remove` carries every name it had: dockerd's `rmi` reports an
 *   `untag` for each, then `delete`; a volume's `remove` is Docker's `destroy`.
 *
 * Most berth events carry only the container id. The name, image and labels
 * every Docker container event carries come from the create event, kept in a
 * `DockerBook` that the caller feeds every event in journal order, together
 * with what a later event needs from an earlier one (start times, exec
 * commands, a pending restart) and the nanosecond clock described below.
 *
 * timeNano: berth's times have millisecond precision and follow the journal's
 * order only to within a few milliseconds (events are stamped just before
 * they are placed). Docker subscribers resume with `since=<last timeNano>`,
 * which only works if timeNano strictly increases along the journal. The rule:
 * the k-th Docker event of a berth event stamped at `ms` gets
 * `max(ms * 1e6 + 1, previous + 1) + k`, where `previous` is the timeNano of
 * the Docker event before it in journal order. It never falls on a whole
 * millisecond, so a `since` or `until` of millisecond (or second) precision
 * never equals an event's timeNano; `since` is exclusive (see the route), so
 * a subscriber resuming from the last timeNano it saw gets the next event and
 * not that one again. The value depends on the events before it only through
 * events stamped within a few milliseconds of it, so a reader that starts
 * `SINCE_SLACK_MS` earlier in the journal computes the same values.
 */
import { filterArgs } from "./filter-args.js";
import { constants } from "node:os";
import { InvalidArgError } from "../errors.js";
import { actionOf, kindOf, rfc3339Ms, type CloudEvent } from "../events/index.js";
import { networkId } from "./network-id.js";

/** One event as Docker's `GET /events` sends it. */
export interface DockerEvent {
  /** Legacy: the Action (container and image events only). */
  status?: string;
  /** Legacy: the Actor.ID. */
  id?: string;
  /** Legacy: the container's image. */
  from?: string;
  Type: "container" | "image" | "volume" | "network";
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: "local";
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds: above 2^53, so kept as a bigint and written by `dockerEventJson`. */
  timeNano: bigint;
}

/** What every Docker event of a container names: fixed at create. */
export interface DockerContainerFacts {
  name: string;
  image: string;
  labels: Record<string, string>;
}

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

function stringRecord(raw: unknown): Record<string, string> {
  if (!raw || typeof raw !== "object") return {};
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).filter(
      (kv): kv is [string, string] => typeof kv[1] === "string",
    ),
  );
}

/** The network mode of an `init`'s attachment, if it has one. */
function networkModeOf(raw: unknown): string | undefined {
  const mode = (raw as { mode?: unknown } | undefined)?.mode;
  return typeof mode === "string" ? mode : undefined;
}

/** Docker names have a leading slash in inspect and none in events. */
const bareName = (name: string) => name.replace(/^\//, "");

/**
 * The running state a Docker event stream needs besides the event in hand:
 * each container's name, image and labels, its last start, its exec
 * commands, a user restart waiting for its start, and the nanosecond clock.
 */
export class DockerBook {
  private readonly containers = new Map<string, DockerContainerFacts>();
  private readonly startedAt = new Map<string, number>();
  private readonly execs = new Map<string, string>();
  private readonly restarting = new Set<string>();
  /** The network each container's current run joined (from its `init`), until its cleanup. */
  private readonly networks = new Map<string, string>();
  /** The timeNano of the last Docker event given out. */
  lastNano = 0n;

  /**
   * A book seeded from the journal's projections (removed containers
   * included), for a reader that starts in the middle of the journal.
   */
  static fromProjections(projections: readonly unknown[]): DockerBook {
    const book = new DockerBook();
    for (const raw of projections) {
      const r = raw as { id?: unknown; name?: unknown; image?: unknown; labels?: unknown };
      if (typeof r.id !== "string" || typeof r.name !== "string" || typeof r.image !== "string")
        continue;
      book.containers.set(r.id, {
        name: bareName(r.name),
        image: r.image,
        labels: stringRecord(r.labels),
      });
      const started = (raw as { startedAt?: unknown }).startedAt;
      if (typeof started === "string" && Number.isFinite(Date.parse(started)))
        book.startedAt.set(r.id, Date.parse(started));
      const joined = networkModeOf((raw as { networkAttachment?: unknown }).networkAttachment);
      if (joined !== undefined) book.networks.set(r.id, joined);
    }
    return book;
  }

  /** A container's name, image and labels, if its create or projection was seen. */
  container(id: string): DockerContainerFacts | undefined {
    return this.containers.get(id);
  }

  /** The network the container's current run joined, if its `init` (or projection) was seen. */
  network(id: string): string | undefined {
    return this.networks.get(id);
  }

  /** When the container last started (ms), if known. */
  started(id: string): number | undefined {
    return this.startedAt.get(id);
  }

  /** The command line of an exec session, if its exec_create was seen. */
  execCommand(execId: string): string | undefined {
    return this.execs.get(execId);
  }

  /** Whether a user's restart of the container waits for its start. */
  restartPending(id: string): boolean {
    return this.restarting.has(id);
  }

  /**
   * Records `e` (already mapped to `out` by `dockerEventsOf`): what later
   * events will need, and the clock.
   */
  learn(e: CloudEvent, out: readonly DockerEvent[]): void {
    const last = out[out.length - 1];
    if (last && last.timeNano > this.lastNano) this.lastNano = last.timeNano;
    if (kindOf(e.type) !== "container" || failed(e)) return;
    const d = e.data;
    switch (actionOf(e.type)) {
      case "create":
        if (typeof d.name === "string" && typeof d.image === "string")
          this.containers.set(e.subject, {
            name: bareName(d.name),
            image: d.image,
            labels: stringRecord(d.labels),
          });
        break;
      case "start":
        this.startedAt.set(e.subject, Date.parse(e.time));
        this.restarting.delete(e.subject);
        break;
      case "init": {
        const joined = networkModeOf(d.network);
        if (joined !== undefined) this.networks.set(e.subject, joined);
        break;
      }
      case "cleanup":
        this.networks.delete(e.subject);
        break;
      case "restart":
        if (d.policy !== true) this.restarting.add(e.subject);
        break;
      case "exec_create":
        if (typeof d.id === "string") this.execs.set(d.id, commandLine(d.command));
        break;
      case "exec_died":
        if (typeof d.sessionId === "string") this.execs.delete(d.sessionId);
        break;
    }
  }

  /** Maps `e` and records it: `dockerEventsOf` then `learn`. */
  translate(e: CloudEvent): DockerEvent[] {
    const out = dockerEventsOf(e, this);
    this.learn(e, out);
    return out;
  }
}

const failed = (e: CloudEvent) => (e.data as { outcome?: unknown }).outcome === "failure";

function commandLine(raw: unknown): string {
  return Array.isArray(raw) ? raw.filter((a) => typeof a === "string").join(" ") : "";
}

/** A signal name as Docker's `signal` attribute, a number string; unknown names pass as they are. */
function signalNumber(name: unknown): string {
  if (typeof name !== "string") return "";
  const n = (constants.signals as Record<string, number | undefined>)[name];
  return n === undefined ? name : String(n);
}

/** An exit code as Docker's `exitCode` attribute; -1 when berth could not know it. */
const exitCodeOf = (raw: unknown) => String(typeof raw === "number" ? raw : -1);

/** Action and extra attributes of the Docker events one berth container event becomes. */
type Step = [action: string, attributes?: Record<string, string>];

function containerSteps(e: CloudEvent, book: DockerBook): Step[] {
  const d = e.data;
  switch (actionOf(e.type)) {
    case "create":
    case "pause":
    case "unpause":
    case "oom":
    case "attach":
    case "export":
    case "checkpoint":
      return [[actionOf(e.type)]];
    case "start":
      // A user's restart is reported after the start that completes it, as dockerd does.
      return book.restartPending(e.subject) ? [["start"], ["restart"]] : [["start"]];
    case "kill":
      return [["kill", { signal: signalNumber(d.signal) }]];
    case "stop": {
      // "none": a stop journaled for a container with no process; dockerd answers 304 and reports nothing.
      if (d.signal === "none") return [];
      const kills: Step[] = [["kill", { signal: signalNumber(d.signal) }]];
      if (d.escalated === true) kills.push(["kill", { signal: signalNumber("SIGKILL") }]);
      return [...kills, ["stop"]];
    }
    case "died": {
      const attrs: Record<string, string> = { exitCode: exitCodeOf(d.exitCode) };
      const started = book.started(e.subject);
      const ended = Date.parse(e.time);
      // Whole seconds, as dockerd reports; unknown when the start is not in the book.
      if (started !== undefined && started <= ended)
        attrs.execDuration = String(Math.floor((ended - started) / 1000));
      return [["die", attrs]];
    }
    case "remove":
      return [["destroy"]];
    case "health_status":
      return typeof d.status === "string" ? [[`health_status: ${d.status}`]] : [];
    case "exec_create": {
      const execID = typeof d.id === "string" ? d.id : "";
      return [[`exec_create: ${commandLine(d.command)}`, { execID }]];
    }
    case "exec_start": {
      const execID = typeof d.sessionId === "string" ? d.sessionId : "";
      return [[`exec_start: ${book.execCommand(execID) ?? ""}`.trimEnd(), { execID }]];
    }
    case "exec_died": {
      const execID = typeof d.sessionId === "string" ? d.sessionId : "";
      return [["exec_die", { execID, exitCode: exitCodeOf(d.exitCode) }]];
    }
    default:
      // request, mount, unmount, sync, restore, and the restart fact itself (init and cleanup
      // are network events: see networkShapes).
      return [];
  }
}

/**
 * The Docker events one berth journal event becomes, in order, with their
 * timeNano after `book.lastNano` (see the file comment). Reads the book and
 * does not change it: record the event with `book.learn(e, result)` (or use
 * `book.translate(e)`) before mapping the next one.
 */
export function dockerEventsOf(e: CloudEvent, book: DockerBook): DockerEvent[] {
  if (failed(e)) return [];
  const shapes =
    kindOf(e.type) === "container"
      ? containerShapes(e, book)
      : kindOf(e.type) === "image"
        ? imageShapes(e)
        : kindOf(e.type) === "volume"
          ? volumeShapes(e)
          : [];
  if (shapes.length === 0) return [];
  const own = BigInt(Date.parse(e.time)) * NS_PER_MS + 1n;
  const first = own > book.lastNano ? own : book.lastNano + 1n;
  return shapes.map((shape, k) => {
    const timeNano = first + BigInt(k);
    return { ...shape, scope: "local", time: Number(timeNano / NS_PER_S), timeNano };
  });
}

/** A Docker event before the clock stamps it. */
type Shape = Omit<DockerEvent, "scope" | "time" | "timeNano">;

/**
 * The network events of a container event: dockerd reports `connect` when a
 * container joins its network (before its `start`) and `disconnect` when it
 * leaves (after its `die`). berth's network is set up by `init` and torn down
 * by `cleanup`. The Actor is the network, as `GET /networks` names it; the
 * container is an attribute, so `container=` filters do not select these.
 */
function networkShapes(e: CloudEvent, book: DockerBook): Shape[] {
  const action = actionOf(e.type);
  const mode =
    action === "init"
      ? networkModeOf(e.data.network)
      : action === "cleanup"
        ? book.network(e.subject)
        : undefined;
  if (mode === undefined) return [];
  return [
    {
      Type: "network",
      Action: action === "init" ? "connect" : "disconnect",
      Actor: {
        ID: networkId(mode),
        // Docker's driver names: the none network's driver is "null".
        Attributes: { container: e.subject, name: mode, type: mode === "none" ? "null" : mode },
      },
    },
  ];
}

function containerShapes(e: CloudEvent, book: DockerBook): Shape[] {
  const network = networkShapes(e, book);
  if (network.length > 0) return network;
  const facts = fromCreate(e) ?? book.container(e.subject);
  return containerSteps(e, book).map(([action, extra]) => ({
    status: action,
    id: e.subject,
    from: facts?.image ?? "",
    Type: "container",
    Action: action,
    Actor: {
      ID: e.subject,
      Attributes: {
        ...facts?.labels,
        ...(facts ? { image: facts.image, name: facts.name } : {}),
        ...extra,
      },
    },
  }));
}

/** An image event as dockerd reports it: legacy fields too, `from` omitted. */
function imageShape(action: string, id: string, name: string): Shape {
  return {
    status: action,
    id,
    Type: "image",
    Action: action,
    Actor: { ID: id, Attributes: { name } },
  };
}

/**
 * dockerd reports a pull or load by the reference (one event per name), and
 * a tag, untag or delete by the image id; `rmi` untags each name before the
 * delete. berth's image subject is the image id's hex.
 */
function imageShapes(e: CloudEvent): Shape[] {
  const d = e.data as { names?: unknown; name?: unknown };
  const names = Array.isArray(d.names)
    ? d.names.filter((n): n is string => typeof n === "string")
    : [];
  const id = `sha256:${e.subject}`;
  switch (actionOf(e.type)) {
    case "pull":
    case "load":
      return names.map((n) => imageShape(actionOf(e.type), n, untagged(n)));
    case "import":
      return [imageShape("import", id, names[0] ?? "")];
    case "tag":
    case "untag":
      return typeof d.name === "string" ? [imageShape(actionOf(e.type), id, d.name)] : [];
    case "remove":
      return [...names.map((n) => imageShape("untag", id, n)), imageShape("delete", id, id)];
    default:
      return [];
  }
}

/** Volume events have no legacy fields; the actor is the volume's name. */
function volumeShapes(e: CloudEvent): Shape[] {
  const name = (e.data as { name?: unknown }).name;
  if (typeof name !== "string") return [];
  const action = { create: "create", remove: "destroy" }[actionOf(e.type)];
  if (action === undefined) return [];
  return [{ Type: "volume", Action: action, Actor: { ID: name, Attributes: { driver: "local" } } }];
}

/** The create event carries what the book has not learnt yet. */
function fromCreate(e: CloudEvent): DockerContainerFacts | undefined {
  if (actionOf(e.type) !== "create") return undefined;
  const d = e.data;
  if (typeof d.name !== "string" || typeof d.image !== "string") return undefined;
  return { name: bareName(d.name), image: d.image, labels: stringRecord(d.labels) };
}

/** One event as a line of `GET /events`: JSON with timeNano as an exact integer. */
export function dockerEventJson(ev: DockerEvent): string {
  const { timeNano, ...rest } = ev;
  return `${JSON.stringify(rest).slice(0, -1)},"timeNano":${timeNano}}`;
}

/** Docker's events filters: key -> the values any of which may match. */
export type DockerFilters = ReadonlyMap<string, ReadonlySet<string>>;

/** The keys dockerd's events route accepts (berth has no daemon or swarm events). */
const FILTER_KEYS = [
  "config",
  "container",
  "daemon",
  "event",
  "image",
  "label",
  "network",
  "node",
  "plugin",
  "scope",
  "secret",
  "service",
  "type",
  "volume",
];

/**
 * Docker's `filters` query parameter: JSON `{"key":{"value":true}}`, or the
 * legacy `{"key":["value"]}`. A value mapped to false is not a value (as in
 * dockerd, a key whose values are all false matches nothing). Absent or empty:
 * no filter. Throws InvalidArgError for anything else.
 */
export function parseDockerFilters(raw: string | null): DockerFilters {
  const filters = new Map<string, Set<string>>();
  for (const [key, values] of filterArgs(raw, FILTER_KEYS, "events"))
    filters.set(key, new Set(values));
  return filters;
}

/** An image reference without its tag (a registry's port is not a tag). */
function untagged(ref: string): string {
  if (ref.startsWith("sha256:")) return ref;
  const at = ref.indexOf("@");
  const base = at < 0 ? ref : ref.slice(0, at);
  const colon = base.lastIndexOf(":");
  return colon > base.lastIndexOf("/") ? base.slice(0, colon) : base;
}

function matchesOne(key: string, value: string, ev: DockerEvent): boolean {
  const attrs = ev.Actor.Attributes;
  switch (key) {
    case "container":
      return ev.Type === "container" && (ev.Actor.ID.startsWith(value) || attrs.name === value);
    case "event":
      // These actions carry a suffix (": healthy", ": <cmd>"); the bare action selects them all.
      return (
        ev.Action === value ||
        (["health_status", "exec_create", "exec_start"].includes(value) &&
          ev.Action.startsWith(`${value}:`))
      );
    case "label": {
      const eq = value.indexOf("=");
      if (eq < 0) return Object.hasOwn(attrs, value);
      return attrs[value.slice(0, eq)] === value.slice(eq + 1);
    }
    case "image": {
      // A container by its image; an image by its id or reference, or the name it carries.
      const refs =
        ev.Type === "image"
          ? [ev.Actor.ID, attrs.name]
          : ev.Type === "container"
            ? [attrs.image]
            : [];
      return refs.some(
        (r) => r !== undefined && r !== "" && (r === value || untagged(r) === untagged(value)),
      );
    }
    case "volume":
      return ev.Type === "volume" && ev.Actor.ID === value;
    case "network":
      return ev.Type === "network" && (ev.Actor.ID.startsWith(value) || attrs.name === value);
    case "type":
      return ev.Type === value;
    case "scope":
      return ev.scope === value;
    default:
      // Daemons and swarm objects: berth sends no such events.
      return false;
  }
}

/** Docker's matching: every key must match, and one of its values is enough. */
export function matchesDockerFilters(ev: DockerEvent, filters: DockerFilters): boolean {
  for (const [key, values] of filters) {
    let any = false;
    for (const v of values) if ((any = matchesOne(key, v, ev))) break;
    if (!any) return false;
  }
  return true;
}

const UNIX = /^(\d+)(?:\.(\d{1,9}))?$/;
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A `since` or `until` as Unix nanoseconds. dockerd takes `sec[.nanos]` (the
 * CLI converts everything else before sending); RFC3339 with up to nine
 * fractional digits is accepted too, for people typing URLs. Throws
 * InvalidArgError.
 */
export function parseDockerTime(raw: string, what: "since" | "until" = "since"): bigint {
  const text = raw.trim();
  const unix = UNIX.exec(text);
  if (unix) return BigInt(unix[1]!) * NS_PER_S + BigInt((unix[2] ?? "").padEnd(9, "0"));
  const rfc = RFC3339.exec(text);
  if (rfc) {
    const ms = rfc3339Ms(`${rfc[1]}${rfc[3]}`);
    if (Number.isFinite(ms)) return BigInt(ms) * NS_PER_MS + BigInt((rfc[2] ?? "").padEnd(9, "0"));
  }
  throw new InvalidArgError(
    `invalid ${what} ${JSON.stringify(raw)}: use Unix seconds with optional nanoseconds (1796087619.393260791) or RFC3339`,
  );
}

/** A request's time window in Unix nanoseconds; each end absent when not given. */
export interface DockerTimeRange {
  since?: bigint;
  until?: bigint;
}

/** `since` and `until` as given (null or "" when absent). Throws InvalidArgError, also when since > until. */
export function parseDockerTimeRange(since: string | null, until: string | null): DockerTimeRange {
  const s = since === null || since === "" ? undefined : parseDockerTime(since, "since");
  const u = until === null || until === "" ? undefined : parseDockerTime(until, "until");
  if (s !== undefined && u !== undefined && s > u)
    throw new InvalidArgError(`since (${since}) is after until (${until})`);
  return { ...(s !== undefined ? { since: s } : {}), ...(u !== undefined ? { until: u } : {}) };
}
