/**
 * Resolving an image's `User` / a container's `--user` to the numeric ids of
 * the OCI spec, against the container's own /etc/passwd and /etc/group, with
 * runc's rules (issue 11).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  errorFromWire,
  InvalidArgError,
  RootfsFileUnsafeError,
  UserNotFoundError,
} from "../../src/errors.js";
import {
  lookupUser,
  parseGroup,
  parsePasswd,
  parseUserSpec,
  resolveUser,
} from "../../src/effects/index.js";

/** Shaped like an Alpine image's files, plus an `app` user and odd lines. */
const PASSWD = `root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
# a comment:x:7:7
   daemon:x:2:2:daemon:/sbin:/sbin/nologin

nobody:x:65534:65534:nobody:/:/sbin/nologin
app:x:1000:1000::/home/app:/bin/sh
1234:x:4321:4321::/:/bin/sh
app:x:2000:2000:second entry, ignored:/:/bin/sh
`;

const GROUP = `root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
wheel:x:10:root
nogroup:x:65533:
nobody:x:65534:
app:x:1000:
staff:x:50:app,other
dev:x:51:app
dup:x:50:app
`;

let base: string;
let root: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "berth-user-"));
  root = join(base, "rootfs");
  mkdirSync(join(root, "etc"), { recursive: true });
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function files(passwd: string | undefined, group: string | undefined): void {
  if (passwd !== undefined) writeFileSync(join(root, "etc", "passwd"), passwd);
  if (group !== undefined) writeFileSync(join(root, "etc", "group"), group);
}

describe("parsing passwd", () => {
  it("reads name, ids and home, skipping comments, blank and malformed lines", () => {
    const entries = parsePasswd(
      [
        "root:x:0:0:root:/root:/bin/sh",
        "  # comment:x:1:1",
        "",
        "short:x:5",
        "nouid:x::5:::",
        "neg:x:-1:5:::",
        "big:x:2147483648:5:::",
        "word:x:one:5:::",
        ":x:9:9:::",
        "+::::::",
        "-evil:x:0:0:::",
        "nfs:x:2147483647:5\r",
      ].join("\n"),
    );
    expect(entries).toEqual([
      { name: "root", uid: 0, gid: 0, home: "/root" },
      { name: "nfs", uid: 2147483647, gid: 5, home: "" },
    ]);
  });
});

describe("parsing group", () => {
  it("reads name, gid and members, skipping comments, blank and malformed lines", () => {
    const entries = parseGroup(
      ["wheel:x:10:root,,app", "#x:x:1:", "", "bad:x:g:root", "empty:x:3", "nope:x"].join("\n"),
    );
    expect(entries).toEqual([
      { name: "wheel", gid: 10, members: ["root", "app"] },
      { name: "empty", gid: 3, members: [] },
    ]);
  });
});

describe("parsing a user spec", () => {
  it.each([
    ["", {}],
    ["1000", { user: { kind: "id", id: 1000 } }],
    ["app", { user: { kind: "name", name: "app" } }],
    ["app:100", { user: { kind: "name", name: "app" }, group: { kind: "id", id: 100 } }],
    [":staff", { group: { kind: "name", name: "staff" } }],
    ["1000:", { user: { kind: "id", id: 1000 } }],
    ["2147483647", { user: { kind: "id", id: 2147483647 } }],
  ])("reads %j", (spec, parsed) => {
    expect(parseUserSpec(spec)).toEqual(parsed);
  });

  it.each(["-1", "2147483648", "1:99999999999999999999", "a:b:c", "app\n", "ro\0ot"])(
    "refuses %j as invalid",
    (spec) => {
      expect(() => parseUserSpec(spec)).toThrow(InvalidArgError);
    },
  );
});

