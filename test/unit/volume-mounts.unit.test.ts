/**
 * `-v SRC:CTR[:OPTIONS]` as Podman spells it, parsed without the host: what
 * is a bind, what is a named volume, and every malformed or hostile value
 * refused with INVALID_ARG. Then the OCI mounts a record turns into.
 */
import { describe, expect, it } from "vitest";
import { ociMountsOf } from "../../src/effects/bundle-mounts.js";
import { InvalidArgError } from "../../src/errors.js";
import {
  assertVolumeName,
  isVolumeName,
  MAX_VOLUME_NAME_LENGTH,
  parseMountRequest,
  parseMountRequests,
} from "../../src/volumes/index.js";

describe("parseMountRequest", () => {
  it("reads an absolute source as a bind, rbind and read-write by default", () => {
    expect(parseMountRequest("/srv/www:/usr/share/www")).toEqual({
      type: "bind",
      source: "/srv/www",
      destination: "/usr/share/www",
      readOnly: false,
      recursive: true,
      flags: [],
      ignored: [],
    });
  });

  it("reads a bare word as a named volume, as Podman does", () => {
    expect(parseMountRequest("pgdata:/var/lib/pg:ro")).toMatchObject({
      type: "volume",
      name: "pgdata",
      destination: "/var/lib/pg",
      readOnly: true,
    });
  });

  it("keeps ro, bind and the extra flags, and sets z and Z aside as ignored", () => {
    expect(parseMountRequest("/a:/b:ro,bind,noexec,Z")).toMatchObject({
      readOnly: true,
      recursive: false,
      flags: ["noexec"],
      ignored: ["Z"],
    });
  });

  it("normalizes repeated and trailing slashes and `.` segments on both sides", () => {
    expect(parseMountRequest("//srv/./www/:/data//x/")).toMatchObject({
      source: "/srv/www",
      destination: "/data/x",
    });
  });

  const hostile: [string, RegExp][] = [
    ["relative/x:/x", /must be absolute/],
    ["./x:/x", /must be absolute/],
    ["../x:/x", /must be absolute/],
    ["/etc/../etc:/x", /'\.\.'/],
    ["/tmp:relative", /must be absolute/],
    ["/tmp:/a/../b", /'\.\.'/],
    ["/tmp:/", /over the container's \//],
    ["/tmp:/proc", /kernel's interface/],
    ["/tmp:/proc/x", /kernel's interface/],
    ["/tmp:/sys/fs/cgroup", /kernel's interface/],
    ["/tmp:/x:ro,rw", /contradict/],
    ["/tmp:/x:bind,rbind", /contradict/],
    ["/tmp:/x:ro,ro", /twice/],
    ["/tmp:/x:suid", /unknown option/],
    ["/tmp:/x:", /unknown option/],
    ["/tmp", /SRC:CTR/],
    ["/a:/b:ro:x", /SRC:CTR/],
    [":/x", /source is empty/],
    ["a/b:/x", /must be absolute/],
    [`${"n".repeat(300)}:/x`, /invalid volume name/],
    ["-x:/x", /invalid volume name/],
    ["/tm\0p:/x", /NUL/],
    [`/${"a".repeat(9000)}:/x`, /longer than/],
  ];
  it.each(hostile)("refuses %j with INVALID_ARG", (spec, message) => {
    expect(() => parseMountRequest(spec)).toThrow(InvalidArgError);
    expect(() => parseMountRequest(spec)).toThrow(message);
  });

  it("refuses two mounts on one container path, however spelled", () => {
    expect(() => parseMountRequests(["a:/data", "/tmp:/data/"])).toThrow(/two mounts on \/data/);
    expect(parseMountRequests(["a:/data", "/tmp:/data/sub"])).toHaveLength(2);
  });
});

describe("volume names", () => {
  it("accept Podman's pattern up to the length bound", () => {
    for (const n of ["a", "A.b-c_d", "0", "x".repeat(MAX_VOLUME_NAME_LENGTH)])
      expect(isVolumeName(n)).toBe(true);
  });

  it("refuse separators, dots first, empty and over-long names", () => {
    for (const n of ["", "../x", "a/b", ".x", "_x", "-x", "a b", "a:b", "x".repeat(129), "é"]) {
      expect(isVolumeName(n)).toBe(false);
      expect(() => assertVolumeName(n)).toThrow(InvalidArgError);
    }
  });
});

describe("ociMountsOf", () => {
  it("writes each mount as a bind of its recorded source and options, parents first", () => {
    const mounts = ociMountsOf([
      { type: "bind", source: "/h/cache", destination: "/data/cache", options: ["rbind", "ro"] },
      {
        type: "volume",
        name: "v",
        source: "/root/volumes/v/_data",
        destination: "/data",
        options: ["rbind", "rw", "nosuid", "nodev", "rprivate"],
      },
    ]);
    expect(mounts).toEqual([
      {
        destination: "/data",
        type: "bind",
        source: "/root/volumes/v/_data",
        options: ["rbind", "rw", "nosuid", "nodev", "rprivate"],
      },
      { destination: "/data/cache", type: "bind", source: "/h/cache", options: ["rbind", "ro"] },
    ]);
  });

  it("gives nothing for a record without mounts (a container from before volumes)", () => {
    expect(ociMountsOf(undefined)).toEqual([]);
  });
});
