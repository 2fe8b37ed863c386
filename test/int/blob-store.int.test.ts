/**
 * The content-addressed blob store (issue 11): a blob is stored under its
 * digest only when its bytes match, and nothing is left half-written.
 */
import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DigestMismatchError } from "../../src/errors.js";
import { tempDir } from "../../src/harness/index.js";
import { BlobStore, digestOf, parseDigest } from "../../src/images/index.js";

let dir: string;
let store: BlobStore;

beforeEach(async () => {
  dir = await tempDir("berth-blobs-");
  store = new BlobStore(dir);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const files = () => readdir(join(dir, "sha256"));

async function* chunks(...parts: string[]) {
  for (const p of parts) {
    await Promise.resolve();
    yield Buffer.from(p);
  }
}

describe("the blob store", () => {
  it("stores streamed bytes under their sha256 digest and reads them back", async () => {
    const d = await store.put(chunks("hello ", "world"));
    expect(d).toBe(digestOf("hello world"));
    expect(await store.has(d)).toBe(true);
    expect((await store.read(d)).toString()).toBe("hello world");
    expect(await files()).toEqual([d.slice(7)]);
  });

  it("refuses bytes whose digest is not the announced one and keeps no file", async () => {
    const claimed = digestOf("something else");
    await expect(store.put(chunks("hello"), { digest: claimed })).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    expect(await store.has(claimed)).toBe(false);
    expect(await files()).toEqual([]);
  });

  it("refuses bytes longer or shorter than the announced size and keeps no file", async () => {
    const d = digestOf("hello");
    await expect(store.put(chunks("hello"), { digest: d, size: 4 })).rejects.toThrow(
      /larger than its 4 bytes/,
    );
    await expect(store.put(chunks("hello"), { digest: d, size: 6 })).rejects.toThrow(
      /is 5 bytes, not 6/,
    );
    expect(await files()).toEqual([]);
  });

  it("leaves nothing under a digest name when the source fails half-way", async () => {
    async function* broken() {
      yield Buffer.from("first half");
      await Promise.resolve();
      throw new Error("connection reset");
    }
    await expect(store.put(broken())).rejects.toThrow("connection reset");
    expect(await files()).toEqual([]);
  });

  it("sweeps temp files a crash left behind", async () => {
    await store.put(chunks("kept"));
    await writeFile(join(dir, "sha256", ".tmp-deadbeef"), "half");
    expect(await store.sweep()).toBe(1);
    expect(await files()).toEqual([digestOf("kept").slice(7)]);
  });

  it("parses only sha256 digests with 64 lowercase hex digits", () => {
    expect(parseDigest(digestOf("x"))).toBe(digestOf("x"));
    for (const bad of ["sha256:abc", "md5:" + "a".repeat(64), "sha256:" + "A".repeat(64), 7])
      expect(() => parseDigest(bad)).toThrow(/invalid digest/);
  });
});
