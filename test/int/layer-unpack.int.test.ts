/**
 * Layer application (issue 11): layers unpacked by berth and stacked as an
 * overlay show the same tree as umoci's reference unpack; a layer that tries
 * to write outside its folder is refused and leaves nothing anywhere; a
 * failed or interrupted unpack leaves nothing at its target.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, readlink, lstat, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DigestMismatchError,
  InvalidArgError,
  LayerInvalidError,
  LayerUnsafeError,
  PayloadTooLargeError,
  UnsupportedError,
} from "../../src/errors.js";
import { tempDir } from "../../src/harness/index.js";
import { digestOf, sweepLayerTemps, unpackLayer } from "../../src/images/index.js";
import { tarOf, writeOciLayout, type TarEntry } from "../support/oci-build.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Everything about one path that an image fixes, with hard links named by their group. */
interface Node {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: number;
  links?: string[];
  xattrs?: Record<string, string>;
}

/** The tree under `root`, path by path (never following symlinks). */
async function treeOf(root: string): Promise<Record<string, Node>> {
  const out: Record<string, Node> = {};
  const inodes = new Map<number, string[]>();
  async function walk(rel: string): Promise<void> {
    for (const name of await readdir(join(root, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, path));
      const node: Node = {
        mode: st.mode,
        uid: st.uid,
        gid: st.gid,
        mtime: Math.floor(st.mtimeMs / 1000),
      };
      if (st.isFile()) {
        node.size = st.size;
        node.sha256 = sha256(await readFile(join(root, path)));
        inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), path]);
      }
      if (st.isSymbolicLink()) node.target = await readlink(join(root, path));
      if (st.isCharacterDevice() || st.isBlockDevice()) node.rdev = st.rdev;
      out[path] = node;
      if (st.isDirectory()) await walk(path);
    }
  }
  await walk("");
  for (const group of inodes.values())
    if (group.length > 1) for (const p of group) out[p]!.links = [...group].sort();
  const dump = await execa("getfattr", ["-R", "-h", "-d", "-m", "^user\\.", "."], { cwd: root });
  for (const block of dump.stdout.split("\n\n")) {
    const [head, ...lines] = block.trim().split("\n");
    if (!head?.startsWith("# file: ")) continue;
    // getfattr writes unusual bytes of a name as octal escapes.
    const path = head
      .slice("# file: ".length)
      .replace(/^\.\//, "")
      .replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const pairs = lines.map((l): [string, string] => {
      const at = l.indexOf("=");
      return [l.slice(0, at), l.slice(at + 1)];
    });
    out[path]!.xattrs = Object.fromEntries(pairs);
  }
  return out;
}

const day = (d: string) => new Date(`${d}T00:00:00Z`);

/** Layer 1: every kind of entry an image holds. */
const layer1: TarEntry[] = [
  { name: "etc/", type: "directory" },
  { name: "etc/hostname", content: "one\n" },
  { name: "etc/motd", content: "hello\n", pax: { "SCHILY.xattr.user.note": "from the tar" } },
  { name: "etc/odd name=1", content: "x", pax: { "SCHILY.xattr.user.odd": "v" } },
  { name: "bin/", type: "directory", mtime: day("2023-01-02") },
  { name: "bin/tool", content: "#!/bin/sh\necho tool\n", mode: 0o755 },
  { name: "bin/tool-alias", type: "link", linkname: "bin/tool" },
  { name: "bin/su", content: "setuid", mode: 0o4755, mtime: day("2022-03-04") },
  { name: "tmp/", type: "directory", mode: 0o1777 },
  { name: "usr/", type: "directory" },
  { name: "usr/lib/", type: "directory" },
  { name: "usr/lib/libx.so.1", content: "elf" },
  { name: "usr/lib/libx.so", type: "symlink", linkname: "libx.so.1" },
  { name: "lib", type: "symlink", linkname: "usr/lib" },
  { name: "shadow-link", type: "symlink", linkname: "/etc/shadow" },
  { name: "run/", type: "directory" },
  { name: "run/pipe", type: "fifo", mode: 0o620 },
  { name: "dev/", type: "directory" },
  { name: "dev/null2", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 },
  { name: "dev/loop9", type: "block-device", devmajor: 7, devminor: 9, mode: 0o660, gid: 6 },
  { name: "home/", type: "directory" },
  { name: "home/user/", type: "directory", uid: 1000, gid: 1000, mode: 0o700 },
  { name: "home/user/notes", content: "mine", uid: 1000, gid: 1000, mode: 0o600 },
  { name: "opt/", type: "directory" },
  { name: "opt/app/", type: "directory" },
  { name: "opt/app/old1", content: "old" },
  { name: "opt/app/sub/", type: "directory" },
  { name: "opt/app/sub/old2", content: "old" },
  { name: "var/", type: "directory" },
  { name: "var/gone", content: "deleted by layer 2" },
  { name: "var/keep", content: "kept" },
];

