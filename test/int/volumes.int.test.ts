/**
 * Bind mounts and named volumes through the real daemon, runc and conmon:
 * what a container writes lands where `-v` said, named volumes outlive their
 * containers and are journaled in the `volumes` stream, removal waits for the
 * containers that use them, and hostile `-v` values and names are refused
 * with typed errors before anything is journaled.
 */
import { mkdir, readFile, realpath, stat, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, startBerth, tempDir, type Berth } from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import type { VolumeRecord } from "../../src/volumes/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";

let berth: Berth;
let work: string;
const { api, history, inspect, action } = daemonApi(() => berth.socket);

beforeAll(async () => {
  work = await tempDir("berth-volumes-");
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
}, 120_000);

afterAll(async () => {
  await berth?.stop();
});

const head = async () =>
  (await api().call<{ journal: { seq: number } }>("GET", "/status")).journal.seq;

/** Creates a container with `volumes`, runs it to its end; answers its record and output. */
async function run(volumes: string[], script: string) {
  const record = await api().call<ContainerRecord>("POST", "/containers", {
    image: "busybox",
    command: ["sh", "-c", script],
    volumes,
  });
  await berth.ok("start", record.id);
  const exit = Number((await berth.ok("wait", record.id)).trim());
  return { record, exit, logs: await berth.ok("logs", record.id) };
}

async function volumeEvents(): Promise<CloudEvent[]> {
  const out = await berth.ok(
    "events",
    "--stream=false",
    "--format",
    "json",
    "--filter",
    "type=volume",
  );
  return out
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as CloudEvent);
}

describe("bind mounts", () => {
  it("shows the host what a container wrote, and records exactly what was mounted", async () => {
    const dir = join(work, "bind-rw");
    await mkdir(dir);
    const { record, exit } = await run([`${dir}:/data`], "echo written-inside > /data/out");
    expect(exit).toBe(0);
    expect(await readFile(join(dir, "out"), "utf8")).toBe("written-inside\n");
    const mounted = [
      {
        type: "bind",
        source: await realpath(dir),
        destination: "/data",
        options: ["rbind", "rw", "rprivate"],
      },
    ];
    expect((await inspect(record.id)).mounts).toEqual(mounted);
    const create = (await history(record.id)).find((e) => action(e) === "create");
    expect((create?.data as { mounts?: unknown }).mounts).toEqual(mounted);
  }, 60_000);

  it("refuses a write through a :ro bind, and the host file stays absent", async () => {
    const dir = join(work, "bind-ro");
    await mkdir(dir);
    await writeFile(join(dir, "given"), "from the host\n");
    const { exit, logs } = await run(
      [`${dir}:/data:ro`],
      "cat /data/given; echo nope > /data/out && echo WROTE",
    );
    expect(exit).not.toBe(0);
    expect(logs).toContain("from the host");
    expect(logs).not.toContain("WROTE");
    expect(existsSync(join(dir, "out"))).toBe(false);
  }, 60_000);

  it("binds a single host file where the container asked", async () => {
    const file = join(work, "greeting.conf");
    await writeFile(file, "hello from one file\n");
    const { exit, logs } = await run([`${file}:/etc/greeting.conf:ro`], "cat /etc/greeting.conf");
    expect(exit).toBe(0);
    expect(logs).toContain("hello from one file");
  }, 60_000);

  it("resolves a symlinked source and records the folder it points to, with the link asked for", async () => {
    const target = join(work, "link-target");
    const link = join(work, "link");
    await mkdir(target);
    await symlink(target, link);
    const { record, exit } = await run([`${link}:/data`], "echo via-link > /data/f");
    expect(exit).toBe(0);
    expect(await readFile(join(target, "f"), "utf8")).toBe("via-link\n");
    expect((await inspect(record.id)).mounts?.[0]).toMatchObject({
      source: await realpath(target),
      requestedSource: link,
    });
  }, 60_000);
});

