/**
 * Paths and reads inside an untrusted root filesystem: whatever symlinks an
 * image holds, berth never leaves the rootfs, never blocks on a FIFO and never
 * reads an unbounded file.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RootfsFileUnsafeError } from "../../src/errors.js";
import {
  isInRoot,
  MAX_SYMLINK_HOPS,
  readFileInRoot,
  resolveInRoot,
} from "../../src/effects/index.js";

let base: string;
let root: string;
/** A host file with content that must never come back from a read in `root`. */
let hostSecret: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "berth-inroot-"));
  root = join(base, "rootfs");
  mkdirSync(join(root, "etc"), { recursive: true });
  mkdirSync(join(base, "host"));
  hostSecret = join(base, "host", "secret");
  writeFileSync(hostSecret, "host secret\n");
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

async function read(path: string, maxBytes?: number): Promise<string | undefined> {
  const data = await readFileInRoot(root, path, maxBytes === undefined ? {} : { maxBytes });
  return data?.toString("utf8");
}

describe("resolving a path in a root", () => {
  it("keeps a plain path as written under the root", async () => {
    expect(await resolveInRoot(root, "/etc/passwd")).toBe(join(root, "etc", "passwd"));
    expect(await resolveInRoot(root, "etc//./passwd")).toBe(join(root, "etc", "passwd"));
  });

  it("stops .. at the root, as chroot does", async () => {
    expect(await resolveInRoot(root, "/../../../etc/../../passwd")).toBe(join(root, "passwd"));
  });

  it("restarts an absolute link target at the root", async () => {
    symlinkSync(hostSecret, join(root, "etc", "passwd"));
    expect(await resolveInRoot(root, "/etc/passwd")).toBe(join(root, hostSecret));
  });

  it("clamps a relative link target that climbs past the root", async () => {
    symlinkSync("../../../../../../host/secret", join(root, "etc", "passwd"));
    expect(await resolveInRoot(root, "/etc/passwd")).toBe(join(root, "host", "secret"));
  });

  it("follows a symlinked folder within the root", async () => {
    mkdirSync(join(root, "real-etc"));
    rmSync(join(root, "etc"), { recursive: true });
    symlinkSync("/real-etc", join(root, "etc"));
    expect(await resolveInRoot(root, "/etc/passwd")).toBe(join(root, "real-etc", "passwd"));
  });

  it(`follows a chain of ${MAX_SYMLINK_HOPS} symlinks but refuses one more`, async () => {
    const chain = (length: number, prefix: string) => {
      writeFileSync(join(root, `${prefix}${length}`), "end\n");
      for (let i = 0; i < length; i++)
        symlinkSync(`${prefix}${i + 1}`, join(root, `${prefix}${i}`));
      return `/${prefix}0`;
    };
    expect(await resolveInRoot(root, chain(MAX_SYMLINK_HOPS, "ok"))).toBe(
      join(root, `ok${MAX_SYMLINK_HOPS}`),
    );
    await expect(resolveInRoot(root, chain(MAX_SYMLINK_HOPS + 1, "long"))).rejects.toThrow(
      RootfsFileUnsafeError,
    );
  });

  it("refuses a symlink loop", async () => {
    symlinkSync("b", join(root, "etc", "a"));
    symlinkSync("a", join(root, "etc", "b"));
    await expect(resolveInRoot(root, "/etc/a")).rejects.toThrow(RootfsFileUnsafeError);
  });

  it("always lands inside the root, whatever the links say", async () => {
    const piece = fc.constantFrom("..", ".", "", "etc", "host", "secret", "l", base.slice(1));
    const target = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join("/"));
    await fc.assert(
      fc.asyncProperty(fc.boolean(), target, target, async (absolute, link, path) => {
        const file = join(root, "l");
        rmSync(file, { force: true });
        // An empty target is not a symlink the kernel can hold.
        symlinkSync(`${absolute ? "/" : ""}${link || "."}`, file);
        let resolved: string;
        try {
          resolved = await resolveInRoot(root, path);
        } catch (err) {
          // A link to itself (l -> l, l -> ./l) is a loop; nothing else may fail.
          expect(err).toBeInstanceOf(RootfsFileUnsafeError);
          return;
        }
        expect(isInRoot(root, resolved)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("reading a file in a root", () => {
  it("reads a regular file", async () => {
    writeFileSync(join(root, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n");
    expect(await read("/etc/passwd")).toBe("root:x:0:0::/root:/bin/sh\n");
  });

  it("gives undefined for a missing file or a file below a file", async () => {
    expect(await read("/etc/passwd")).toBeUndefined();
    writeFileSync(join(root, "etc", "passwd"), "x");
    expect(await read("/etc/passwd/more")).toBeUndefined();
  });

  it("never reads the host file an absolute or climbing symlink names", async () => {
    symlinkSync(hostSecret, join(root, "etc", "passwd"));
    symlinkSync("../../../../../../../../host/secret", join(root, "etc", "group"));
    expect(await read("/etc/passwd")).toBeUndefined();
    expect(await read("/etc/group")).toBeUndefined();
    // The same names inside the root are what the container would see, so those are read.
    mkdirSync(join(root, "host"));
    writeFileSync(join(root, "host", "secret"), "in the root\n");
    expect(await read("/etc/group")).toBe("in the root\n");
  });

  it("refuses a FIFO without waiting for a writer", async () => {
    execFileSync("mkfifo", [join(root, "etc", "passwd")]);
    await expect(read("/etc/passwd")).rejects.toThrow(RootfsFileUnsafeError);
  });

  it("refuses a folder", async () => {
    mkdirSync(join(root, "etc", "passwd"));
    await expect(read("/etc/passwd")).rejects.toThrow(/not a regular file/);
  });

  it("refuses a file larger than the limit, and reads one at the limit", async () => {
    writeFileSync(join(root, "etc", "small"), "12345");
    expect(await read("/etc/small", 5)).toBe("12345");
    await expect(read("/etc/small", 4)).rejects.toThrow(RootfsFileUnsafeError);
  });

  it("refuses a huge file by its size, without reading it", async () => {
    const huge = join(root, "etc", "passwd");
    writeFileSync(huge, "");
    truncateSync(huge, 64 * 1024 * 1024 * 1024);
    await expect(read("/etc/passwd")).rejects.toThrow(/more than the 4194304 bytes allowed/);
  });
});
