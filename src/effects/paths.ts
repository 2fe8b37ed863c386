/**
 * Where berth keeps host-side files under its root directory. Every path that
 * embeds a caller-supplied name goes through `safeJoin`, so a bad name can
 * never point outside the root.
 */
import * as path from "node:path";
import { InvalidArgError } from "../errors.js";

/** Image names: a name plus an optional `:tag`, no path separators. */
const IMAGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}(?::[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?$/;

/**
 * Container ids. No dot: conmon writes exit files through a temp file named
 * `<id>.XXXXXX`, and the exit monitor tells the two apart by that dot.
 */
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/;

/**
 * Characters that would break the overlay mount option string
 * (`lowerdir=a:b,upperdir=...`) if they appeared in the root path.
 */
const OVERLAY_UNSAFE = /[,:\\\s]/;

/** The fixed folders under a berth root. */
export interface Layout {
  root: string;
  images: string;
  containers: string;
  /** conmon `--exit-dir`: one file per exited container, named by id. */
  exits: string;
  /** `runc --root`: runc's own state. */
  runc: string;
  /** conmon `--socket-dir-path`. */
  sockets: string;
  /** Archives in flight between a client and the daemon: exports being streamed, uploads being imported. */
  staging: string;
  /** Checkpoint archives, by name (`checkpoint --export NAME`). */
  checkpoints: string;
  /** Image blobs by digest (`blobs/sha256/<hex>`). */
  blobs: string;
  /** Unpacked image layers by diffID: overlay lower folders. */
  layers: string;
}

/** Files of one image. */
export interface ImagePaths {
  dir: string;
  rootfs: string;
  manifest: string;
}

/** Files of one container. */
export interface ContainerPaths {
  dir: string;
  upper: string;
  work: string;
  merged: string;
  bundle: string;
  config: string;
  log: string;
  conmonPidfile: string;
  pidfile: string;
  /** conmon `--persist-dir`: conmon writes `exit` and `oom` here. */
  persist: string;
  /** runc `--log` for the create that conmon runs: gives failures their text. */
  runtimeLog: string;
  /** conmon's exit file for this container. */
  exitFile: string;
}

/**
 * Joins `name` onto `base`, refusing anything that would leave `base`:
 * empty names, absolute paths, `..` segments and names with a separator.
 */
export function safeJoin(base: string, name: string): string {
  if (name === "" || name.includes("\0")) {
    throw new InvalidArgError(`invalid path component ${JSON.stringify(name)}`);
  }
  if (path.isAbsolute(name)) {
    throw new InvalidArgError(`path ${JSON.stringify(name)} must be relative`);
  }
  const resolvedBase = path.resolve(base);
  const joined = path.resolve(resolvedBase, name);
  const rel = path.relative(resolvedBase, joined);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new InvalidArgError(`path ${JSON.stringify(name)} escapes ${resolvedBase}`);
  }
  return joined;
}

/** Throws InvalidArgError unless `name` is a valid image name (`name` or `name:tag`). */
export function assertImageName(name: string): void {
  if (!IMAGE_NAME.test(name)) {
    throw new InvalidArgError(
      `invalid image name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-' and an optional ':tag'`,
    );
  }
}

/** True when `id` is a valid container id. */
export function isContainerId(id: string): boolean {
  return CONTAINER_ID.test(id);
}

/** Throws InvalidArgError unless `id` is a valid container id. */
export function assertContainerId(id: string): void {
  if (!isContainerId(id)) {
    throw new InvalidArgError(`invalid container id ${JSON.stringify(id)}`);
  }
}

/**
 * The layout under `root`. The root must be absolute and free of the
 * characters overlayfs uses as option separators.
 */
export function layout(root: string): Layout {
  if (!path.isAbsolute(root)) {
    throw new InvalidArgError(`berth root ${JSON.stringify(root)} must be an absolute path`);
  }
  if (OVERLAY_UNSAFE.test(root)) {
    throw new InvalidArgError(
      `berth root ${JSON.stringify(root)} must not contain ',', ':', '\\' or whitespace`,
    );
  }
  const r = path.resolve(root);
  return {
    root: r,
    images: path.join(r, "images"),
    containers: path.join(r, "containers"),
    exits: path.join(r, "exits"),
    runc: path.join(r, "runc"),
    sockets: path.join(r, "sockets"),
    staging: path.join(r, "staging"),
    checkpoints: path.join(r, "checkpoints"),
    blobs: path.join(r, "blobs"),
    layers: path.join(r, "layers"),
  };
}

/**
 * Folder name of an image in the store berth had before images were layered
 * (kept so containers created then still find their rootfs). `:` separates overlay lower dirs, so the tag
 * separator becomes `+`, which names cannot contain: the mapping stays one-to-one.
 */
function imageFolder(name: string): string {
  assertImageName(name);
  return name.replace(":", "+");
}

/** Paths of image `name`. */
export function imagePaths(l: Layout, name: string): ImagePaths {
  const dir = safeJoin(l.images, imageFolder(name));
  return { dir, rootfs: path.join(dir, "rootfs"), manifest: path.join(dir, "image.json") };
}

const DIFF_ID = /^sha256:([a-f0-9]{64})$/;

/** The folder of the unpacked layer with diffID `diffId` (`sha256:<hex>`). */
export function layerPath(l: Layout, diffId: string): string {
  const hex = DIFF_ID.exec(diffId)?.[1];
  if (hex === undefined)
    throw new InvalidArgError(`invalid layer diffID ${JSON.stringify(diffId)}`);
  return path.join(l.layers, hex);
}

/** Paths of container `id`. */
export function containerPaths(l: Layout, id: string): ContainerPaths {
  assertContainerId(id);
  const dir = safeJoin(l.containers, id);
  const bundle = path.join(dir, "bundle");
  return {
    dir,
    upper: path.join(dir, "upper"),
    work: path.join(dir, "work"),
    merged: path.join(dir, "merged"),
    bundle,
    config: path.join(bundle, "config.json"),
    log: path.join(dir, "ctr.log"),
    conmonPidfile: path.join(dir, "conmon.pid"),
    pidfile: path.join(dir, "pidfile"),
    persist: path.join(dir, "persist"),
    runtimeLog: path.join(dir, "runc.log"),
    exitFile: safeJoin(l.exits, id),
  };
}