/** Layer 2: deletes a file and a folder, makes a folder opaque, replaces and adds files. */
const layer2: TarEntry[] = [
  { name: "var/", type: "directory", mtime: day("2024-06-01") },
  { name: "var/.wh.gone" },
  { name: "home/", type: "directory", mtime: day("2024-06-01") },
  { name: "home/.wh.user" },
  { name: "opt/", type: "directory", mtime: day("2024-06-01") },
  { name: "opt/app/", type: "directory", mtime: day("2024-06-01") },
  { name: "opt/app/.wh..wh..opq" },
  { name: "opt/app/new", content: "new" },
  { name: "etc/", type: "directory", mtime: day("2024-06-01") },
  { name: "etc/hostname", content: "two\n" },
  { name: "srv/", type: "directory", mtime: day("2024-06-01") },
  { name: "srv/added", content: "added", uid: 33, gid: 33 },
];

let work: string;
const mounts: string[] = [];

beforeAll(async () => {
  work = await tempDir("berth-layers-");
});
afterAll(async () => {
  for (const m of mounts.reverse()) await execa("umount", [m], { reject: false });
  await rm(work, { recursive: true, force: true });
});

describe("a multi-layer image unpacked by berth and stacked as an overlay", () => {
  it("shows the same tree, file by file, as umoci's reference unpack", async () => {
    const tars = [await tarOf(layer1), await tarOf(layer2)];
    const layout = join(work, "layout");
    const image = await writeOciLayout(layout, "test", tars);
    const bundle = join(work, "bundle");
    await execa("umoci", ["unpack", "--image", `${layout}:test`, bundle]);

    const layers = join(work, "layers");
    await mkdir(layers);
    const dirs: string[] = [];
    for (const [i, blob] of image.layers.entries()) {
      const dir = join(layers, String(i));
      const got = await unpackLayer(join(layout, "blobs", "sha256", blob.slice(7)), dir);
      expect(got).toEqual({ diffId: image.diffIds[i], size: tars[i]!.byteLength });
      dirs.push(dir);
    }
    const merged = join(work, "merged");
    await mkdir(merged);
    await execa("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${[...dirs].reverse().join(":")}`,
      merged,
    ]);
    mounts.push(merged);

    const expected = await treeOf(join(bundle, "rootfs"));
    const ours = await treeOf(merged);
    // The fixture really exercises what it claims to, in the reference too.
    expect(expected["var/gone"]).toBeUndefined();
    expect(expected["home/user"]).toBeUndefined();
    expect(expected["opt/app/sub"]).toBeUndefined();
    expect(expected["bin/tool"]?.links).toEqual(["bin/tool", "bin/tool-alias"]);
    expect(expected["etc/motd"]?.xattrs).toEqual({ "user.note": '"from the tar"' });
    expect(expected["etc/odd name=1"]?.xattrs).toEqual({ "user.odd": '"v"' });
    expect(ours).toEqual(expected);
  });

  it("writes OCI whiteouts as overlay whiteouts in the layer's own folder", async () => {
    const dir = join(work, "whiteouts");
    await unpackLayer(await tarOf(layer2), dir);
    const gone = await lstat(join(dir, "var", "gone"));
    expect(gone.isCharacterDevice()).toBe(true);
    expect(gone.rdev).toBe(0);
    expect((await lstat(join(dir, "home", "user"))).isCharacterDevice()).toBe(true);
    const opaque = await execa("getfattr", [
      "--only-values",
      "-n",
      "trusted.overlay.opaque",
      join(dir, "opt", "app"),
    ]);
    expect(opaque.stdout).toBe("y");
    expect(await readdir(join(dir, "opt", "app"))).toEqual(["new"]);
  });
});

