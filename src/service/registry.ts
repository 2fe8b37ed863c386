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
    const found = match(this.liveRecords(), ref);
    if (found) return found;
    if (this.removed(ref)) throw removedError();
    throw new NoSuchCtrError(`no container with name or ID ${JSON.stringify(ref)} found`);
  }

  /** A removed container matching `ref`, when no live one does. */
  removed(ref: string): ContainerRecord | undefined {
    if (match(this.liveRecords(), ref, false)) return undefined;
    return match([...this.tombstones.values()], ref, false);
  }

  /** Live first, then removed; undefined when nothing matches. */
  find(ref: string): ContainerRecord | undefined {
    return (
      match(this.liveRecords(), ref, false) ?? match([...this.tombstones.values()], ref, false)
    );
  }
}

/** Exact id, then name (the newest, for tombstones), then a unique prefix of the id. */
function match(
  records: ContainerRecord[],
  ref: string,
  strict = true,
): ContainerRecord | undefined {
  const byId = records.find((r) => r.id === ref);
  if (byId) return byId;
  const byName = records
    .filter((r) => r.name === ref)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  if (byName[0]) return byName[0];
  if (ref.length === 0) return undefined;
  const byPrefix = records.filter((r) => r.id.startsWith(ref));
  if (byPrefix.length > 1 && strict) {
    throw new NoSuchCtrError(
      `more than one container matches ${JSON.stringify(ref)}: use more of the id`,
    );
  }
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}
