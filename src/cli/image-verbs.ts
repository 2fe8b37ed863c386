/**
 * The image verbs, with Podman's names and output: each a thin call to the
 * daemon's API. A pull's credentials are read here, as the user who runs the
 * CLI, and sent with the request: the daemon never reads an auth file a
 * client names.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import { BerthClient } from "../client/index.js";
import { errorFromWire, InvalidArgError } from "../errors.js";
import { outputFormat } from "./output-format.js";
import { PullProgress, type BlobProgress } from "./pull-progress.js";

const client = (socket: string) => new BerthClient({ socketPath: socket });
const execFileAsync = promisify(execFile);
const out = (text: string) => process.stdout.write(text);
const enc = encodeURIComponent;

/** The parts of an image record the CLI shows. */
interface ImageView {
  id: string;
  names: string[];
  digests: string[];
  size: number;
  created?: string;
  addedAt: string;
}

/** `docker.io/library/busybox:latest` as Podman's table shows it: repository and tag. */
function repoAndTag(name: string): [string, string] {
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? [name.slice(0, colon), name.slice(colon + 1)] : [name, ""];
}

/** Sizes as Podman's image table writes them: decimal units, three significant digits. */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : Number(n.toPrecision(3))} ${units[u]}`;
}

/** How long ago `iso` was, in the words `podman images` uses. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return "unknown";
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  const steps: [number, string][] = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [7, "day"],
    [4.35, "week"],
    [12, "month"],
    [Infinity, "year"],
  ];
  let n = s;
  for (const [size, unit] of steps) {
    if (n < size) {
      const whole = Math.floor(n);
      if (unit === "second" && whole < 1) return "Less than a second ago";
      return `${whole} ${unit}${whole === 1 ? "" : "s"} ago`;
    }
    n /= size;
  }
  return "a long time ago";
}

/** The rows of `image ls`: one per name, `<none>` for an image without one. */
export function imageRows(images: ImageView[], opts: { digests?: boolean; noTrunc?: boolean }) {
  const header = [
    "REPOSITORY",
    "TAG",
    ...(opts.digests ? ["DIGEST"] : []),
    "IMAGE ID",
    "CREATED",
    "SIZE",
  ];
  const rows = images.flatMap((i) => {
    const names = i.names.length > 0 ? i.names : ["<none>:<none>"];
    return names.map((n) => {
      const [repo, tag] = repoAndTag(n);
      return [
        repo,
        tag,
        ...(opts.digests ? [i.digests[i.digests.length - 1] ?? "<none>"] : []),
        opts.noTrunc ? `sha256:${i.id}` : i.id.slice(0, 12),
        ago(i.created ?? i.addedAt),
        humanSize(i.size),
      ];
    });
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]?.length ?? 0)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

type Format = { format: string };

/** Column titles of `image ls` templates where Podman's differ from the field name. */
const IMAGE_HEADERS: Record<string, string> = { ID: "IMAGE ID", CreatedSince: "CREATED" };

/** One `image ls` row per name, as Podman's templates see it (`{{.Repository}}:{{.Tag}}`). */
export function imageViews(images: ImageView[], opts: { noTrunc?: boolean }, now = Date.now()) {
  return images.flatMap((i) =>
    (i.names.length > 0 ? i.names : ["<none>:<none>"]).map((n) => {
      const [repo, tag] = repoAndTag(n);
      return {
        ID: opts.noTrunc ? `sha256:${i.id}` : i.id.slice(0, 12),
        Repository: repo,
        Tag: tag,
        Names: i.names,
        Digest: i.digests[i.digests.length - 1] ?? "",
        CreatedAt: i.created ?? i.addedAt,
        CreatedSince: ago(i.created ?? i.addedAt, now),
        Size: humanSize(i.size),
      };
    }),
  );
}

/** `image ls` / `images`. */
export async function imageList(
  socket: string,
  flags: Format & { quiet?: boolean; digests?: boolean; trunc?: boolean },
) {
  // commander reads --no-trunc as trunc: false.
  const opts = { ...flags, noTrunc: flags.trunc === false };
  const format = outputFormat(opts.format, { headers: IMAGE_HEADERS });
  const images = await client(socket).call<ImageView[]>("GET", "/images");
  if (format.kind === "json") out(`${JSON.stringify(images, null, 2)}\n`);
  else if (format.kind === "template") out(format.template.render(imageViews(images, opts)));
  else if (opts.quiet)
    for (const i of images) out(`${opts.noTrunc ? `sha256:${i.id}` : i.id.slice(0, 12)}\n`);
  else out(`${imageRows(images, opts)}\n`);
}

/** `image inspect REF...`: a JSON array, as Podman prints it. */
export async function imageInspect(socket: string, refs: string[]) {
  const c = client(socket);
  const found = [];
  for (const ref of refs) found.push(await c.call("GET", `/images/${enc(ref)}`));
  out(`${JSON.stringify(found, null, 2)}\n`);
}

/** `image tag REF NAME...`. */
export async function imageTag(socket: string, ref: string, names: string[]) {
  for (const name of names) await client(socket).call("POST", `/images/${enc(ref)}/tag`, { name });
}

/** `image untag REF NAME...`. */
export async function imageUntag(socket: string, ref: string, names: string[]) {
  for (const name of names)
    await client(socket).call("POST", `/images/${enc(ref)}/untag`, { name });
}

/** `image rm [-f] REF...` / `rmi`: Podman's `Untagged:` and `Deleted:` lines. */
export async function imageRemove(socket: string, refs: string[], opts: { force?: boolean }) {
  for (const ref of refs) {
    const r = await client(socket).call<{ untagged: string[]; deleted?: string }>(
      "DELETE",
      `/images/${enc(ref)}${opts.force ? "?force=1" : ""}`,
    );
    for (const name of r.untagged) out(`Untagged: ${name}\n`);
    if (r.deleted !== undefined) out(`Deleted: ${r.deleted}\n`);
  }
}

/** `image prune [-a]`: the ids removed, one per line, as Podman prints them. */
export async function imagePrune(socket: string, opts: { all?: boolean }) {
  const r = await client(socket).call<{ images: string[]; bytes: number }>(
    "POST",
    "/images/prune",
    { all: opts.all ?? false },
  );
  for (const id of r.images) out(`${id}\n`);
}

/** Where Podman and Docker keep credentials, most specific first. */
function authFiles(): string[] {
  const files: string[] = [];
  if (process.env.REGISTRY_AUTH_FILE) files.push(process.env.REGISTRY_AUTH_FILE);
  if (process.env.XDG_RUNTIME_DIR)
    files.push(join(process.env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  files.push(join(homedir(), ".docker", "config.json"));
  return files;
}

/** The registry host a reference names (Docker Hub when it names none). */
function registryOf(reference: string): string {
  const slash = reference.indexOf("/");
  const first = slash === -1 ? "" : reference.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : "docker.io";
}

interface PullFlags {
  tlsVerify?: string | boolean;
  creds?: string;
  authfile?: string;
  certDir?: string;
  quiet?: boolean;
}

/** The credentials for `reference`'s registry: --creds, else the auth files. */
async function credentialsFor(reference: string, flags: PullFlags) {
  const { parseCreds, readAuthFile } = await import("../images/index.js");
  if (flags.creds !== undefined) return parseCreds(flags.creds);
  const registry = registryOf(reference);
  if (flags.authfile !== undefined) return readAuthFile(flags.authfile, registry);
  for (const file of authFiles()) {
    const found = await stat(file).catch(() => undefined);
    if (found?.isFile()) {
      const creds = await readAuthFile(file, registry);
      if (creds) return creds;
    }
  }
  return undefined;
}

/** The CA certificates of `--cert-dir DIR` (its `*.crt` files), as PEM text. */
async function caOf(certDir: string | undefined): Promise<string | undefined> {
  if (certDir === undefined) return undefined;
  const names = (await readdir(certDir)).filter((n) => n.endsWith(".crt"));
  const pems = await Promise.all(names.map((n) => readFile(join(certDir, n), "utf8")));
  return pems.length > 0 ? pems.join("\n") : undefined;
}

/** `image pull REF` / `pull`: progress on a terminal (stderr), the image id on stdout. */
export async function imagePull(socket: string, reference: string, flags: PullFlags) {
  const tlsVerify = flags.tlsVerify === undefined ? undefined : String(flags.tlsVerify) !== "false";
  const credentials = await credentialsFor(reference, flags);
  const ca = await caOf(flags.certDir);
  const progress = flags.quiet ? undefined : new PullProgress(process.stderr);
  const body = {
    reference,
    ...(tlsVerify !== undefined ? { tlsVerify } : {}),
    ...(credentials ? { credentials } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
  let id: string | undefined;
  for await (const line of client(socket).lines("/images/pull", "POST", body)) {
    const msg = JSON.parse(line) as {
      progress?: BlobProgress;
      image?: { id: string };
      error?: { code: string; message: string };
    };
    if (msg.progress) progress?.update(msg.progress);
    if (msg.image) id = msg.image.id;
    if (msg.error) {
      progress?.finish();
      throw errorFromWire(msg.error);
    }
  }
  progress?.finish();
  if (id === undefined)
    throw new InvalidArgError(`the daemon ended the pull of ${reference} without an answer`);
  out(`${id}\n`);
}

/** `image load -i FILE` / `load`: the archive's own names, in Podman's words. */
export async function imageLoad(socket: string, opts: { input?: string }) {
  if (opts.input === undefined) {
    if (process.stdin.isTTY) throw new InvalidArgError("give an archive with -i FILE, or on stdin");
    // The upload declares its size, so stdin is kept in a private file first.
    const dir = await mkdtemp(join(tmpdir(), "berth-load-"));
    try {
      const file = join(dir, "archive.tar");
      await pipeline(process.stdin, createWriteStream(file, { mode: 0o600 }));
      return await imageLoad(socket, { input: file });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const input = opts.input;
  const found = await stat(input).catch((err: unknown) => {
    throw new InvalidArgError(`cannot read ${input}: ${(err as Error).message}`, { cause: err });
  });
  if (found.isDirectory()) {
    // An OCI layout folder (`skopeo copy … oci:DIR`) travels as the OCI archive it is the tar of.
    const dir = await mkdtemp(join(tmpdir(), "berth-load-"));
    try {
      const file = join(dir, "layout.tar");
      await execFileAsync("tar", ["--force-local", "-C", input, "-cf", file, "."]);
      return await imageLoad(socket, { input: file });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (!found.isFile()) throw new InvalidArgError(`${input} is not a regular file or a folder`);
  const images = await client(socket).importImage<(ImageView & { given: string[] })[]>(
    undefined,
    createReadStream(input),
    found.size,
  );
  // The names the archive gave, not every name the image already had.
  for (const i of images)
    for (const name of i.given.length > 0 ? i.given : [`sha256:${i.id}`])
      out(`Loaded image: ${name}\n`);
}
