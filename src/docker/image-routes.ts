/**
 * The image endpoints the docker CLI needs around `run`: the pull it sends
 * when create answers 404 (`POST /images/create?fromImage=&tag=`), answered
 * as a jsonmessage stream, and the image list. The pull is berth's own
 * (src/service), journaled with the same actor and client as every request.
 */
import type { ApiDeps } from "../api/index.js";
import { InvalidArgError } from "../errors.js";
import { sendDockerJson } from "./docker-io.js";
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

/** The reference the CLI means: `fromImage` with `tag` (or a digest) when it names one. */
export function pullReference(url: URL): string {
  const from = url.searchParams.get("fromImage");
  if (from === null || from === "")
    throw new InvalidArgError("berth pulls only: give fromImage (fromSrc imports are not served)");
  const tag = url.searchParams.get("tag");
  if (tag === null || tag === "") return from;
  return tag.startsWith("sha256:") ? `${from}@${tag}` : `${from}:${tag}`;
}

export function imageRoutes({ service }: ApiDeps): DockerRoutes {
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
      sendDockerJson(
        res,
        200,
        service.images.list().map((image) => ({
          Id: `sha256:${image.id}`,
          ParentId: "",
          RepoTags: image.names.length > 0 ? image.names : ["<none>:<none>"],
          RepoDigests: image.names.map(
            (n) => `${n.replace(/:[^:/]+$/, "")}@${image.manifestDigest}`,
          ),
          Created: Math.floor(Date.parse(image.created ?? image.addedAt) / 1000),
          Size: image.size,
          SharedSize: -1,
          VirtualSize: image.size,
          Labels: {},
          Containers: -1,
        })),
      );
      return Promise.resolve();
    },
  };
}
