/**
 * Images from archives run as their configuration says, through the real
 * daemon: a `podman save`-style Docker archive and an OCI archive, built by
 * skopeo from one OCI layout whose first layer is the busybox rootfs and whose
 * config has Cmd, Env, WorkingDir and User. The layers they share are
 * unpacked once; the create event pins the image's digests; a full disk fails
 * a load cleanly.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, startBerth, tempDir, type Berth } from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";
import { tarOf, writeOciLayout, type OciLayoutImage } from "../support/oci-build.js";

let berth: Berth;
let work: string;
let built: OciLayoutImage;
let dockerArchive: string;
let ociArchive: string;
const { api, history } = daemonApi(() => berth.socket);

const CMD = ["sh", "-c", 'echo "$GREETING"; pwd; id -u; cat hello'];

beforeAll(async () => {
  work = await tempDir("berth-image-run-");
  const app = await tarOf([
    { name: "srv/", type: "directory" },
    { name: "srv/hello", content: "hello from the second layer\n" },
  ]);
  const layout = join(work, "layout");
  built = await writeOciLayout(layout, "t", [await readFile(busyboxTar()), app], {
    config: {
      Cmd: CMD,
      Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hi from the image"],
      WorkingDir: "/srv",
      User: "nobody",
      Labels: { "org.example.role": "demo" },
    },
  });
  dockerArchive = join(work, "docker.tar");
  ociArchive = join(work, "oci.tar");
  // What `podman save` writes: a docker-archive with a localhost/ name.
  await execa("skopeo", [
    "copy",
    `oci:${layout}:t`,
    `docker-archive:${dockerArchive}:localhost/demo:t`,
  ]);
  await execa("skopeo", [
    "copy",
    `oci:${layout}:t`,
    `oci-archive:${ociArchive}:localhost/demo-oci:v1`,
  ]);
  berth = await startBerth();
}, 120_000);

afterAll(async () => {
  await berth?.stop();
});

/** Loads an archive on the daemon's host with the names it holds (the admin's path). */
const load = (file: string) => api().call("POST", "/images", { path: file, forceLocal: true });

async function runToEnd(
  body: Record<string, unknown>,
): Promise<{ record: ContainerRecord; logs: string }> {
  const record = await api().call<ContainerRecord>("POST", "/containers", body);
  await berth.ok("start", record.id);
  await berth.ok("wait", record.id);
  return { record, logs: await berth.ok("logs", record.id) };
}

describe("images loaded from archives", () => {
  it("runs a podman-save-style docker archive with its Cmd, Env, WorkingDir and User", async () => {
    await load(dockerArchive);
    const { record, logs } = await runToEnd({ image: "localhost/demo:t" });
    expect(logs.split("\n").filter(Boolean)).toEqual([
      "hi from the image",
      "/srv",
      "65534",
      "hello from the second layer",
    ]);
    expect(record.command).toEqual(CMD);
    expect(record.labels).toEqual({ "org.example.role": "demo" });
    expect(record.imagePin).toEqual({
      id: built.config.slice("sha256:".length),
      manifestDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown,
      configDigest: built.config,
      layers: built.diffIds,
    });
    const [create] = await history(record.id);
    expect(create?.data).toMatchObject({
      imagePin: record.imagePin,
      workingDir: "/srv",
      user: "nobody",
    });
  });

  it("runs an OCI archive of the same image, sharing its layers instead of unpacking them again", async () => {
    await load(ociArchive);
    const { logs } = await runToEnd({ image: "localhost/demo-oci:v1" });
    expect(logs).toContain("hi from the image");
    const layers = await readdir(join(berth.root, "layers"));
    expect(layers.sort()).toEqual(built.diffIds.map((d) => d.slice("sha256:".length)).sort());
  });

  it("loads an OCI layout folder (skopeo's oci: output) through the CLI, and runs it by id", async () => {
    const out = await berth.ok("load", "-i", join(work, "layout"));
    // The layout's ref.name is a bare tag ("t"): no name, so the id names it.
    expect(out.trim()).toBe(`Loaded image: ${built.config}`);
    const { logs } = await runToEnd({ image: built.config.slice("sha256:".length, 19) });
    expect(logs).toContain("hello from the second layer");
  });

  it("lets create replace the command, the entrypoint, the environment, the folder and the user", async () => {
    const { logs } = await runToEnd({
      image: "localhost/demo:t",
      entrypoint: ["sh", "-c"],
      command: ['echo "$GREETING $EXTRA"; pwd; id -u'],
      env: ["GREETING=overridden", "EXTRA=added"],
      workingDir: "/tmp",
      user: "0",
    });
    expect(logs.split("\n").filter(Boolean)).toEqual(["overridden added", "/tmp", "0"]);
  });

  it("refuses a user the image does not have, naming it, and leaves the container created but not running", async () => {
    const record = await api().call<ContainerRecord>("POST", "/containers", {
      image: "localhost/demo:t",
      user: "ghost",
    });
    const r = await berth.cli("start", record.id);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unable to find user ghost");
    expect((await api().call<ContainerRecord>("GET", `/containers/${record.id}`)).state).not.toBe(
      "running",
    );
  });

  it("asks for a command when the image has none", async () => {
    await berth.ok("image", "import", busyboxTar(), "plain");
    const err = await failure(api().call("POST", "/containers", { image: "plain" }));
    expect(err.code).toBe("INVALID_ARG");
    expect(err.message).toContain("no command to run");
  });

  it("answers an unknown image with NO_SUCH_IMAGE and a malformed one with a typed error", async () => {
    expect((await failure(api().call("POST", "/containers", { image: "nowhere:1" }))).code).toBe(
      "NO_SUCH_IMAGE",
    );
    for (const image of ["../../etc", "UPPER/case", `x@sha256:${"z".repeat(64)}`]) {
      const err = await failure(api().call("POST", "/containers", { image, command: ["true"] }));
      expect(["NO_SUCH_IMAGE", "INVALID_ARG"]).toContain(err.code);
    }
  });
});

describe("a full disk", () => {
  let small: Berth;
  let mount: string;

  beforeAll(async () => {
    mount = await tempDir("berth-full-");
    await execa("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mount]);
    small = await startBerth({ root: join(mount, "root") });
  });

  afterAll(async () => {
    await small?.stop();
    if (mount) await execa("umount", ["-l", mount], { reject: false });
  });

  it("fails a load with NO_SPACE, leaves no temp file or event, and keeps serving", async () => {
    const big = join(work, "big.tar");
    await writeFile(
      big,
      await tarOf([{ name: "blob", content: Buffer.alloc(8 * 1024 * 1024, 7) }]),
    );
    const r = await small.cli("image", "import", "--force-local", big, "big");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no space left");
    const blobs = await readdir(join(small.root, "blobs", "sha256")).catch(() => [] as string[]);
    expect(blobs.filter((n) => n.startsWith("."))).toEqual([]);
    const events = await small.ok("events", "--stream=false", "--filter", "type=image");
    expect(events.trim()).toBe("");
    expect((await small.ok("ps", "-a")).length).toBeGreaterThan(0);
  });
});
