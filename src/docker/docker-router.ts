/**
 * The Docker API's routes: `METHOD /path/{id}/...` patterns. A router of its
 * own because Docker's paths are not berth's: `/containers/json` is the list,
 * not a container named "json", and an id segment may hold any name.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeSegment } from "../api/index.js";
import type { RequestMeta } from "../machines/index.js";

export interface DockerContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The `{id}` segment of the path (a container id, name or prefix), decoded. */
  id: string;
  /** The API version the client asked for. */
  version: string;
  meta: RequestMeta;
}

export type DockerHandler = (ctx: DockerContext) => Promise<void>;

/** Routes keyed by `METHOD /path`, with `{id}` standing for one path segment. */
export type DockerRoutes = Record<string, DockerHandler>;

/**
 * The handler for a request and its `{id}`, or undefined when no route fits.
 * A container's id is the third segment. An image's name may hold slashes
 * (`docker image inspect docker.io/library/busybox` sends
 * `/images/docker.io/library/busybox/json`, unescaped, as moby's `{name:.*}`
 * routes expect), so under `/images/` the name is every segment between the
 * prefix and the route's last word, or, failing that, every segment after
 * the prefix (`DELETE /images/{name}`).
 */
export function matchDocker(
  routes: DockerRoutes,
  method: string,
  path: string,
): { handler: DockerHandler; id: string } | undefined {
  const exact = routes[`${method} ${path}`];
  if (exact) return { handler: exact, id: "" };
  const parts = path.split("/");
  if (parts[1] === "images" && parts.length >= 3 && parts[2] !== "") {
    const name = (segments: string[]) => segments.map(decodeSegment).join("/");
    const last = parts[parts.length - 1];
    const suffixed = parts.length >= 4 ? routes[`${method} /images/{id}/${last}`] : undefined;
    if (suffixed) return { handler: suffixed, id: name(parts.slice(2, -1)) };
    const whole = routes[`${method} /images/{id}`];
    if (whole) return { handler: whole, id: name(parts.slice(2)) };
    return undefined;
  }
  // /containers/{id}/..., /volumes/{id}, /networks/{id}: the id is the third segment.
  if (parts.length >= 3 && parts[2] !== "") {
    const pattern = [...parts];
    pattern[2] = "{id}";
    const handler = routes[`${method} ${pattern.join("/")}`];
    if (handler) return { handler, id: decodeSegment(parts[2]!) };
  }
  return undefined;
}