describe("a layer that reaches outside its folder", () => {
  let parent: string;
  let target: string;
  let sentinel: string;

  beforeEach(async () => {
    parent = await tempDir("berth-escape-");
    target = join(parent, "layer");
    sentinel = join(parent, "sentinel");
    await mkdir(sentinel);
    await writeFile(join(sentinel, "secret"), "untouched");
  });
  afterEach(() => rm(parent, { recursive: true, force: true }));

  /** The sentinel is as it was, and neither the layer nor its temp folder exists. */
  async function expectNothingWritten(): Promise<void> {
    expect(await readdir(parent)).toEqual(["sentinel"]);
    expect(await readdir(sentinel)).toEqual(["secret"]);
    expect(await readFile(join(sentinel, "secret"), "utf8")).toBe("untouched");
    const st = await lstat(join(sentinel, "secret"));
    expect(st.nlink).toBe(1);
    const xattrs = await execa("getfattr", ["-d", "-m", "-", sentinel]);
    expect(xattrs.stdout).toBe("");
  }

  const attacks: [string, (sentinel: string) => TarEntry[]][] = [
    ["a name with ../", () => [{ name: "../sentinel/pwned", content: "x" }]],
    ["a name that climbs back in", () => [{ name: "a/../../sentinel/pwned", content: "x" }]],
    ["an absolute name", (s) => [{ name: `${s}/pwned`, content: "x" }]],
    [
      "a file written through a relative symlink pointing out",
      () => [
        { name: "link", type: "symlink", linkname: "../sentinel" },
        { name: "link/pwned", content: "x" },
      ],
    ],
    [
      "a file written through an absolute symlink",
      (s) => [
        { name: "link", type: "symlink", linkname: s },
        { name: "link/pwned", content: "x" },
      ],
    ],
    [
      "a file that replaces what a symlink points at",
      () => [
        { name: "link", type: "symlink", linkname: "../sentinel" },
        { name: "link/secret", content: "overwritten" },
      ],
    ],
    [
      "a folder replaced by a symlink, then written through",
      () => [
        { name: "a/", type: "directory" },
        { name: "a/ok", content: "x" },
        { name: "a", type: "symlink", linkname: "../sentinel" },
        { name: "a/pwned", content: "x" },
      ],
    ],
    [
      "a hard link to /etc/shadow",
      () => [{ name: "shadow", type: "link", linkname: "/etc/shadow" }],
    ],
    [
      "a hard link to a file outside by ../",
      () => [{ name: "stolen", type: "link", linkname: "../sentinel/secret" }],
    ],
    [
      "a hard link through a symlink",
      () => [
        { name: "link", type: "symlink", linkname: "../sentinel" },
        { name: "stolen", type: "link", linkname: "link/secret" },
      ],
    ],
    ["a whiteout named ../x", () => [{ name: "../sentinel/.wh.secret" }]],
    ["a whiteout named ..", () => [{ name: "a/.wh..." }]],
    [
      "a whiteout through a symlink",
      () => [
        { name: "link", type: "symlink", linkname: "../sentinel" },
        { name: "link/.wh.secret" },
      ],
    ],
    [
      "an opaque marker through a symlink",
      () => [
        { name: "link", type: "symlink", linkname: "../sentinel" },
        { name: "link/.wh..wh..opq" },
      ],
    ],
  ];

  for (const [what, entries] of attacks)
    it(`is refused, and nothing is written anywhere, for ${what}`, async () => {
      const tar = await tarOf([{ name: "ok", content: "fine" }, ...entries(sentinel)]);
      await expect(unpackLayer(tar, target)).rejects.toBeInstanceOf(LayerUnsafeError);
      await expectNothingWritten();
    });

  it("keeps a symlink pointing out as a symlink, never following it", async () => {
    const tar = await tarOf([{ name: "out", type: "symlink", linkname: "../sentinel/secret" }]);
    await unpackLayer(tar, target);
    expect(await readlink(join(target, "out"))).toBe("../sentinel/secret");
    await rm(target, { recursive: true });
    await expectNothingWritten();
  });
});

