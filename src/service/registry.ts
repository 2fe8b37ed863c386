/**
 * Finding containers by what a user types: a full id, a unique id prefix, or
 * a name. Live containers come first; removed ones (tombstones) stay findable
 * so their history and exit code can still be read.
 *
 * A tombstone holds only what finding and `wait` need. The full record of a
 * removed container is its projection in the journal: a daemon that removes
 * containers for months must not keep every one it ever ran in memory.
 */
import { NoSuchCtrError } from "../errors.js";
import { removedError, type ContainerRecord } from "../machines/index.js";

/** What berth keeps in memory of a removed container. */
export interface Tombstone {
  readonly tombstone: true;
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly state: "removed";
  /** The last exit code, when it ever exited: what `wait` answers for it. */
  readonly exitCode?: number;
}

/** A container as a lookup finds it: a live one's record, or a removed one's tombstone. */
export type Known = ContainerRecord | Tombstone;

export function isTombstone(known: Known): known is Tombstone {
  return "tombstone" in known;
}

export class Registry {
  private readonly tombstones = new Map<string, Tombstone>();
  /** Removed containers by name, oldest first: names are reused once a container is removed. */
  private readonly removedByName = new Map<string, Tombstone[]>();

  constructor(private readonly liveRecords: () => ContainerRecord[]) {}

  /** Keeps the removed container's tombstone; burying it again (a refusal journaled) replaces it. */
  bury(record: ContainerRecord): void {
    const tomb: Tombstone = {
      tombstone: true,
      id: record.id,
      name: record.name,
      createdAt: record.createdAt,
      state: "removed",
      ...(record.exitCode !== undefined ? { exitCode: record.exitCode } : {}),
    };
    const previous = this.tombstones.get(record.id);
    if (previous) this.unname(previous);
    this.tombstones.set(record.id, tomb);
    const named = this.removedByName.get(tomb.name) ?? [];
    named.push(tomb);
    named.sort(byCreation);
    this.removedByName.set(tomb.name, named);
  }

  /** A live container, or a typed error saying why there is none. */
  live(ref: string): ContainerRecord {
    const found = this.resolve(ref);
    if (found && !isTombstone(found)) return found;
    if (found) throw removedError();
    throw new NoSuchCtrError(`no container with name or ID ${JSON.stringify(ref)} found`);
  }

  /** A removed container matching `ref`, when no live one does. */
  removed(ref: string): Tombstone | undefined {
    const found = this.resolve(ref);
    return found && isTombstone(found) ? found : undefined;
  }

  /** Live first, then removed; undefined when nothing matches. */
  find(ref: string): Known | undefined {
    return this.resolve(ref);
  }

  /**
   * Every container that carried `ref` as its name, live or removed, oldest
   * first (names are reused once a container is removed). An id or id prefix
   * names one container, whose list is just it.
   */
  holders(ref: string): Known[] {
    const found = this.resolve(ref);
    if (found && found.id === ref) return [found];
    const live = this.liveRecords();
    const liveIds = new Set(live.map((r) => r.id));
    const named = [
      ...live.filter((r) => r.name === ref),
      ...(this.removedByName.get(ref) ?? []).filter((t) => !liveIds.has(t.id)),
    ].sort(byCreation);
    if (named.length > 0) return named;
    if (found) return [found];
    throw new NoSuchCtrError(`no container with name or ID ${JSON.stringify(ref)} found`);
  }

  private unname(tomb: Tombstone): void {
    const rest = (this.removedByName.get(tomb.name) ?? []).filter((t) => t !== tomb);
    if (rest.length > 0) this.removedByName.set(tomb.name, rest);
    else this.removedByName.delete(tomb.name);
  }

  /**
   * One resolution for every lookup: exact id, then name (live before removed),
   * then an id prefix over live and removed together, so a prefix that fits
   * several containers is an error even when only one of them is live (or
   * only one removed), never a silent pick. Only the prefix scans tombstones:
   * an id or a name is found in constant time however many were removed.
   */
  private resolve(ref: string): Known | undefined {
    const live = this.liveRecords();
    const liveIds = new Set(live.map((r) => r.id));
    const buried = (t: Tombstone | undefined) => (t && !liveIds.has(t.id) ? t : undefined);
    const found =
      live.find((r) => r.id === ref) ??
      newest(live.filter((r) => r.name === ref)) ??
      buried(this.tombstones.get(ref)) ??
      newest((this.removedByName.get(ref) ?? []).filter((t) => !liveIds.has(t.id)));
    if (found || ref.length === 0) return found;
    const byPrefix: Known[] = live.filter((r) => r.id.startsWith(ref));
    for (const [id, tomb] of this.tombstones) {
      if (id.startsWith(ref) && !liveIds.has(id)) byPrefix.push(tomb);
      if (byPrefix.length > 1) break;
    }
    if (byPrefix.length > 1) {
      throw new NoSuchCtrError(
        `more than one container matches ${JSON.stringify(ref)}: use more of the id`,
      );
    }
    return byPrefix[0];
  }
}

function byCreation(a: Known, b: Known): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}

/** The newest of containers sharing a name. */
function newest<T extends Known>(records: T[]): T | undefined {
  return records.reduce<T | undefined>(
    (best, r) => (best === undefined || r.createdAt > best.createdAt ? r : best),
    undefined,
  );
}