describe("resolving a user in a rootfs", () => {
  it.each([
    ["", { uid: 0, gid: 0, additionalGids: [0, 1, 2, 10] }],
    ["root", { uid: 0, gid: 0, additionalGids: [0, 1, 2, 10] }],
    ["0", { uid: 0, gid: 0, additionalGids: [0, 1, 2, 10] }],
    ["nobody", { uid: 65534, gid: 65534, additionalGids: [] }],
    ["nobody:nogroup", { uid: 65534, gid: 65533, additionalGids: [] }],
    ["app", { uid: 1000, gid: 1000, additionalGids: [50, 51] }],
    ["1000", { uid: 1000, gid: 1000, additionalGids: [50, 51] }],
    ["app:100", { uid: 1000, gid: 100, additionalGids: [] }],
    ["app:staff", { uid: 1000, gid: 50, additionalGids: [] }],
    ["1000:1000", { uid: 1000, gid: 1000, additionalGids: [] }],
    ["4242", { uid: 4242, gid: 0, additionalGids: [] }],
    ["4242:4343", { uid: 4242, gid: 4343, additionalGids: [] }],
    ["4242:wheel", { uid: 4242, gid: 10, additionalGids: [] }],
    ["1234", { uid: 1234, gid: 0, additionalGids: [] }],
    [":wheel", { uid: 0, gid: 10, additionalGids: [] }],
  ])("gives %j the ids runc would", async (spec, ids) => {
    files(PASSWD, GROUP);
    expect(await resolveUser(root, spec)).toEqual(ids);
  });

  it.each([
    ["ghost", "unable to find user ghost: no matching entries in passwd file"],
    ["app:ghosts", "unable to find group ghosts: no matching entries in group file"],
    ["1000:ghosts", "unable to find group ghosts: no matching entries in group file"],
  ])("refuses %j as not found, with Podman's message", async (spec, message) => {
    files(PASSWD, GROUP);
    const failure = resolveUser(root, spec);
    await expect(failure).rejects.toThrow(UserNotFoundError);
    await expect(failure).rejects.toThrow(message);
  });

  it("keeps the error's class across the wire", () => {
    const err = new UserNotFoundError("unable to find user x: no matching entries in passwd file");
    expect(errorFromWire(err.toJSON())).toBeInstanceOf(UserNotFoundError);
  });

  it("takes numeric ids without passwd or group files, but refuses names", async () => {
    expect(await resolveUser(root, "")).toEqual({ uid: 0, gid: 0, additionalGids: [] });
    expect(await resolveUser(root, "1000:1000")).toEqual({
      uid: 1000,
      gid: 1000,
      additionalGids: [],
    });
    await expect(resolveUser(root, "nobody")).rejects.toThrow(UserNotFoundError);
    await expect(resolveUser(root, "1000:nogroup")).rejects.toThrow(UserNotFoundError);
  });

  it("gives a user found by name its primary gid when the group file is missing", async () => {
    files(PASSWD, undefined);
    expect(await resolveUser(root, "app")).toEqual({ uid: 1000, gid: 1000, additionalGids: [] });
  });

  it("runs as 0:0 with no groups when passwd has no root entry", async () => {
    files("app:x:1000:1000:::\n", GROUP);
    expect(await resolveUser(root, "")).toEqual({ uid: 0, gid: 0, additionalGids: [] });
  });

  it("refuses an id out of range before reading anything", async () => {
    execFileSync("mkfifo", [join(root, "etc", "passwd")]);
    await expect(resolveUser(root, "2147483648")).rejects.toThrow(
      "uids and gids must be in range 0-2147483647",
    );
  });

  it("does not read a host passwd that an image's symlinks point at", async () => {
    mkdirSync(join(base, "host", "etc"), { recursive: true });
    writeFileSync(join(base, "host", "etc", "passwd"), "evil:x:4242:4242:::\n");
    writeFileSync(join(base, "host", "etc", "group"), "evil:x:4242:\n");
    symlinkSync(join(base, "host", "etc", "passwd"), join(root, "etc", "passwd"));
    const climb = `${"../".repeat(20)}${base.slice(1)}/host/etc/group`;
    symlinkSync(climb, join(root, "etc", "group"));
    await expect(resolveUser(root, "evil")).rejects.toThrow(UserNotFoundError);
    await expect(resolveUser(root, "0:evil")).rejects.toThrow(UserNotFoundError);
  });

  it("does not read a host /etc when the image's /etc is a symlink to it", async () => {
    mkdirSync(join(base, "host", "etc"), { recursive: true });
    writeFileSync(join(base, "host", "etc", "passwd"), "evil:x:4242:4242:::\n");
    rmSync(join(root, "etc"), { recursive: true });
    symlinkSync(join(base, "host", "etc"), join(root, "etc"));
    await expect(resolveUser(root, "evil")).rejects.toThrow(UserNotFoundError);
  });

  it("reads the passwd a symlink points at inside the rootfs", async () => {
    mkdirSync(join(root, "usr", "share", "base"), { recursive: true });
    writeFileSync(join(root, "usr", "share", "base", "passwd"), "svc:x:300:301:::\n");
    symlinkSync("/usr/share/base/passwd", join(root, "etc", "passwd"));
    expect(await resolveUser(root, "svc")).toEqual({ uid: 300, gid: 301, additionalGids: [] });
  });

  it("refuses a FIFO group file instead of blocking on it", async () => {
    files(PASSWD, undefined);
    execFileSync("mkfifo", [join(root, "etc", "group")]);
    await expect(resolveUser(root, "1000")).rejects.toThrow(RootfsFileUnsafeError);
  });
});

describe("looking a user up in parsed entries", () => {
  it("lists each supplementary gid once, in group file order", () => {
    const groups = parseGroup("b:x:7:u\na:x:3:u\nc:x:7:u\n");
    const passwd = parsePasswd("u:x:10:20:::\n");
    expect(lookupUser(parseUserSpec("u"), passwd, groups).additionalGids).toEqual([7, 3]);
  });

  it("treats a numeric user as a uid even when a user has that name", () => {
    const passwd = parsePasswd("1000:x:5:5:::\nreal:x:1000:7:::\n");
    expect(lookupUser(parseUserSpec("1000"), passwd, [])).toEqual({
      uid: 1000,
      gid: 7,
      additionalGids: [],
    });
  });
});
