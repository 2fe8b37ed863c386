/**
 * The image endpoints: the pull the docker CLI sends when create answers 404
 * (`POST /images/create?fromImage=&tag=`), answered as a jsonmessage stream,
 * the list, inspect, tag, remove, load and save. Each is berth's own verb
 * (the operation table, or the image service's upload and save), journaled
 * with the same actor and client as every request that changes something.
 * `docker save` streams a docker-archive tar (with an OCI layout beside it,
 * as docker 25+ writes it), which `docker load` and berth's own load read.
 */
import type { ServerResponse } from "node:http";
import { DEFAULT_MAX_IMPORT_BYTES, operationTable, type ApiDeps } from "../api/index.js";
import { InvalidArgError, NoSuchImageError, PayloadTooLargeError } from "../errors.js";
import type { ImageRecord } from "../images/index.js";
import type { ContainerService } from "../service/index.js";
import {
  dockerImageInspect,
  dockerImageSummary,
  dockerRemoved,
  familiarName,
  type ImageRemoval,
} from "./image-json.js";
import { parseReference, referenceString } from "../images/index.js";
import { queryFlag, sendDockerJson } from "./docker-io.js";
import type { DockerRoutes } from "./docker-router.js";

/** `X-Registry-Auth`: base64url JSON with `username` and `password`; absent or empty is anonymous. */
export function registryAuth(
  header: string | undefined,
): { username: string; password: string } | undefined {
  if (header === undefined || header === "" || header === "e30" || header === "e30=")
    return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
  } catch (err) {
    throw new InvalidArgError("X-Registry-Auth is not base64url JSON", { cause: err });
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== "string" || username === "") return undefined;
  return { username, password: typeof password === "string" ? password : "" };
}

/**
 * Whether the reference names a registry on this host's loopback (localhost,
 * 127.0.0.0/8, ::1). dockerd's default `insecure-registries` is 127.0.0.0/8,
 * so the docker CLI pulls from a local registry over plain HTTP without a
 * flag; the Docker socket does the same, and nothing else without TLS.
 */
export function loopbackRegistry(reference: string): boolean {
  const slash = reference.indexOf("/");
  if (slash < 0) return false;
  const host = reference.slice(0, slash);
  // Only a registry host: a first segment with a dot, a colon or "localhost" (else it is a path).
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The reference the CLI means: `fromImage` with `tag` (or a digest) when it names one. */
export function pullReference(url: URL): string {
  const from = url.searchParams.get("fromImage");
  if (from === null || from === "")
    throw new InvalidArgError("berth pulls only: give fromImage (fromSrc imports are not served)");
  const tag = url.searchParams.get("tag");
  if (tag === null || tag === "") return from;
  return tag.startsWith("sha256:") ? `${from}@${tag}` : `${from}:${tag}`;
}

/**
 * The name `docker tag` gives: `repo` with `tag` (`latest` when absent), as
 * moby joins them; a tag holding a slash or colon is refused, not guessed at.
 * The name is a Docker reference, so one without a registry is Docker Hub's
 * (docker 20 sends `mine/box`, docker 28 `docker.io/mine/box`: the same
 * image), never berth's `localhost/` of a local import.
 */
export function tagName(url: URL): string {
  const repo = url.searchParams.get("repo") ?? "";
  const tag = url.searchParams.get("tag") ?? "";
  if (repo === "") throw new InvalidArgError("tag: give repo (and tag)");
  if (/[/:@]/.test(tag)) throw new InvalidArgError(`invalid tag ${JSON.stringify(tag)}`);
  return referenceString(parseReference(tag === "" ? repo : `${repo}:${tag}`));
}

/** Most names one save takes; a query string holds far fewer real ones. */
export const MAX_SAVE_NAMES = 1000;
/** Longest name a save takes: a full reference with a digest is well under it. */
export const MAX_SAVE_NAME_LENGTH = 1024;

/**
 * The names a save is asked for, checked: at least one, none empty, none
 * longer than MAX_SAVE_NAME_LENGTH or holding a control character. A name
 * is only ever looked up in the image catalog, never used as a path, so a
 * `../` in it can only fail to match (404).
 */
export function saveNames(names: readonly string[]): string[] {
  if (names.length === 0) throw new InvalidArgError("save: give at least one image (names=)");
  if (names.length > MAX_SAVE_NAMES)
    throw new InvalidArgError(`save: at most ${MAX_SAVE_NAMES} images at once`);
  for (const name of names) {
    if (name === "") throw new InvalidArgError("save: an image name is empty");
    if (name.length > MAX_SAVE_NAME_LENGTH)
      throw new InvalidArgError(
        `save: an image name of ${name.length} characters is longer than ${MAX_SAVE_NAME_LENGTH}`,
      );
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(name))
      throw new InvalidArgError(
        `save: image name ${JSON.stringify(name)} holds a control character`,
      );
  }
  return [...names];
}

/**
 * The `platform` a save asks for (API 1.48: JSON `{"os", "architecture",
 * "variant"}`), or undefined when none is given. berth keeps one platform
 * per image, so a save can only check that the image has it.
 */
