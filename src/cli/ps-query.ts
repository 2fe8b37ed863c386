/**
 * Which containers `ps` lists, and in what order, as Podman decides it:
 * `--filter` (values of one key: any may match; different keys: all must),
 * `-n/--last`, `--sort`, newest first by default.
 */
import { InvalidArgError } from "../errors.js";
import type { ContainerRecord } from "../machines/index.js";
import { podmanState } from "./container-views.js";
import { commandCell, statusOf } from "./format.js";

/** ps's selection flags. */
export interface PsQuery {
  all?: boolean;
  filter?: string[];
  last?: number;
  sort?: string;
}

const STATUSES = ["created", "running", "paused", "stopped", "exited", "unknown"];
const HEALTH = ["starting", "healthy", "unhealthy", "none"];

const regexOf = (key: string, value: string) => {
  try {
    return new RegExp(value);
  } catch (err) {
    throw new InvalidArgError(`invalid --filter ${key}=${value}: ${(err as Error).message}`, {
      cause: err,
    });
  }
};

/** The test one `--filter key=value` puts to each container. */
function predicate(key: string, value: string): (r: ContainerRecord) => boolean {
  switch (key) {
    case "status":
      if (!STATUSES.includes(value))
        throw new InvalidArgError(`invalid --filter status=${value}: use ${STATUSES.join(", ")}`);
      return (r) => podmanState(r) === value;
    case "name": {
      const re = regexOf(key, value);
      return (r) => re.test(r.name);
    }
    case "id":
      return (r) => r.id.startsWith(value);
    case "label": {
      const at = value.indexOf("=");
      const [k, v] = at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
      return (r) => Object.hasOwn(r.labels, k) && (v === undefined || r.labels[k] === v);
    }
    case "ancestor": {
      const re = regexOf(key, `^${value}(:|$)`);
      return (r) => re.test(r.image) || (r.imagePin?.id.startsWith(value) ?? false);
    }
    case "health":
      if (!HEALTH.includes(value))
        throw new InvalidArgError(`invalid --filter health=${value}: use ${HEALTH.join(", ")}`);
      return (r) =>
        value === "none" ? !r.healthcheck : !!r.healthcheck && r.health?.status === value;
    default:
      throw new InvalidArgError(
        `invalid --filter ${key}: use status, name, label, id, ancestor or health`,
      );
  }
}

/** One test for every `--filter`; built before anything is asked of the daemon. */
export function psFilter(filters: string[]): (r: ContainerRecord) => boolean {
  const byKey = new Map<string, ((r: ContainerRecord) => boolean)[]>();
  for (const f of filters) {
    const at = f.indexOf("=");
    if (at <= 0) throw new InvalidArgError(`invalid --filter ${f}: use key=value`);
    const key = f.slice(0, at);
    byKey.set(key, [...(byKey.get(key) ?? []), predicate(key, f.slice(at + 1))]);
  }
  return (r) => [...byKey.values()].every((tests) => tests.some((t) => t(r)));
}

const newestFirst = (a: ContainerRecord, b: ContainerRecord) =>
  Date.parse(b.createdAt) - Date.parse(a.createdAt);
const text = (cell: (r: ContainerRecord) => string) => (a: ContainerRecord, b: ContainerRecord) =>
  cell(a) < cell(b) ? -1 : cell(a) > cell(b) ? 1 : 0;

/** Podman's `ps --sort` keys; `size` is not offered, berth does not measure containers. */
const SORTS: Record<string, (a: ContainerRecord, b: ContainerRecord) => number> = {
  created: newestFirst,
  runningfor: newestFirst,
  id: text((r) => r.id),
  image: text((r) => r.image),
  names: text((r) => r.name),
  command: text((r) => commandCell(r, true)),
  status: text((r) => statusOf(r)),
};

/** Checks the flags before any request, so a typo costs no round trip. */
export function checkPsQuery(q: PsQuery): void {
  if (q.sort !== undefined && !(q.sort in SORTS))
    throw new InvalidArgError(
      `invalid --sort ${q.sort}: use ${Object.keys(SORTS).sort().join(", ")}`,
    );
  if (q.last !== undefined && !(Number.isInteger(q.last) && q.last >= 0))
    throw new InvalidArgError(`invalid --last ${q.last}: use a whole number`);
  psFilter(q.filter ?? []);
}

/** Whether ps must see stopped containers too: `-a`, a filter, or `--last` all ask for them. */
export const psWantsAll = (q: PsQuery) =>
  !!q.all || (q.filter?.length ?? 0) > 0 || (q.last ?? 0) > 0;

/**
 * The containers ps shows, from every live container the daemon listed: as
 * Podman, `--last N` keeps the N newest, then `--sort` orders them.
 */
export function selectContainers(records: ContainerRecord[], q: PsQuery): ContainerRecord[] {
  checkPsQuery(q);
  const keep = psFilter(q.filter ?? []);
  let picked = records.filter(
    (r) => keep(r) && (psWantsAll(q) || r.state === "running" || r.state === "paused"),
  );
  if (q.last !== undefined && q.last > 0) picked = [...picked].sort(newestFirst).slice(0, q.last);
  return [...picked].sort(SORTS[q.sort ?? "created"]);
}
