import { describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import {
  assertImageName,
  containerPaths,
  imagePaths,
  isContainerId,
  layout,
  safeJoin,
} from "../../src/effects/paths.js";

describe("safeJoin", () => {
  it("joins a plain name below the base", () => {
    expect(safeJoin("/var/lib/berth", "abc")).toBe("/var/lib/berth/abc");
  });

  it.each(["../x", "a/../../x", "/x", "", ".", "a/.."])("rejects %j", (name) => {
    expect(() => safeJoin("/var/lib/berth", name)).toThrow(InvalidArgError);
  });
});

describe("names", () => {
  it("accepts image names with an optional tag", () => {
    expect(() => assertImageName("busybox")).not.toThrow();
    expect(() => assertImageName("busy.box_1-x:v1.2")).not.toThrow();
  });

  it.each(["", ".hidden", "a/b", "a:b:c", "a b", "-a", "x".repeat(129)])(
    "rejects image name %j",
    (name) => {
      expect(() => assertImageName(name)).toThrow(InvalidArgError);
    },
  );

  it("rejects container ids with dots, which conmon's exit temp files have", () => {
    expect(isContainerId("a".repeat(64))).toBe(true);
    expect(isContainerId(`${"a".repeat(64)}.Xy12Zq`)).toBe(false);
    expect(isContainerId("../etc")).toBe(false);
  });
});

describe("layout", () => {
  it("puts images and containers under the root", () => {
    const l = layout("/r");
    expect(imagePaths(l, "busybox").rootfs).toBe("/r/images/busybox/rootfs");
    const c = containerPaths(l, "abc");
    expect(c.config).toBe("/r/containers/abc/bundle/config.json");
    expect(c.exitFile).toBe("/r/exits/abc");
  });

  it("maps the tag separator to a character overlay options allow", () => {
    expect(imagePaths(layout("/r"), "busybox:1.36").dir).toBe("/r/images/busybox+1.36");
  });

  it("rejects roots that are relative or would break overlay options", () => {
    expect(() => layout("relative/root")).toThrow(InvalidArgError);
    expect(() => layout("/a,b")).toThrow(InvalidArgError);
    expect(() => layout("/a:b")).toThrow(InvalidArgError);
  });
});