export function savePlatform(url: URL): { os?: string; architecture?: string } | undefined {
  const raw = url.searchParams.get("platform");
  if (raw === null || raw.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgError(`save: platform ${JSON.stringify(raw)} is not JSON`, { cause: err });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new InvalidArgError(`save: platform ${JSON.stringify(raw)} is not an object`);
  const { os, architecture } = parsed as { os?: unknown; architecture?: unknown };
  return {
    ...(typeof os === "string" && os !== "" ? { os } : {}),
    ...(typeof architecture === "string" && architecture !== "" ? { architecture } : {}),
  };
}

/** Refuses, as dockerd's 404, an image found whose platform is not the one asked for. */
function checkPlatform(
  service: ContainerService,
  names: readonly string[],
  platform: { os?: string; architecture?: string },
): void {
  for (const name of names) {
    let image: ImageRecord;
    try {
      image = service.images.get(name);
    } catch {
      continue; // The save says it is missing, in its own words.
    }
    if (
      (platform.os !== undefined && platform.os !== image.os) ||
      (platform.architecture !== undefined && platform.architecture !== image.architecture)
    )
      throw new NoSuchImageError(
        `image ${name} is ${image.os}/${image.architecture}, not ${platform.os ?? "*"}/${platform.architecture ?? "*"}`,
      );
  }
}

/** `docker save`: a 404 before any byte when an image is missing, else 200 and the tar, streamed. */
async function saveImages(
  service: ContainerService,
  res: ServerResponse,
  url: URL,
  given: readonly string[],
): Promise<void> {
  const names = saveNames(given);
  const platform = savePlatform(url);
  if (platform) checkPlatform(service, names, platform);
  await service.images.save(
    names,
    () => {
      res.writeHead(200, { "content-type": "application/x-tar" });
      return res;
    },
    { tagName: familiarName },
  );
}

export function imageRoutes(deps: ApiDeps): DockerRoutes {
  const { service } = deps;
  const ops = operationTable(service);
  const limit = deps.maxImportBytes ?? DEFAULT_MAX_IMPORT_BYTES;
  return {
    "POST /images/create": async ({ req, res, url, meta }) => {
      const reference = pullReference(url);
      const header = req.headers["x-registry-auth"];
      const credentials = registryAuth(typeof header === "string" ? header : undefined);
      const stop = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) stop.abort();
      });
      // As dockerd: 200 at once, then one JSON message per line; a failure is the last message.
      res.writeHead(200, { "content-type": "application/json" });
      const say = (value: unknown) => {
        if (!res.destroyed) res.write(`${JSON.stringify(value)}\n`);
      };
      say({ status: `Pulling from ${reference}` });
      try {
        const image = await service.images.pull(
          {
            reference,
            ...(credentials ? { credentials } : {}),
            ...(loopbackRegistry(reference) ? { tlsVerify: false } : {}),
            signal: stop.signal,
            onProgress: (p) => {
              const id = p.digest.replace(/^sha256:/, "").slice(0, 12);
              if (p.skipped) say({ status: "Already exists", id });
              else if (p.received >= p.size) say({ status: "Download complete", id });
              else
                say({
                  status: "Downloading",
                  id,
                  progressDetail: { current: p.received, total: p.size },
                });
            },
          },
          meta,
        );
        if (image.manifestDigest) say({ status: `Digest: ${image.manifestDigest}` });
        say({ status: `Status: Downloaded newer image for ${reference}` });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        say({ errorDetail: { message }, error: message });
      }
      res.end();
    },
    "GET /images/json": ({ res }) => {
      sendDockerJson(res, 200, service.images.list().map(dockerImageSummary));
      return Promise.resolve();
    },
    "GET /images/{id}/json": async ({ res, id }) => {
      sendDockerJson(res, 200, dockerImageInspect(await service.images.inspect(id)));
    },
    "POST /images/{id}/tag": async ({ res, url, id, meta }) => {
      await ops.tag.run({ ref: id, name: tagName(url) }, meta);
      res.writeHead(201);
      res.end();
    },
    "DELETE /images/{id}": async ({ res, url, id, meta }) => {
      const removed = await ops.rmi.run({ ref: id, force: queryFlag(url, "force") }, meta);
      sendDockerJson(res, 200, dockerRemoved(removed as ImageRemoval));
    },
    // `docker load`: the archive is the body, as berth's own upload takes it; the answer a jsonmessage stream.
    "POST /images/load": async ({ req, res, meta }) => {
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > limit) {
        req.resume();
        throw new PayloadTooLargeError(
          `archive of ${declared} bytes is larger than the daemon's --max-import-bytes ${limit}`,
        );
      }
      const added = await service.importUpload(req, undefined, limit, meta);
      // `quiet` (which the CLI sends when not on a terminal) hides progress, which berth has none of;
      // the names loaded are always said, as dockerd says them.
      const lines = added.flatMap((image) =>
        image.given.length > 0
          ? image.given.map((n) => `Loaded image: ${familiarName(n)}\n`)
          : [`Loaded image ID: sha256:${image.id}\n`],
      );
      res.writeHead(200, { "content-type": "application/json" });
      res.end(lines.map((stream) => `${JSON.stringify({ stream })}\n`).join(""));
    },
    "GET /images/{id}/get": ({ res, url, id }) => saveImages(service, res, url, [id]),
    "GET /images/get": ({ res, url }) =>
      saveImages(service, res, url, url.searchParams.getAll("names")),
  };
}