describe("named volumes", () => {
  it("outlive the container that made them and are seen by a second one", async () => {
    const first = await run(["keep:/v"], "echo persisted > /v/f");
    expect(first.exit).toBe(0);
    await berth.ok("rm", first.record.id);
    const volume = await api().call<VolumeRecord>("GET", "/volumes/keep");
    expect(volume.mountpoint).toBe(join(berth.root, "volumes", "keep", "_data"));
    expect((await stat(join(berth.root, "volumes", "keep"))).mode & 0o777).toBe(0o700);
    const mount = (await inspect(first.record.id)).mounts?.[0];
    expect(mount).toEqual({
      type: "volume",
      name: "keep",
      source: volume.mountpoint,
      destination: "/v",
      options: ["rbind", "rw", "nosuid", "nodev", "rprivate"],
    });
    const second = await run(["keep:/w:ro"], "cat /w/f");
    expect(second.exit).toBe(0);
    expect(second.logs).toContain("persisted");
    const created = (await volumeEvents()).filter(
      (e) => e.type === "io.berth.volume.create" && (e.data as { name?: string }).name === "keep",
    );
    expect(created).toHaveLength(1);
    expect(created[0]?.subject).toBe(volume.id);
    expect(created[0]?.data).toMatchObject({ reason: "container", driver: "local" });
  }, 60_000);

  it("refuses removal while a container that is not removed uses it, force or not", async () => {
    await berth.ok("volume", "create", "busy", "--label", "team=ops");
    const record = await api().call<ContainerRecord>("POST", "/containers", {
      image: "busybox",
      command: ["true"],
      volumes: ["busy:/x"],
    });
    const before = await head();
    const refused = await failure(api().call("DELETE", "/volumes/busy"));
    expect(refused.code).toBe("VOLUME_IN_USE");
    expect((await failure(api().call("DELETE", "/volumes/busy?force=1"))).code).toBe(
      "VOLUME_IN_USE",
    );
    const cli = await berth.cli("volume", "rm", "-f", "busy");
    expect(cli.code).toBe(125);
    expect(cli.stderr).toContain("being used");
    expect(await head()).toBe(before);
    await berth.ok("rm", record.id);
    expect((await berth.ok("volume", "rm", "busy")).trim()).toBe("busy");
    expect(existsSync(join(berth.root, "volumes", "busy"))).toBe(false);
    expect((await failure(api().call("GET", "/volumes/busy"))).code).toBe("NO_SUCH_VOLUME");
    const events = (await volumeEvents()).filter(
      (e) => (e.data as { name?: string }).name === "busy",
    );
    expect(events.map((e) => e.type)).toEqual(["io.berth.volume.create", "io.berth.volume.remove"]);
    expect(events[0]?.data).toMatchObject({ labels: { team: "ops" }, reason: "create" });
  }, 60_000);

  it("refuses a second volume of one name", async () => {
    await berth.ok("volume", "create", "twice");
    expect((await failure(api().call("POST", "/volumes", { name: "twice" }))).code).toBe(
      "VOLUME_EXISTS",
    );
  });

  it("prunes only the volumes no container uses", async () => {
    await berth.ok("volume", "create", "unused-1");
    await berth.ok("volume", "create", "unused-2");
    await berth.ok("volume", "create", "used");
    const record = await api().call<ContainerRecord>("POST", "/containers", {
      image: "busybox",
      command: ["true"],
      volumes: ["used:/u"],
    });
    const { removed } = await api().call<{ removed: string[] }>("POST", "/volumes/prune", {});
    expect(removed).toEqual(expect.arrayContaining(["unused-1", "unused-2"]));
    expect(removed).not.toContain("used");
    const names = (await berth.ok("volume", "ls", "-q")).trim().split("\n");
    expect(names).toContain("used");
    expect(names).not.toContain("unused-1");
    expect(existsSync(join(berth.root, "volumes", "unused-1"))).toBe(false);
    await berth.ok("rm", record.id);
  }, 60_000);

  it("are folded again from the journal when the daemon restarts", async () => {
    await berth.ok("volume", "create", "durable");
    const before = JSON.parse(await berth.ok("volume", "ls", "--format", "json")) as VolumeRecord[];
    await berth.kill("SIGKILL");
    await berth.start();
    const after = JSON.parse(await berth.ok("volume", "ls", "--format", "json")) as VolumeRecord[];
    expect(after).toEqual(before);
    expect(after.map((v) => v.name)).toContain("durable");
    // The container fold skips volume events: projections still match, and the chain holds.
    expect(await berth.ok("replay", "--verify")).toContain("projections match the journal");
    await berth.ok("audit", "verify");
  }, 60_000);
});

