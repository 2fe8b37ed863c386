/**
 * The name rules for layer entries (issue 11): whatever a tar names, what
 * passes stays inside the layer's folder, and whiteout names are told apart.
 */
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LayerUnsafeError } from "../../src/errors.js";
import { entryComponents, entryRole, xattrAllowed } from "../../src/images/tar-entry-check.js";
import { xattrDump } from "../../src/images/xattr-apply.js";

const ROOT = "/layers/abc";

/** Names built from the pieces that matter: dots, slashes, whiteout prefixes. */
const names = fc
  .array(fc.constantFrom("", ".", "..", "a", "b", ".wh.", ".wh..wh..opq", "/", "//", "x\0"), {
    maxLength: 8,
  })
  .map((parts) => parts.join(""));

describe("a layer entry's name", () => {
  it("either stays inside the layer's folder or is refused as unsafe", () => {
    fc.assert(
      fc.property(fc.oneof(names, fc.string()), (name) => {
        let parts: string[];
        try {
          parts = entryComponents(name);
        } catch (err) {
          expect(err).toBeInstanceOf(LayerUnsafeError);
          return;
        }
        const path = join(ROOT, ...parts);
        expect(path === ROOT || path.startsWith(`${ROOT}/`)).toBe(true);
        expect(parts.every((p) => p !== "" && p !== "." && p !== ".." && !p.includes("/"))).toBe(
          true,
        );
      }),
    );
  });

  it("drops ./ and repeated slashes but keeps every real component", () => {
    expect(entryComponents("./usr//lib/./x")).toEqual(["usr", "lib", "x"]);
    expect(entryComponents("./")).toEqual([]);
  });

  it("is refused when absolute, climbing with .., or holding a NUL byte", () => {
    for (const bad of ["/etc/shadow", "../x", "a/../../x", "a/..", "a\0b"])
      expect(() => entryComponents(bad)).toThrow(LayerUnsafeError);
  });
});

describe("a whiteout name", () => {
  it("deletes the file it names next to it", () => {
    expect(entryRole(["var", ".wh.gone"])).toEqual({ kind: "whiteout", name: "gone" });
  });

  it("makes its folder opaque when it is the opaque marker", () => {
    expect(entryRole(["opt", ".wh..wh..opq"])).toEqual({ kind: "opaque" });
  });

  it("is ignored when it is another reserved .wh..wh. name", () => {
    expect(entryRole([".wh..wh.plnk"])).toEqual({ kind: "reserved" });
  });

  it("is refused when it names no file, . or ..", () => {
    for (const bad of [".wh.", ".wh..", ".wh..."])
      expect(() => entryRole(["a", bad])).toThrow(LayerUnsafeError);
  });

  it("is an ordinary file when it does not start with .wh.", () => {
    expect(entryRole(["a", "x.wh.y"])).toEqual({ kind: "plain" });
  });
});

describe("a layer's extended attributes", () => {
  it("are kept for user, trusted and security names", () => {
    expect(xattrAllowed("user.note", "v")).toBe(true);
    expect(xattrAllowed("security.selinux", "v")).toBe(true);
  });

  it("are dropped when they would steer overlayfs, have another namespace, or were mangled", () => {
    expect(xattrAllowed("trusted.overlay.redirect", "/etc")).toBe(false);
    expect(xattrAllowed("trusted.overlay.opaque", "y")).toBe(false);
    expect(xattrAllowed("system.posix_acl_access", "v")).toBe(false);
    expect(xattrAllowed("user.x\n# file: /etc", "v")).toBe(false);
    expect(xattrAllowed("user.bin", "a\uFFFDb")).toBe(false);
  });

  it("cannot inject another file's record through a file name with a newline", () => {
    const dump = xattrDump([{ path: "/l/a\n# file: /etc/passwd", name: "user.x", value: "1" }]);
    expect(dump.split("\n").filter((l) => l.startsWith("# file:"))).toEqual([
      "# file: /l/a\\012\\043\\040file:\\040/etc/passwd",
    ]);
    expect(dump).toContain("user.x=0x31");
  });
});