describe("unpacking a layer", () => {
  let parent: string;
  let target: string;
  beforeEach(async () => {
    parent = await tempDir("berth-unpack-");
    target = join(parent, "layer");
  });
  afterEach(() => rm(parent, { recursive: true, force: true }));

  const simple = () => tarOf([{ name: "a/b", content: "bytes" }]);

  it("gives the same diffID, the sha256 of the uncompressed tar, for gzip and plain layers", async () => {
    const tar = await simple();
    const plain = await unpackLayer(tar, join(parent, "plain"));
    const gzipped = await unpackLayer(gzipSync(tar), join(parent, "gzip"));
    expect(plain).toEqual({ diffId: digestOf(tar), size: tar.byteLength });
    expect(gzipped).toEqual(plain);
    expect(await readFile(join(parent, "gzip", "a", "b"), "utf8")).toBe("bytes");
  });

  it("lets a later entry replace an earlier one at the same name", async () => {
    const tar = await tarOf([
      { name: "a", content: "one" },
      { name: "a", content: "two", mode: 0o600 },
      { name: "d/", type: "directory" },
      { name: "d/x", content: "x" },
      { name: "d", content: "now a file" },
      { name: "s", type: "symlink", linkname: "a" },
      { name: "s", content: "not a link" },
    ]);
    await unpackLayer(tar, target);
    expect(await readFile(join(target, "a"), "utf8")).toBe("two");
    expect((await lstat(join(target, "a"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(target, "d"), "utf8")).toBe("now a file");
    expect((await lstat(join(target, "s"))).isFile()).toBe(true);
  });

  it("reads a layer from a stream as well as from a blob's path", async () => {
    const tar = await simple();
    async function* chunks() {
      for (let i = 0; i < tar.byteLength; i += 100) {
        await Promise.resolve();
        yield tar.subarray(i, i + 100);
      }
    }
    const got = await unpackLayer(chunks(), target);
    expect(got.diffId).toBe(digestOf(tar));
    expect(await readFile(join(target, "a", "b"), "utf8")).toBe("bytes");
  });

  it("refuses a layer whose diffID is not the expected one, leaving nothing", async () => {
    const tar = await simple();
    const err = unpackLayer(tar, target, { diffId: digestOf("another tar") });
    await expect(err).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await readdir(parent)).toEqual([]);
  });

  it("refuses a zstd layer with a typed error, leaving nothing", async () => {
    const zstd = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64)]);
    await expect(unpackLayer(zstd, target)).rejects.toBeInstanceOf(UnsupportedError);
    expect(await readdir(parent)).toEqual([]);
  });

  it("refuses a truncated gzip layer as invalid, leaving nothing", async () => {
    const big = await tarOf([{ name: "f", content: Buffer.alloc(200_000, 7) }]);
    const gz = gzipSync(big);
    await expect(unpackLayer(gz.subarray(0, gz.byteLength >> 1), target)).rejects.toBeInstanceOf(
      LayerInvalidError,
    );
    expect(await readdir(parent)).toEqual([]);
  });

  it("refuses bytes that are not a tar as invalid, leaving nothing", async () => {
    const junk = Buffer.alloc(4096, 0x41);
    await expect(unpackLayer(junk, target)).rejects.toBeInstanceOf(LayerInvalidError);
    expect(await readdir(parent)).toEqual([]);
  });

  it("leaves nothing at the target when aborted midway", async () => {
    const tar = await tarOf(
      Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: Buffer.alloc(10_000, i) })),
    );
    const abort = new AbortController();
    async function* chunks() {
      for (let i = 0; i < tar.byteLength; i += 16_384) {
        await Promise.resolve();
        if (i > tar.byteLength / 2) abort.abort();
        yield tar.subarray(i, i + 16_384);
      }
    }
    await expect(unpackLayer(chunks(), target, { signal: abort.signal })).rejects.toThrow();
    expect(await readdir(parent)).toEqual([]);
  });

  it("stops a layer that inflates beyond its allowed size, leaving nothing", async () => {
    const bomb = gzipSync(await tarOf([{ name: "zeros", content: Buffer.alloc(4 << 20) }]));
    const err = unpackLayer(bomb, target, { maxSize: 1 << 20 });
    await expect(err).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await readdir(parent)).toEqual([]);
  });

  it("sweeps the temp folders a crash left, and only those", async () => {
    await unpackLayer(await simple(), target);
    await mkdir(join(parent, "layer.tmp-0123456789ab"));
    await writeFile(join(parent, "layer.tmp-0123456789ab", "half"), "x");
    expect(await sweepLayerTemps(parent)).toBe(1);
    expect(await readdir(parent)).toEqual(["layer"]);
  });

  it("refuses a target that already exists and leaves it as it was", async () => {
    await mkdir(target);
    await writeFile(join(target, "mine"), "keep");
    await expect(unpackLayer(await simple(), target)).rejects.toBeInstanceOf(InvalidArgError);
    expect(await readdir(target)).toEqual(["mine"]);
    expect(await readdir(parent)).toEqual(["layer"]);
  });
});
