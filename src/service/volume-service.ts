/**
 * Named volumes: create, list, inspect, remove and prune, each change
 * journaled as an `io.berth.volume.*` event in the `volumes` stream, and the
 * catalog those events fold into. Creates of containers resolve their `-v`
 * mounts here: bind sources checked on the host, named volumes made on first
 * use, as Podman does.
 *
 * Why the folder is made before the event and deleted after it: an event
 * names only a folder that exists, and a crash in between leaves a folder no
 * event names, which the next start sweeps (and a re-create of the name
 * starts from an empty folder either way).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { NoSuchVolumeError, VolumeExistsError, VolumeInUseError } from "../errors.js";
import { envelopeOf } from "../events/index.js";
import type { ContainerMount, ContainerRecord, RequestMeta } from "../machines/index.js";
import type { Journal } from "../store/index.js";
import {
  assertVolumeName,
  evolveVolume,
  parseMountRequests,
  replayVolumes,
  resolveBindSource,
  VOLUME_STREAM,
  volumeEventType,
  type MountRequest,
  type VolumeCatalog,
  type VolumeFact,
  type VolumeRecord,
  type VolumeStore,
} from "../volumes/index.js";
import { SerialQueue } from "./serial-queue.js";

/** What the volume service needs. */
export interface VolumeServiceDeps {
  host: string;
  journal: Journal;
  store: VolumeStore;
  /** The daemon's root: no bind source may lie inside it. */
  root: string;
  /** Every container record, removed ones included: what mounts which volume. */
  containers: () => Iterable<ContainerRecord>;
}

/** What `volume create` may say. */
export interface VolumeCreateOptions {
  /** Absent: a random 64-hex name, as Podman gives one. */
  name?: string;
  labels?: Record<string, string>;
}

/** The mounts one create resolved, and the hold that keeps their volumes until it is journaled. */
export interface MountClaim {
  /** Parses and checks `specs`, makes missing named volumes (journaled), and holds them. */
  resolve(specs: readonly string[], meta: RequestMeta): Promise<ContainerMount[]>;
  /** Lets the volumes go: the create is journaled (its record now holds them) or failed. */
  release(): void;
}

type Append = { id: string; fact: VolumeFact };

export class VolumeService {
  private catalog: VolumeCatalog = new Map();
  private version = 0;
  private readonly queue = new SerialQueue();
  /** Volume names held by creates in flight, with how many hold each. */
  private readonly held = new Map<string, number>();

  constructor(private readonly deps: VolumeServiceDeps) {}

  /** Folds the journal's volume stream and sweeps folders no volume names. */
  async open(): Promise<void> {
    const events = await this.deps.journal.readStream(VOLUME_STREAM);
    this.catalog = replayVolumes(events);
    this.version = events.length;
    await this.deps.store.sweep(new Set(this.catalog.keys()));
  }

