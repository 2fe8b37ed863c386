/**
 * Registry credentials and the `WWW-Authenticate` challenges that ask for
 * them. Nothing here opens a file on a client's word: `readAuthFile` takes a
 * path the caller has already decided may be read (the lead decides who may
 * name one).
 */
import { readFile } from "node:fs/promises";
import { InvalidArgError } from "../../errors.js";

/** A user name and password (or token) for basic auth against one registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** `user:pass` as `--creds` gives it; the password may itself hold colons. */
export function parseCreds(value: string): Credentials {
  const colon = value.indexOf(":");
  if (colon <= 0 || value.length > 4096)
    throw new InvalidArgError("invalid credentials: use user:password");
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

// Docker Hub's credentials are stored under its historical index address.
const DOCKER_HUB_KEYS = ["docker.io", "index.docker.io", "https://index.docker.io/v1/"];

/** The keys an auth file may file `registry`'s credentials under, most specific first. */
function authKeys(registry: string): string[] {
  const hub = DOCKER_HUB_KEYS.includes(registry) || registry === "registry-1.docker.io";
  return hub ? DOCKER_HUB_KEYS : [registry, `https://${registry}`, `http://${registry}`];
}

/**
 * The credentials for `registry` in a Docker-style `config.json` or Podman
 * `auth.json` (`auths.<registry>.auth`, base64 of `user:pass`), or undefined
 * when the file has none for it. Credential helpers are not supported.
 */
export async function readAuthFile(
  path: string,
  registry: string,
): Promise<Credentials | undefined> {
  const text = await readFile(path, "utf8").catch((err: unknown) => {
    throw new InvalidArgError(`cannot read the auth file ${path}`, { cause: err });
  });
  if (text.length > 1024 * 1024) throw new InvalidArgError(`the auth file ${path} is too large`);
  let auths: unknown;
  try {
    auths = (JSON.parse(text) as { auths?: unknown }).auths;
  } catch (err) {
    throw new InvalidArgError(`the auth file ${path} is not JSON`, { cause: err });
  }
  if (typeof auths !== "object" || auths === null) return undefined;
  for (const key of authKeys(registry)) {
    const entry = Object.hasOwn(auths, key) ? (auths as Record<string, unknown>)[key] : undefined;
    const auth = (entry as { auth?: unknown } | undefined)?.auth;
    if (typeof auth === "string" && auth !== "")
      return parseCreds(Buffer.from(auth, "base64").toString("utf8"));
  }
  return undefined;
}

/** One parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: "basic" | "bearer";
  params: Record<string, string>;
}

/**
 * The first Basic or Bearer challenge of a `WWW-Authenticate` header, or
 * undefined. Parameters are `key="quoted"` or `key=token`, comma separated.
 */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  const m = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const param = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2]!;
  let p: RegExpExecArray | null;
  while (param.lastIndex < rest.length && (p = param.exec(rest)) !== null)
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  return { scheme: m[1]!.toLowerCase() as Challenge["scheme"], params };
}

/** The `Authorization` value for basic auth. */
export const basicAuth = (c: Credentials): string =>
  `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
