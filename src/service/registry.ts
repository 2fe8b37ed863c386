/**
 * Finding containers by what a user types: a full id, a unique id prefix, or
 * a name. Live containers come first; removed ones (tombstones) stay findable
 * so their history and exit code can still be read.
 */
import { NoSuchCtrError } from "../errors.js";
import { removedError, type ContainerRecord } from "../machines/index.js";

export class Registry {
  private readonly tombstones = new Map<string, ContainerRecord>();

  constructor(private readonly liveRecords: () => ContainerRecord[]) {}

  bury(record: ContainerRecord): void {
    this.tombstones.set(record.id, record);
  }

  /** A live container, or a typed error saying why there is none. */
  live(ref: string): ContainerRecord {
    const found = this.resolve(ref);
    if (found && !this.isTombstone(found)) return found;
    if (found) throw removedError();
    throw new NoSuchCtrError(`no container with name or ID ${JSON.stringify(ref)} found`);
  }

  /** A removed container matching `ref`, when no live one does. */
  removed(ref: string): ContainerRecord | undefined {
    const found = this.resolve(ref);
    return found && this.isTombstone(found) ? found : undefined;
  }

  /** Live first, then removed; undefined when nothing matches. */
  find(ref: string): ContainerRecord | undefined {
    return this.resolve(ref);
  }

  /**
   * Every container that carried `ref` as its name, live or removed, oldest
   * first (names are reused once a container is removed). An id or id prefix
   * names one container, whose list is just it.
   */
  holders(ref: string): ContainerRecord[] {
    const found = this.resolve(ref);
    if (found && found.id === ref) return [found];
    const live = this.liveRecords();
    const liveIds = new Set(live.map((r) => r.id));
    const named = [...live, ...[...this.tombstones.values()].filter((t) => !liveIds.has(t.id))]
      .filter((r) => r.name === ref)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    if (named.length > 0) return named;
    if (found) return [found];
    throw new NoSuchCtrError(`no container with name or ID ${JSON.stringify(ref)} found`);
  }

  private isTombstone(record: ContainerRecord): boolean {
    return this.tombstones.get(record.id) === record;
  }

  /**
   * One resolution for every lookup: exact id, then name (live before removed),
   * then an id prefix over live and removed together, so a prefix that fits
   * several containers is an error even when only one of them is live (or
   * only one removed), never a silent pick.
   */
  private resolve(ref: string): ContainerRecord | undefined {
    const live = this.liveRecords();
    const liveIds = new Set(live.map((r) => r.id));
    const removed = [...this.tombstones.values()].filter((t) => !liveIds.has(t.id));
    const exact = (records: ContainerRecord[]) =>
      records.find((r) => r.id === ref) ?? newestNamed(records, ref);
    const found = exact(live) ?? exact(removed);
    if (found || ref.length === 0) return found;
    const byPrefix = [...live, ...removed].filter((r) => r.id.startsWith(ref));
    if (byPrefix.length > 1) {
      throw new NoSuchCtrError(
        `more than one container matches ${JSON.stringify(ref)}: use more of the id`,
      );
    }
    return byPrefix[0];
  }
}

/** The newest container with this name (names are reused once a container is removed). */
function newestNamed(records: ContainerRecord[], name: string): ContainerRecord | undefined {
  return records
    .filter((r) => r.name === name)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
}
