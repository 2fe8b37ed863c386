/**
 * The rules a layer tarball's entry names must follow before anything is
 * written: a name is a path relative to the layer's root, without `..`, and
 * OCI whiteout names (`.wh.NAME`, `.wh..wh..opq`) are told apart from files.
 *
 * Why refuse rather than clean up a bad name: a layer whose names try to leave
 * its folder was not made by an honest image builder, and silently rewriting
 * `../etc/passwd` to `etc/passwd` would install a file nobody asked for.
 */
import { LayerUnsafeError } from "../errors.js";

/** The OCI marker that makes its directory opaque (hides lower layers' contents). */
export const OPAQUE_MARKER = ".wh..wh..opq";
const WHITEOUT_PREFIX = ".wh.";

/**
 * The components of a tar entry's name relative to the layer's root (`[]` is
 * the root itself). `./` and repeated slashes are dropped; absolute names,
 * `..` components and NUL bytes throw LayerUnsafeError. `what` names the field
 * in the message (an entry's name, a hard link's target).
 */
export function entryComponents(name: string, what = "entry"): string[] {
  if (name.includes("\0"))
    throw new LayerUnsafeError(`layer ${what} ${JSON.stringify(name)} contains a NUL byte`);
  if (name.startsWith("/"))
    throw new LayerUnsafeError(`layer ${what} ${JSON.stringify(name)} is an absolute path`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes(".."))
    throw new LayerUnsafeError(`layer ${what} ${JSON.stringify(name)} climbs out with ".."`);
  return parts;
}

/** What an entry means to the layer: a file to write, or an OCI whiteout marker. */
export type EntryRole =
  | { kind: "plain" }
  /** `.wh..wh..opq`: its directory hides what lower layers hold there. */
  | { kind: "opaque" }
  /** `.wh.NAME`: NAME, next to the marker, is deleted from lower layers. */
  | { kind: "whiteout"; name: string }
  /** Other `.wh..wh.` names are reserved by the spec (AUFS metadata) and carry nothing. */
  | { kind: "reserved" };

/** The role of an entry whose name has already passed `entryComponents`. */
export function entryRole(parts: readonly string[]): EntryRole {
  const base = parts.at(-1);
  if (base === undefined || !base.startsWith(WHITEOUT_PREFIX)) return { kind: "plain" };
  if (base === OPAQUE_MARKER) return { kind: "opaque" };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: "reserved" };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === "" || name === "." || name === "..")
    throw new LayerUnsafeError(`layer whiteout ${JSON.stringify(parts.join("/"))} names no file`);
  return { kind: "whiteout", name };
}

const XATTR_NAME = /^(user|trusted|security)\.[A-Za-z0-9._@:+-]+$/;

/**
 * True when a layer may carry the extended attribute `name` with `value`.
 * `trusted.overlay.*` is refused because overlayfs reads it as instructions
 * (opaque, redirect, metacopy): only berth sets it, from OCI whiteouts. A value
 * with U+FFFD was not valid UTF-8 in the tar (binary, e.g. a capability set)
 * and has been mangled by decoding, so it is dropped rather than applied wrong.
 */
export function xattrAllowed(name: string, value: string): boolean {
  return XATTR_NAME.test(name) && !name.startsWith("trusted.overlay.") && !value.includes("\uFFFD");
}
