/**
 * Image archives (issue 11): one image, built as an OCI layout with umoci
 * and converted with skopeo to a docker archive and an OCI archive, loads
 * from each source into the blob store with the same configuration and
 * layers; bad archives are refused with typed errors and leave no temp file.
 */
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { execa } from "execa";
import { pack } from "tar-stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ArchiveInvalidError, DigestMismatchError } from "../../src/errors.js";
import { tempDir } from "../../src/harness/index.js";
import {
  BlobStore,
  digestOf,
  loadArchive,
  loadLayoutDir,
  MediaType,
  parseImageConfig,
  parseManifest,
  type LoadedImage,
} from "../../src/images/index.js";

let work: string;
let layout: string;
let dockerTar: string;
let ociTar: string;
let store: BlobStore;
let storeDir: string;

beforeAll(async () => {
  work = await tempDir("berth-archive-");
  layout = join(work, "layout");
  dockerTar = join(work, "docker.tar");
  ociTar = join(work, "oci.tar");
  await execa("umoci", ["init", "--layout", layout]);
  await execa("umoci", ["new", "--image", `${layout}:t`]);
  await mkdir(join(work, "root", "etc"), { recursive: true });
  await writeFile(join(work, "root", "etc", "hello"), "hello\n");
  await execa("umoci", ["insert", "--image", `${layout}:t`, join(work, "root", "etc"), "/etc"]);
  await execa("umoci", [
    "config",
    "--image",
    `${layout}:t`,
    "--config.cmd=sh",
    "--config.cmd=-c",
    "--config.cmd=echo hi",
    "--config.env=GREETING=hi",
    "--config.workingdir=/srv",
  ]);
  await execa("skopeo", ["copy", `oci:${layout}:t`, `docker-archive:${dockerTar}:demo:t`]);
  await execa("skopeo", ["copy", `oci:${layout}:t`, `oci-archive:${ociTar}`]);
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

beforeEach(() => {
  storeDir = join(work, `store-${Math.random().toString(36).slice(2)}`);
  store = new BlobStore(storeDir);
  return () => rm(storeDir, { recursive: true, force: true });
});

const only = (images: LoadedImage[]): LoadedImage => {
  expect(images).toHaveLength(1);
  return images[0]!;
};
const temps = async () =>
  (await readdir(join(storeDir, "sha256")).catch(() => [] as string[])).filter((n) =>
    n.startsWith("."),
  );

/** A tar built in memory from `[name, bytes]` pairs. */
async function tarOf(entries: [string, string | Buffer][]): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of entries) p.entry({ name }, body);
  p.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of p) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe("loading images from archives", () => {
  it("loads the same image from the layout, the OCI archive and the docker archive", async () => {
    const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as {
      manifests: { digest: string }[];
    };
    const fromLayout = only(await loadLayoutDir(layout, store));
    const fromOci = only(await loadArchive(ociTar, store));
    const fromDocker = only(await loadArchive(createReadStream(dockerTar), store));

    expect(fromLayout.manifestDigest).toBe(index.manifests[0]!.digest);
    expect(fromOci.manifestDigest).toBe(fromLayout.manifestDigest);
    expect(fromOci.layers).toEqual(fromLayout.layers);
    expect(fromDocker.configDigest).toBe(fromLayout.configDigest);
    expect(fromDocker.names).toEqual(["docker.io/library/demo:t"]);
    expect(fromLayout.names).toEqual(["t"]);

    const config = parseImageConfig(await store.read(fromLayout.configDigest));
    expect(config.cmd).toEqual(["sh", "-c", "echo hi"]);
    expect(config.env).toContain("GREETING=hi");
    expect(config.workingDir).toBe("/srv");
    // The docker archive holds uncompressed layers: each is its diff_id.
    expect(fromDocker.layers.map((l) => l.digest)).toEqual(config.diffIds);
    // Its synthesised manifest is stored and names the same blobs.
    const manifest = parseManifest(await store.read(fromDocker.manifestDigest));
    expect(manifest.kind === "manifest" && manifest.config.digest).toBe(fromLayout.configDigest);
    for (const l of [...fromDocker.layers, ...fromOci.layers])
      expect(await store.has(l.digest)).toBe(true);
  });

  it("gives the same manifest digest each time a docker archive is loaded", async () => {
    const first = only(await loadArchive(dockerTar, store));
    const again = only(await loadArchive(dockerTar, store));
    expect(again.manifestDigest).toBe(first.manifestDigest);
  });

  it("refuses a docker archive whose layer is not its config's diff_id", async () => {
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["sh"] },
      rootfs: { type: "layers", diff_ids: [digestOf("the real layer")] },
    });
    const manifest = JSON.stringify([{ Config: "c.json", RepoTags: ["x:y"], Layers: ["l.tar"] }]);
    const bad = await tarOf([
      ["c.json", config],
      ["l.tar", "another layer"],
      ["manifest.json", manifest],
    ]);
    const path = join(work, "bad-layer.tar");
    await writeFile(path, bad);
    await expect(loadArchive(path, store)).rejects.toThrow(DigestMismatchError);
    expect(await temps()).toEqual([]);
  });

  it("refuses an OCI blob whose bytes do not match its name and stores nothing under that name", async () => {
    const claimed = digestOf("claimed");
    const bad = await tarOf([
      [`blobs/sha256/${claimed.slice(7)}`, "other bytes"],
      ["oci-layout", '{"imageLayoutVersion":"1.0.0"}'],
      ["index.json", '{"schemaVersion":2,"manifests":[]}'],
    ]);
    const path = join(work, "bad-blob.tar");
    await writeFile(path, bad);
    await expect(loadArchive(path, store)).rejects.toThrow(DigestMismatchError);
    expect(await store.has(claimed)).toBe(false);
    // Checked on the way in: the lying bytes are not kept under their own digest either.
    expect(await store.has(digestOf("other bytes"))).toBe(false);
    expect(await temps()).toEqual([]);
  });

  it.each([["../escape"], ["a/../../escape"], ["/etc/passwd"]])(
    "refuses an entry named %s",
    async (name) => {
      const path = join(work, "escape.tar");
      await writeFile(path, await tarOf([[name, "x"]]));
      await expect(loadArchive(path, store)).rejects.toThrow(ArchiveInvalidError);
      await expect(loadArchive(path, store)).rejects.toThrow(/outside the archive/);
    },
  );

  it("refuses a truncated archive and leaves no temp file", async () => {
    const whole = await readFile(ociTar);
    const path = join(work, "truncated.tar");
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2) + 100));
    await expect(loadArchive(path, store)).rejects.toThrow(ArchiveInvalidError);
    expect(await temps()).toEqual([]);
  });

  it("refuses a file that is not an archive", async () => {
    const path = join(work, "not.tar");
    await writeFile(path, "this is not a tar file at all ".repeat(40));
    await expect(loadArchive(path, store)).rejects.toThrow(ArchiveInvalidError);
  });

  it("loads a plain rootfs tarball file as a one-layer image with a config naming no command", async () => {
    const path = join(work, "rootfs.tar");
    const bytes = await tarOf([["etc/hostname", "box\n"]]);
    await writeFile(path, bytes);
    const image = only(await loadArchive(path, store));
    expect(image.layers).toEqual([
      { digest: digestOf(bytes), size: bytes.length, mediaType: MediaType.ociLayer },
    ]);
    const config = parseImageConfig(await store.read(image.configDigest));
    expect(config.diffIds).toEqual([digestOf(bytes)]);
    expect(config.cmd).toEqual([]);
    const manifest = parseManifest(await store.read(image.manifestDigest));
    expect(manifest.kind === "manifest" && manifest.layers[0]?.digest).toBe(digestOf(bytes));
    // Only the layer, its config and its manifest were stored: no blob per rootfs file.
    expect(await readdir(join(storeDir, "sha256"))).toHaveLength(3);
  });

  it("refuses a plain tar given as a stream, which cannot be read twice", async () => {
    const stream = Readable.from([await tarOf([["etc/hostname", "box\n"]])]);
    await expect(loadArchive(stream, store)).rejects.toThrow(/neither manifest.json/);
  });
});
