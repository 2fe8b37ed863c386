/**
 * Builds test images by hand: layer tarballs from a list of entries, and an
 * OCI image layout (blobs, index.json, manifest, config) around them, so tests
 * can feed berth and reference tools (umoci, skopeo) the very same bytes.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

/** One tar entry; unset fields get plain defaults (root-owned, 0644 or 0755, a fixed mtime). */
export interface TarEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "fifo" | "character-device" | "block-device";
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra pax records, e.g. `{"SCHILY.xattr.user.x": "1"}`. */
  pax?: Record<string, string>;
}

const FIXED_MTIME = new Date("2024-05-01T12:00:00Z");

/**
 * A docker-archive in the layout `docker save` wrote before docker 25 (and
 * `docker load` still reads): one image of one layer holding `files`, with
 * `config` as its runtime config (Cmd, Env…), named `tag`.
 */
export async function dockerArchiveOf(
  files: readonly TarEntry[],
  config: Record<string, unknown>,
  tag: string,
): Promise<{ archive: Buffer; layer: Buffer }> {
  const layer = await tarOf(files);
  const diffId = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
  const imageConfig = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config,
    rootfs: { type: "layers", diff_ids: [diffId] },
  });
  const manifest = [{ Config: "config.json", RepoTags: [tag], Layers: ["layer.tar"] }];
  const archive = await tarOf([
    { name: "config.json", content: imageConfig },
    { name: "layer.tar", content: layer },
    { name: "manifest.json", content: JSON.stringify(manifest) },
  ]);
  return { archive, layer };
}

/** An uncompressed tarball holding `entries` in order, names written exactly as given. */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on("end", resolve);
    p.on("error", reject);
  });
  for (const e of entries) {
    const type = e.type ?? "file";
    // An empty body rather than none: without one, pack waits for a stream to be written.
    const body = Buffer.from(e.content ?? "");
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? FIXED_MTIME,
      size: body.byteLength,
      ...(e.linkname === undefined ? {} : { linkname: e.linkname }),
      ...(e.devmajor === undefined ? {} : { devmajor: e.devmajor, devminor: e.devminor ?? 0 }),
      ...(e.pax === undefined ? {} : { pax: e.pax }),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      p.entry(header, body, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** What `writeOciLayout` wrote, by digest. */
export interface OciLayoutImage {
  manifest: string;
  config: string;
  /** Digests of the layer blobs as stored (gzip when asked). */
  layers: string[];
  /** Digests of the uncompressed layer tars, in order. */
  diffIds: string[];
}

/**
 * Writes an OCI image layout at `dir` with one image tagged `tag` whose
 * layers are `tars` (uncompressed, bottom first), stored gzip-compressed
 * unless `gzip` is false.
 */
export async function writeOciLayout(
  dir: string,
  tag: string,
  tars: readonly Buffer[],
  opts: { gzip?: boolean; config?: Record<string, unknown> } = {},
): Promise<OciLayoutImage> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Buffer) => {
    const d = sha256(bytes);
    await writeFile(join(blobs, d.slice(7)), bytes);
    return d;
  };
  const gzip = opts.gzip ?? true;
  const stored = tars.map((t) => (gzip ? gzipSync(t) : t));
  const layers = await Promise.all(stored.map(put));
  const diffIds = tars.map(sha256);
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: opts.config ?? {},
      rootfs: { type: "layers", diff_ids: diffIds },
    }),
  );
  const config = await put(configBytes);
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: config,
        size: configBytes.byteLength,
      },
      layers: stored.map((b, i) => ({
        mediaType: gzip
          ? "application/vnd.oci.image.layer.v1.tar+gzip"
          : "application/vnd.oci.image.layer.v1.tar",
        digest: layers[i],
        size: b.byteLength,
      })),
    }),
  );
  const manifest = await put(manifestBytes);
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: manifest,
          size: manifestBytes.byteLength,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return { manifest, config, layers, diffIds };
}
