/**
 * Writing a save archive from a real blob store: a layer stored plain and
 * one stored gzipped (as a registry gives it) both land uncompressed under
 * their diff_id, and berth's own load and skopeo read the archive back; a
 * layer that lies about its diff_id cuts the tar off, and a blob removed
 * after it was opened is still written whole.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, readFile, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { execa } from "execa";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DigestMismatchError } from "../../src/errors.js";
import { tempDir } from "../../src/harness/index.js";
import {
  BlobStore,
  loadArchive,
  saveBlobDigests,
  writeImageArchive,
  type Digest,
  type SaveImage,
} from "../../src/images/index.js";
import { tarOf } from "../support/oci-build.js";

let work: string;
let store: BlobStore;
let plain: Buffer;
let inner: Buffer;
let image: SaveImage;

const digest = (bytes: Buffer): Digest =>
  `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

beforeAll(async () => {
  work = await tempDir("berth-image-save-");
  store = new BlobStore(join(work, "blobs"));
  plain = await tarOf([{ name: "bottom.txt", content: "stored plain\n" }]);
  inner = await tarOf([{ name: "top.txt", content: "stored gzipped\n".repeat(1000) }]);
  const plainDigest = await store.put(plain);
  const gzDigest = await store.put(gzipSync(inner));
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["sh"] },
      rootfs: { type: "layers", diff_ids: [plainDigest, digest(inner)] },
    }),
  );
  image = {
    configDigest: await store.put(config),
    layers: [
      { digest: plainDigest, diffId: plainDigest },
      { digest: gzDigest, diffId: digest(inner) },
    ],
    names: ["localhost/saved:v1"],
  };
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function openAll(images: SaveImage[]): Promise<Map<Digest, FileHandle>> {
  const handles = new Map<Digest, FileHandle>();
  for (const d of saveBlobDigests(images)) handles.set(d, await open(store.path(d), "r"));
  return handles;
}

const closeAll = (handles: Map<Digest, FileHandle>) =>
  Promise.all([...handles.values()].map((h) => h.close()));

async function save(images: SaveImage[], file: string): Promise<void> {
  const handles = await openAll(images);
  try {
    await writeImageArchive(images, handles, createWriteStream(file));
  } finally {
    await closeAll(handles);
  }
}

async function filesOf(path: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const tar = extract();
  tar.end(await readFile(path));
  for await (const entry of tar) {
    const parts: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) parts.push(chunk);
    files.set(entry.header.name, Buffer.concat(parts));
  }
  return files;
}

describe("writing a save archive", () => {
  it("writes a gzipped layer inflated, under its diff_id, and a plain one as stored", async () => {
    const file = join(work, "saved.tar");
    await save([image], file);
    const files = await filesOf(file);
    expect(files.get(`blobs/sha256/${image.layers[0]!.diffId.slice(7)}`)?.equals(plain)).toBe(true);
    expect(files.get(`blobs/sha256/${image.layers[1]!.diffId.slice(7)}`)?.equals(inner)).toBe(true);
    // The gzip blob itself is not in the archive: only what the config names.
    expect(files.has(`blobs/sha256/${image.layers[1]!.digest.slice(7)}`)).toBe(false);
  });

  it("is loaded back by berth's own load with the same config and its diff_ids as layers", async () => {
    const file = join(work, "reload.tar");
    await save([image], file);
    const loaded = await loadArchive(file, new BlobStore(join(work, "reload-store")));
    expect(loaded).toHaveLength(1);
    expect(loaded[0]?.configDigest).toBe(image.configDigest);
    expect(loaded[0]?.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.diffId));
    expect(loaded[0]?.names).toEqual(["localhost/saved:v1"]);
  });

  it("is read by skopeo both as a docker-archive and as an OCI archive", async () => {
    const file = join(work, "skopeo.tar");
    await save([image], file);
    for (const source of [`docker-archive:${file}`, `oci-archive:${file}`]) {
      const r = await execa("skopeo", ["inspect", "--config", source], { reject: false });
      expect({ source, code: r.exitCode }).toEqual({ source, code: 0 });
      expect(
        (JSON.parse(String(r.stdout)) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids,
      ).toEqual(image.layers.map((l) => l.diffId));
    }
  });

  it("cuts the tar off with DigestMismatchError when a gzip layer does not inflate to its diff_id", async () => {
    const lying: SaveImage = {
      ...image,
      layers: [image.layers[0]!, { ...image.layers[1]!, diffId: digest(Buffer.from("other")) }],
    };
    const handles = await openAll([lying]);
    const out = createWriteStream(join(work, "lying.tar"));
    try {
      await expect(writeImageArchive([lying], handles, out)).rejects.toBeInstanceOf(
        DigestMismatchError,
      );
    } finally {
      await closeAll(handles);
    }
    expect(out.destroyed).toBe(true);
  });

  it("writes a blob removed after it was opened, from its open handle", async () => {
    const config = Buffer.from(JSON.stringify({ os: "linux", rootfs: { diff_ids: [] } }));
    const doomed: SaveImage = { configDigest: await store.put(config), layers: [], names: [] };
    const handles = await openAll([doomed]);
    await store.remove(doomed.configDigest);
    const file = join(work, "removed.tar");
    try {
      await writeImageArchive([doomed], handles, createWriteStream(file));
    } finally {
      await closeAll(handles);
    }
    expect((await filesOf(file)).get(`blobs/sha256/${doomed.configDigest.slice(7)}`)).toEqual(
      config,
    );
  });

  it("rejects, without an unhandled error, when the reader goes away mid-archive", async () => {
    const handles = await openAll([image]);
    let seen = 0;
    const gone = new Writable({
      write(chunk: Buffer, _enc, done) {
        seen += chunk.byteLength;
        // A client that hangs up after the first bytes.
        if (seen > 1024) this.destroy();
        done();
      },
    });
    try {
      await expect(writeImageArchive([image], handles, gone)).rejects.toThrow();
    } finally {
      await closeAll(handles);
    }
  });
});
