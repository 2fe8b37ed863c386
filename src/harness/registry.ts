/**
 * A real distribution registry for the pull tests and bench:pull (Debian's
 * `docker-registry` on a free loopback port, a temp storage folder,
 * optionally htpasswd basic auth and TLS), and an OCI image layout builder
 * whose images `skopeo` pushes into it. registry-proxy.ts puts a counting,
 * cutting proxy in front of one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync as gunzip, gzipSync } from "node:zlib";
import { execa } from "execa";
import { pack } from "tar-stream";
import { canConnect, freePort, tempDir, until } from "./processes.js";
import { makeTls } from "./tls.js";

export interface Registry {
  /** `127.0.0.1:<port>`, as a pull target's `registry`. */
  host: string;
  port: number;
  /** The registry's storage root (blobs under docker/registry/v2/blobs/sha256/). */
  storage: string;
  /** The CA that signed the registry's certificate, when it serves TLS. */
  ca?: string;
  /** The path of the blob `digest` in the registry's storage. */
  blobPath(digest: string): string;
  stop(): Promise<void>;
}

/** Starts a registry; stop() kills it and removes its folders. */
export async function startRegistry(
  opts: { user?: { name: string; password: string }; tls?: boolean } = {},
): Promise<Registry> {
  const dir = await tempDir("berth-registry-");
  const storage = join(dir, "storage");
  await mkdir(storage);
  const port = await freePort();
  const lines = [
    "version: 0.1",
    "log: {level: error, accesslog: {disabled: true}}",
    `storage: {filesystem: {rootdirectory: ${storage}}, delete: {enabled: true}}`,
  ];
  let tls: Awaited<ReturnType<typeof makeTls>> | undefined;
  if (opts.tls) {
    tls = await makeTls();
    lines.push(
      `http: {addr: "127.0.0.1:${port}", secret: s, tls: {certificate: ${tls.serverCert}, key: ${tls.serverKey}}}`,
    );
  } else lines.push(`http: {addr: "127.0.0.1:${port}", secret: s}`);
  if (opts.user) {
    const file = join(dir, "htpasswd");
    await execa("htpasswd", ["-Bbc", file, opts.user.name, opts.user.password]);
    lines.push(`auth: {htpasswd: {realm: berth-test, path: ${file}}}`);
  }
  const config = join(dir, "config.yml");
  await writeFile(config, `${lines.join("\n")}\n`);
  let log = "";
  const child: ChildProcess = spawn("docker-registry", ["serve", config], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
    if (tls) await rm(tls.dir, { recursive: true, force: true });
  };
  try {
    await until(
      () => canConnect({ port }),
      10_000,
      () => `docker-registry to listen: ${log}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    storage,
    ...(tls && { ca: tls.ca }),
    blobPath: (digest) => {
      const hex = digest.replace(/^sha256:/, "");
      return join(storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    },
    stop,
  };
}

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A gzipped layer tarball holding `files` (path → content). */
export async function layerTar(files: Record<string, Buffer | string>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of p as AsyncIterable<Buffer>) parts.push(chunk);
  return gzipSync(Buffer.concat(parts), { level: 1 });
}

/** A layer of `bytes` random (incompressible) bytes in one file. */
export const randomLayer = (bytes: number, name = "data.bin") =>
  layerTar({ [name]: randomBytes(bytes) });

export interface BuiltImage {
  manifestDigest: string;
  configDigest: string;
  layers: { digest: string; size: number }[];
}

/** An OCI image layout under construction: blobs are written as they are added. */
export class OciLayout {
  private readonly refs: object[] = [];
  constructor(readonly dir: string) {}

  async blob(data: Buffer | string): Promise<{ digest: string; size: number }> {
    const digest = sha(data);
    const folder = join(this.dir, "blobs", "sha256");
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, digest.slice(7)), data);
    return { digest, size: Buffer.byteLength(data) };
  }

  /**
   * Adds an image of gzipped `layers` for `platform`; tags it `tag` when
   * given. `config` replaces fields of the generated config (to build a bad one).
   */
  async image(
    layers: Buffer[],
    platform = { os: "linux", architecture: "amd64" },
    tag?: string,
    config?: Record<string, unknown>,
  ): Promise<BuiltImage> {
    const layerDescs = [];
    for (const l of layers)
      layerDescs.push({
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        ...(await this.blob(l)),
      });
    const configBlob = await this.blob(
      JSON.stringify({
        ...platform,
        config: { Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: layers.map((l) => sha(gunzip(l))) },
        ...config,
      }),
    );
    const manifest = await this.blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
        layers: layerDescs,
      }),
    );
    if (tag !== undefined)
      this.ref("application/vnd.oci.image.manifest.v1+json", manifest, tag, platform);
    return {
      manifestDigest: manifest.digest,
      configDigest: configBlob.digest,
      layers: layerDescs,
    };
  }

  /** Adds an index of `images` (with their platforms) tagged `tag`. */
  async index(
    images: { image: BuiltImage; platform: { os: string; architecture: string } }[],
    tag: string,
  ): Promise<string> {
    const manifests = [];
    for (const { image, platform } of images)
      manifests.push({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: image.manifestDigest,
        size: Buffer.byteLength(await this.read(image.manifestDigest)),
        platform,
      });
    const index = await this.blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests,
      }),
    );
    this.ref("application/vnd.oci.image.index.v1+json", index, tag);
    return index.digest;
  }

  /** Writes index.json and oci-layout. */
  async finish(): Promise<void> {
    await writeFile(join(this.dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await writeFile(
      join(this.dir, "index.json"),
      JSON.stringify({ schemaVersion: 2, manifests: this.refs }),
    );
  }

  private ref(
    mediaType: string,
    d: { digest: string; size: number },
    tag: string,
    platform?: object,
  ) {
    this.refs.push({
      mediaType,
      ...d,
      ...(platform && { platform }),
      annotations: { "org.opencontainers.image.ref.name": tag },
    });
  }

  private async read(digest: string) {
    return readFile(join(this.dir, "blobs", "sha256", digest.slice(7)));
  }
}

/** Pushes `layoutDir:tag` to `registry/repo:tag` with skopeo, keeping digests. */
export async function pushLayout(
  layoutDir: string,
  tag: string,
  registry: string,
  repo: string,
  opts: { creds?: string; all?: boolean; tlsVerify?: boolean } = {},
): Promise<void> {
  await execa("skopeo", [
    "copy",
    "--quiet",
    "--preserve-digests",
    ...(opts.all ? ["--all"] : []),
    `--dest-tls-verify=${opts.tlsVerify ?? false}`,
    ...(opts.creds ? ["--dest-creds", opts.creds] : []),
    `oci:${layoutDir}:${tag}`,
    `docker://${registry}/${repo}:${tag}`,
  ]);
}