  /** Every volume, by name. */
  list(): VolumeRecord[] {
    return [...this.catalog.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The volume called `name`; NoSuchVolumeError when none is. */
  get(name: string): VolumeRecord {
    const volume = this.catalog.get(assertVolumeName(name));
    if (!volume) throw new NoSuchVolumeError(`no volume with name ${JSON.stringify(name)} found`);
    return volume;
  }

  /** Creates a volume; VolumeExistsError when the name is taken. */
  create(options: VolumeCreateOptions, meta: RequestMeta): Promise<VolumeRecord> {
    const name = assertVolumeName(options.name ?? randomBytes(32).toString("hex"));
    return this.queue.run(async () => {
      if (this.catalog.has(name))
        throw new VolumeExistsError(`volume with name ${name} already exists`);
      await this.make(name, options.labels ?? {}, "create", meta);
      return this.get(name);
    });
  }

  /**
   * Removes a volume and its data. Refused (VolumeInUseError) while a
   * container that is not removed mounts it, `force` or not: Podman's
   * `--force` removes those containers, but berth never removes a container
   * as a side effect of a volume verb.
   */
  remove(name: string, force: boolean, meta: RequestMeta): Promise<VolumeRecord> {
    return this.queue.run(async () => {
      const volume = this.get(name);
      const users = this.users(volume.name);
      const pending = this.held.get(volume.name) ?? 0;
      if (users.length > 0 || pending > 0) {
        const named = users.slice(0, 3).map((id) => id.slice(0, 12));
        const inFlight = pending > 0 ? [`${pending} create(s) in flight`] : [];
        throw new VolumeInUseError(
          `volume ${volume.name} is being used by ${users.length} container(s) (${[...named, ...inFlight].join(", ")}): remove them first${force ? " (berth's --force does not remove containers)" : ""}`,
        );
      }
      await this.append([{ id: volume.id, fact: removal(volume.name, "remove") }], meta);
      await this.deps.store.delete(volume.name);
      return volume;
    });
  }

  /** Removes every volume no container (not removed) mounts; answers their names. */
  prune(meta: RequestMeta): Promise<{ removed: string[] }> {
    return this.queue.run(async () => {
      const doomed = this.list().filter((v) => !this.inUse(v.name));
      if (doomed.length > 0)
        await this.append(
          doomed.map((v) => ({ id: v.id, fact: removal(v.name, "prune") })),
          meta,
        );
      for (const v of doomed) await this.deps.store.delete(v.name);
      return { removed: doomed.map((v) => v.name) };
    });
  }

  /** A hold for one container create; see MountClaim. */
  claim(): MountClaim {
    const mine: string[] = [];
    return {
      resolve: async (specs, meta) => {
        const requests = parseMountRequests(specs);
        const sources = await Promise.all(
          requests.map(async (r) =>
            r.type === "bind" ? resolveBindSource(r.source, this.deps.root) : undefined,
          ),
        );
        return this.queue.run(async () => {
          const mounts: ContainerMount[] = [];
          for (const [i, r] of requests.entries()) {
            if (r.type === "bind") mounts.push(bindMount(r, sources[i] ?? r.source));
            else {
              if (!this.catalog.has(r.name)) await this.make(r.name, {}, "container", meta);
              this.held.set(r.name, (this.held.get(r.name) ?? 0) + 1);
              mine.push(r.name);
              mounts.push(volumeMount(r, this.get(r.name).mountpoint));
            }
          }
          return mounts;
        });
      },
      release: () => {
        for (const name of mine.splice(0)) {
          const left = (this.held.get(name) ?? 1) - 1;
          if (left > 0) this.held.set(name, left);
          else this.held.delete(name);
        }
      },
    };
  }

  /** Ids of containers (not removed) that mount volume `name`. */
  private users(name: string): string[] {
    const ids: string[] = [];
    for (const c of this.deps.containers())
      if (c.state !== "removed" && c.mounts?.some((m) => m.type === "volume" && m.name === name))
        ids.push(c.id);
    return ids;
  }

  /** Whether anything holds volume `name`: a container not removed, or a create in flight. */
  private inUse(name: string): boolean {
    return this.users(name).length > 0 || (this.held.get(name) ?? 0) > 0;
  }

  /** Makes the volume's folder afresh, then journals it. */
  private async make(
    name: string,
    labels: Record<string, string>,
    reason: "create" | "container",
    meta: RequestMeta,
  ): Promise<void> {
    // A folder left by a crash under this name is no volume's: the new volume starts empty.
    await this.deps.store.delete(name);
    const mountpoint = await this.deps.store.make(name);
    const id = createHash("sha256").update(`${name}\0${randomUUID()}`).digest("hex");
    await this.append(
      [
        {
          id,
          fact: { action: "create", data: { name, driver: "local", mountpoint, labels, reason } },
        },
      ],
      meta,
    );
  }

  /** Journals volume facts in one atomic append, then folds them into the catalog. */
  private async append(appends: Append[], meta: RequestMeta): Promise<void> {
    const time = new Date().toISOString();
    await this.deps.journal.append({
      stream: VOLUME_STREAM,
      expectedVersion: this.version,
      events: appends.map((a) =>
        envelopeOf(
          volumeEventType(a.fact.action),
          a.fact.data as unknown as Record<string, unknown>,
          { host: this.deps.host, subject: a.id, time, meta },
        ),
      ),
    });
    for (const a of appends)
      this.catalog = evolveVolume(this.catalog, a.fact, {
        id: a.id,
        time,
        version: ++this.version,
      });
  }
}

const removal = (name: string, reason: "remove" | "prune"): VolumeFact => ({
  action: "remove",
  data: { name, reason },
});

/** The OCI options of a mount: recursion, access, extra flags, and private propagation as Podman sets it. */
function optionsOf(r: MountRequest, forced: readonly string[]): string[] {
  const flags = [...new Set([...forced, ...r.flags])];
  return [r.recursive ? "rbind" : "bind", r.readOnly ? "ro" : "rw", ...flags, "rprivate"];
}

function bindMount(r: MountRequest & { type: "bind" }, real: string): ContainerMount {
  return {
    type: "bind",
    source: real,
    ...(real !== r.source ? { requestedSource: r.source } : {}),
    destination: r.destination,
    options: optionsOf(r, []),
    ...(r.ignored.length > 0 ? { ignoredOptions: r.ignored } : {}),
  };
}

/** A volume is data, never programs or devices to trust: nosuid and nodev always, as Podman mounts them. */
function volumeMount(r: MountRequest & { type: "volume" }, mountpoint: string): ContainerMount {
  return {
    type: "volume",
    source: mountpoint,
    name: r.name,
    destination: r.destination,
    options: optionsOf(r, ["nosuid", "nodev"]),
    ...(r.ignored.length > 0 ? { ignoredOptions: r.ignored } : {}),
  };
}
