/**
 * Image references (`busybox`, `quay.io/org/app:1.2`, `x@sha256:…`), parsed
 * and normalised as Docker and Podman do, so the same words name the same
 * image in berth as in those tools.
 *
 * The grammar is the one the distribution project documents: a name is an
 * optional registry host (with port) and slash-separated lowercase path
 * components; a tag is up to 128 word characters, dots and dashes; a digest
 * follows `@`. Only sha256 digests are accepted, as everywhere in berth.
 */
import { InvalidArgError } from "../errors.js";
import { isDigest, type Digest } from "./digest.js";

/** A normalised image reference. */
export interface ImageReference {
  /** Registry host, with `:port` when given; `docker.io` by default. */
  registry: string;
  /** Repository path in the registry; `library/` is prefixed for Docker Hub's single names. */
  repository: string;
  /** The tag; `latest` when neither a tag nor a digest was given. */
  tag?: string;
  digest?: Digest;
}

/** The registry a reference with no host names: Docker Hub. */
export const DEFAULT_REGISTRY = "docker.io";
const LEGACY_REGISTRY = "index.docker.io";
/** Longest reference text berth reads at all (a bound on input, not a rule of the grammar). */
const MAX_REFERENCE_LENGTH = 512;
/** distribution/reference's limit on the name (registry + repository). */
const MAX_NAME_LENGTH = 255;

// Lowercase alphanumerics joined by one `.`, one or two `_`, or any number of `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// Host names: alphanumerics and inner dashes per label; IPv6 in brackets; an optional port.
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

const refuse = (text: string, why: string): never => {
  throw new InvalidArgError(`invalid image reference ${JSON.stringify(text)}: ${why}`);
};

/**
 * Whether the first path component names a registry host. Docker's rule: it
 * does when it has a dot or a port, is `localhost`, or has uppercase letters
 * (which a repository path cannot have).
 */
const isHost = (first: string): boolean =>
  first.includes(".") ||
  first.includes(":") ||
  first === "localhost" ||
  first !== first.toLowerCase();

/** Splits `name[:tag][@digest]`; a colon after the last slash starts the tag. */
function split(text: string): { name: string; tag?: string; digest?: string } {
  const at = text.indexOf("@");
  const digest = at === -1 ? undefined : text.slice(at + 1);
  const rest = at === -1 ? text : text.slice(0, at);
  const colon = rest.lastIndexOf(":");
  const tagged = colon > rest.lastIndexOf("/");
  return {
    name: tagged ? rest.slice(0, colon) : rest,
    ...(tagged ? { tag: rest.slice(colon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/**
 * Parses and normalises an image reference. Throws InvalidArgError naming
 * the rule broken: uppercase in the repository, a bad tag, a digest that is
 * not sha256, a 64-hex name (an image id, not a name), or a name too long.
 */
export function parseReference(text: string): ImageReference {
  if (typeof text !== "string" || text === "") return refuse(String(text), "it is empty");
  if (text.length > MAX_REFERENCE_LENGTH)
    refuse(text.slice(0, 64) + "…", `longer than ${MAX_REFERENCE_LENGTH} characters`);
  if (IMAGE_ID.test(text)) refuse(text, "a 64-hex string is an image id, not a repository name");
  const parts = split(text);
  if (parts.digest !== undefined && !isDigest(parts.digest))
    refuse(text, "the digest must be sha256: and 64 lowercase hex digits");
  if (parts.tag !== undefined && !TAG.test(parts.tag))
    refuse(text, "a tag is 1 to 128 letters, digits, _ . or -, and does not start with . or -");
  const slash = parts.name.indexOf("/");
  const first = slash === -1 ? "" : parts.name.slice(0, slash);
  let registry = DEFAULT_REGISTRY;
  let repository = parts.name;
  if (slash !== -1 && isHost(first)) {
    if (!HOST.test(first)) refuse(text, `${JSON.stringify(first)} is not a registry host[:port]`);
    registry = first === LEGACY_REGISTRY ? DEFAULT_REGISTRY : first;
    repository = parts.name.slice(slash + 1);
  }
  if (repository === "") refuse(text, "the repository name is empty");
  if (repository !== repository.toLowerCase()) refuse(text, "repository names must be lowercase");
  for (const component of repository.split("/"))
    if (!PATH_COMPONENT.test(component))
      refuse(
        text,
        `${JSON.stringify(component)} is not a path component (lowercase letters and digits, joined by . _ __ or -)`,
      );
  if (registry === DEFAULT_REGISTRY && !repository.includes("/"))
    repository = `library/${repository}`;
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH)
    refuse(text, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  const tag = parts.tag ?? (parts.digest === undefined ? "latest" : undefined);
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(parts.digest !== undefined ? { digest: parts.digest as Digest } : {}),
  };
}

/** The canonical text of a reference: `registry/repository[:tag][@digest]`. */
export function referenceString(ref: ImageReference): string {
  const tag = ref.tag !== undefined ? `:${ref.tag}` : "";
  const digest = ref.digest !== undefined ? `@${ref.digest}` : "";
  return `${ref.registry}/${ref.repository}${tag}${digest}`;
}
