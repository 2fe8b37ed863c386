/**
 * A tiny router: `METHOD /path/:ref/...` patterns, where `:ref` names a
 * container or an image (percent-encoded: an image reference holds `/`), and
 * `:name` an artifact or a volume.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidArgError } from "../errors.js";
import type { RequestMeta } from "../machines/index.js";

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The container reference in the path, if any. */
  ref: string;
  /** The artifact or volume name in the path, if any. */
  name: string;
  meta: RequestMeta;
}

export type Handler = (ctx: RouteContext) => Promise<void>;

/** The request target as a URL; one that cannot be parsed (`//%C0%AF`, say) is the caller's mistake, a 400. */
export function requestUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? "/", "http://berth");
  } catch (err) {
    throw new InvalidArgError(`malformed request target ${JSON.stringify(target)}`, {
      cause: err,
    });
  }
}

/** One percent-decoded path segment; bad encoding (`%ZZ`) is the caller's mistake, a 400. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (err) {
    throw new InvalidArgError(`malformed percent-encoding in ${JSON.stringify(segment)}`, {
      cause: err,
    });
  }
}

export function match(
  table: Record<string, Handler>,
  method: string,
  path: string,
): { handler: Handler; ref: string; name: string } | undefined {
  const parts = path.split("/").map(decodeSegment);
  let ref = "";
  let name = "";
  const pattern = [...parts];
  // A literal route (`POST /images/pull`) wins over a reference that happens to spell it.
  const literal = table[`${method} ${parts.join("/")}`];
  if (literal && parts[1] === "images") return { handler: literal, ref, name };
  if ((parts[1] === "containers" || parts[1] === "images") && parts[2] !== undefined) {
    ref = parts[2];
    pattern[2] = ":ref";
    // An artifact's name, or an exec session's id.
    if (
      parts[1] === "containers" &&
      (parts[3] === "artifacts" || parts[3] === "exec") &&
      parts[4] !== undefined
    ) {
      name = parts[4];
      pattern[4] = ":name";
    }
  }
  // `/volumes/<name>`: a fixed route (`POST /volumes/prune`) wins over the name.
  if (parts[1] === "volumes" && parts[2] !== undefined && parts.length === 3) {
    const fixed = table[`${method} ${parts.join("/")}`];
    if (fixed) return { handler: fixed, ref, name };
    name = parts[2];
    pattern[2] = ":name";
  }
  const handler = table[`${method} ${pattern.join("/")}`];
  return handler ? { handler, ref, name } : undefined;
}