describe("hostile -v values and volume names", () => {
  const badSpecs = [
    "relative/x:/x",
    "./relative:/x",
    "/etc/../etc:/x",
    "/nonexistent-berth-path:/x",
    "/tmp:relative",
    "/tmp:/proc/x",
    "/tmp:/sys",
    "/tmp:/",
    "/tmp:/a/../b",
    "/tmp:/x:rw,ro",
    "/tmp:/x:exec-anything",
    "/tmp",
    "/tmp:/x:ro:extra",
    "/dev/null:/x",
    "../x:/x",
    `${"a".repeat(300)}:/x`,
  ];

  it("refuses each with INVALID_ARG, journals nothing, and keeps serving", async () => {
    const before = await head();
    for (const spec of badSpecs) {
      const err = await failure(
        api().call("POST", "/containers", { image: "busybox", command: ["true"], volumes: [spec] }),
      );
      expect({ spec, code: err.code }).toEqual({ spec, code: "INVALID_ARG" });
    }
    for (const name of ["../x", "a".repeat(300), "a/b", ".hidden", "-x", ""]) {
      const err = await failure(api().call("POST", "/volumes", { name }));
      expect({ name, code: err.code }).toEqual({ name, code: "INVALID_ARG" });
    }
    for (const path of ["/volumes/..%2Fx", `/volumes/${"a".repeat(300)}`, "/volumes/a%2Fb"]) {
      const err = await failure(api().call("GET", path));
      expect({ path, code: err.code }).toEqual({ path, code: "INVALID_ARG" });
    }
    const flood = Array.from({ length: 65 }, (_, i) => `flood-${i}:/f${i}`);
    const err = await failure(
      api().call("POST", "/containers", { image: "busybox", command: ["true"], volumes: flood }),
    );
    expect(err.code).toBe("INVALID_ARG");
    // A good volume beside a bad bind, or with an image that is missing, makes no volume either.
    const mixed = await failure(
      api().call("POST", "/containers", {
        image: "busybox",
        command: ["true"],
        volumes: ["fresh:/a", "/nonexistent-berth-path:/b"],
      }),
    );
    expect(mixed.code).toBe("INVALID_ARG");
    const noImage = await failure(
      api().call("POST", "/containers", { image: "no-such-image", volumes: ["fresh:/a"] }),
    );
    expect(noImage.code).toBe("NO_SUCH_IMAGE");
    expect(await head()).toBe(before);
    expect(existsSync(join(berth.root, "volumes", "fresh"))).toBe(false);
    expect(existsSync(join(berth.root, "volumes", "x"))).toBe(false);
    expect(existsSync(join(berth.root, "volumes", "flood-0"))).toBe(false);
    await api().call("GET", "/containers");
  }, 60_000);

  it("refuses a bind source inside berth's root, which holds the journal", async () => {
    const err = await failure(
      api().call("POST", "/containers", {
        image: "busybox",
        command: ["true"],
        volumes: [`${berth.root}:/x`],
      }),
    );
    expect(err.code).toBe("INVALID_ARG");
    expect(err.message).toContain("inside berth's root");
    const link = join(work, "to-journal");
    await symlink(join(berth.root, "journal"), link);
    const viaLink = await failure(
      api().call("POST", "/containers", {
        image: "busybox",
        command: ["true"],
        volumes: [`${link}:/x`],
      }),
    );
    expect(viaLink.message).toContain("inside berth's root");
  });

  it("refuses a create with the CLI's -v too, exit 125", async () => {
    const r = await berth.cli("create", "-v", "/etc/../etc:/x", "busybox", "true");
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("..");
  });
});

describe("the CLI", () => {
  it("mounts what the CLI's -v names, and lists volumes as a table and as JSON", async () => {
    const id = (
      await berth.ok("create", "-v", "cli-vol:/c", "--volume", `${work}:/w:ro`, "busybox", "true")
    ).trim();
    const mounts = (await inspect(id)).mounts ?? [];
    expect(mounts.map((m) => [m.type, m.destination, m.options[1]])).toEqual([
      ["volume", "/c", "rw"],
      ["bind", "/w", "ro"],
    ]);
    expect(await berth.ok("volume", "ls")).toMatch(
      /^DRIVER\s+VOLUME NAME\n(.*\n)*local\s+cli-vol$/m,
    );
    const inspected = JSON.parse(await berth.ok("volume", "inspect", "cli-vol")) as VolumeRecord[];
    expect(inspected.map((v) => v.name)).toEqual(["cli-vol"]);
    const missing = await berth.cli("volume", "inspect", "cli-vol", "no-such");
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("no volume with name");
    await berth.ok("rm", id);
  }, 60_000);
});
