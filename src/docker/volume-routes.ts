/**
 * The volume endpoints of the Docker Engine API, each a call to berth's
 * volume operations (the operation table), in Docker's volume JSON. berth's
 * volumes are all `local` folders under its root: another driver, or driver
 * options berth would not honour, are refused rather than ignored.
 */
import { operationTable, type ApiDeps } from "../api/index.js";
import { InvalidArgError, VolumeExistsError } from "../errors.js";
import type { ContainerService } from "../service/index.js";
import { queryFlag, readDockerJson, sendDockerJson, sendNoContent } from "./docker-io.js";
import type { DockerRoutes } from "./docker-router.js";
import { filterArgs } from "./filter-args.js";

type VolumeRecord = ReturnType<ContainerService["volumes"]["get"]>;

/** Docker's volume (moby `volume.Volume`). */
export interface DockerVolume {
  Name: string;
  Driver: "local";
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: "local";
  Options: Record<string, string>;
}

export function dockerVolume(v: VolumeRecord): DockerVolume {
  return {
    Name: v.name,
    Driver: v.driver,
    Mountpoint: v.mountpoint,
    CreatedAt: v.createdAt,
    Labels: { ...v.labels },
    Scope: "local",
    Options: {},
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `POST /volumes/create`'s body as berth's create input: `Name` and
 * `Labels`; `Driver` only `local` (or empty), `DriverOpts` only empty.
 */
export function volumeCreateBody(raw: unknown): { name?: string; labels?: Record<string, string> } {
  if (!isRecord(raw)) throw new InvalidArgError("volume create: the body must be a JSON object");
  const { Name, Labels, Driver, DriverOpts, ...rest } = raw;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw new InvalidArgError(`volume create: berth does not take ${unknown.join(", ")}`);
  if (Driver !== undefined && Driver !== null && Driver !== "" && Driver !== "local")
    throw new InvalidArgError(
      `volume create: driver ${JSON.stringify(Driver)} is not offered: berth's volumes are local`,
    );
  if (DriverOpts !== undefined && DriverOpts !== null) {
    if (!isRecord(DriverOpts) || Object.keys(DriverOpts).length > 0)
      throw new InvalidArgError(
        "volume create: berth's local driver takes no options (DriverOpts)",
      );
  }
  if (Name !== undefined && Name !== null && typeof Name !== "string")
    throw new InvalidArgError("volume create: Name must be a string");
  if (Labels !== undefined && Labels !== null) {
    if (!isRecord(Labels) || !Object.values(Labels).every((v) => typeof v === "string"))
      throw new InvalidArgError("volume create: Labels must map strings to strings");
  }
  return {
    // Docker names an unnamed volume itself; so does berth, when no name is given.
    ...(typeof Name === "string" && Name !== "" ? { name: Name } : {}),
    ...(isRecord(Labels) ? { labels: Labels as Record<string, string> } : {}),
  };
}

const VOLUME_FILTERS = ["name", "label"] as const;

/** The `filters` of `GET /volumes`: `name` (a substring, as moby) and `label` (`k` or `k=v`). */
export function volumeFilter(raw: string | null): (v: VolumeRecord) => boolean {
  const args = filterArgs(raw, VOLUME_FILTERS, "volumes");
  const names = args.get("name");
  const labels = args.get("label");
  return (v) =>
    (names === undefined || names.some((n) => v.name.includes(n))) &&
    (labels === undefined ||
      labels.every((l) => {
        const eq = l.indexOf("=");
        return eq === -1 ? l in v.labels : v.labels[l.slice(0, eq)] === l.slice(eq + 1);
      }));
}

export function volumeRoutes({ service }: ApiDeps): DockerRoutes {
  const ops = operationTable(service);
  return {
    "GET /volumes": async ({ res, url, meta }) => {
      const keep = volumeFilter(url.searchParams.get("filters"));
      const volumes = (await ops["volume-ls"].run({}, meta)) as VolumeRecord[];
      sendDockerJson(res, 200, { Volumes: volumes.filter(keep).map(dockerVolume), Warnings: [] });
    },
    "POST /volumes/create": async ({ req, res, meta }) => {
      const body = volumeCreateBody(await readDockerJson(req));
      try {
        const volume = (await ops["volume-create"].run(body, meta)) as VolumeRecord;
        sendDockerJson(res, 201, dockerVolume(volume));
      } catch (err) {
        // dockerd answers a create of an existing local volume with that volume (compose relies on it).
        if (!(err instanceof VolumeExistsError) || body.name === undefined) throw err;
        sendDockerJson(res, 201, dockerVolume(service.volumes.get(body.name)));
      }
    },
    "GET /volumes/{id}": async ({ res, id, meta }) => {
      const volume = (await ops["volume-inspect"].run({ name: id }, meta)) as VolumeRecord;
      sendDockerJson(res, 200, dockerVolume(volume));
    },
    "DELETE /volumes/{id}": async ({ res, url, id, meta }) => {
      await ops["volume-rm"].run({ name: id, force: queryFlag(url, "force") }, meta);
      sendNoContent(res);
    },
  };
}
