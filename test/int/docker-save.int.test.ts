/**
 * `docker save` against berth's Docker socket: the real docker 28 CLI, the
 * real daemon and runtime. The archive is read back entry by entry and
 * checked against the image's config, then loaded again by `docker load`.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { request, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../src/harness/index.js";
import { startDockerBerth, type DockerBerth } from "../support/docker-socket.js";
import { dockerArchiveOf } from "../support/oci-build.js";

let d: DockerBerth;
let scratch: string;

beforeAll(async () => {
  scratch = await tempDir("berth-docker-save-");
  d = await startDockerBerth();
}, 60_000);

afterAll(async () => {
  await d?.berth.stop();
});

const docker = (...args: string[]) => d.docker(...args);
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Every regular file of a tar, by name. */
async function entriesOf(path: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const tar = extract();
  createReadStream(path).pipe(tar);
  for await (const entry of tar) {
    const parts: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) parts.push(chunk);
    if (entry.header.type === "file") files.set(entry.header.name, Buffer.concat(parts));
  }
  return files;
}

interface ManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

const jsonOf = <T>(files: Map<string, Buffer>, name: string): T => {
  const bytes = files.get(name);
  if (bytes === undefined) throw new Error(`archive has no ${name}`);
  return JSON.parse(bytes.toString("utf8")) as T;
};

/** Checks that each entry's config and layers are in the archive and hash as the config says. */
function expectConsistent(files: Map<string, Buffer>, entry: ManifestEntry): void {
  const config = files.get(entry.Config);
  expect(config).toBeDefined();
  expect(entry.Config).toBe(`blobs/sha256/${sha256(config!)}`);
  const diffIds = (JSON.parse(config!.toString("utf8")) as { rootfs: { diff_ids: string[] } })
    .rootfs.diff_ids;
  expect(entry.Layers).toHaveLength(diffIds.length);
  entry.Layers.forEach((path, i) => {
    const layer = files.get(path);
    expect(layer, path).toBeDefined();
    expect(`sha256:${sha256(layer!)}`).toBe(diffIds[i]);
  });
}

describe("docker save against berth", () => {
  it("writes a docker-archive whose manifest names busybox and whose layers hash to the config's diff_ids", async () => {
    const file = join(scratch, "busybox.tar");
    const r = await docker("save", "-o", file, "busybox");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const files = await entriesOf(file);
    const manifest = jsonOf<ManifestEntry[]>(files, "manifest.json");
    expect(manifest).toHaveLength(1);
    expect(manifest[0]?.RepoTags).toEqual(["localhost/busybox:latest"]);
    expectConsistent(files, manifest[0]!);
    const id = (await docker("image", "inspect", "-f", "{{.Id}}", "busybox")).stdout;
    expect(manifest[0]?.Config).toBe(`blobs/sha256/${id.replace("sha256:", "")}`);
    // The OCI layout beside it, as docker 25+ writes: its manifest names the same config.
    expect(jsonOf<{ imageLayoutVersion: string }>(files, "oci-layout").imageLayoutVersion).toBe(
      "1.0.0",
    );
    const index = jsonOf<{ manifests: { digest: string; annotations: Record<string, string> }[] }>(
      files,
      "index.json",
    );
    expect(index.manifests[0]?.annotations["io.containerd.image.name"]).toBe(
      "localhost/busybox:latest",
    );
    const oci = jsonOf<{ config: { digest: string } }>(
      files,
      `blobs/sha256/${index.manifests[0]!.digest.replace("sha256:", "")}`,
    );
    expect(oci.config.digest).toBe(id);
  });

  it("answers the save as an application/x-tar stream", async () => {
    const r = await d.raw("GET", "/images/get?names=busybox");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/x-tar");
    const byPath = await d.raw("GET", "/images/localhost/busybox:latest/get");
    expect(byPath.status).toBe(200);
    expect(byPath.body.length).toBe(r.body.length);
  });

  it("lets docker rmi go on while a slow reader holds a save open, and the save still ends whole", async () => {
    const file = join(scratch, "slow.tar");
    const id = (await docker("image", "inspect", "-f", "{{.Id}}", "busybox")).stdout;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path: "/images/get?names=busybox" }, resolve);
      req.on("error", reject);
      req.end();
    });
    expect(response.statusCode).toBe(200);
    // Not read yet: busybox's layer is larger than the socket's buffers, so the save is mid-stream.
    response.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const rmi = await docker("rmi", "busybox");
    expect(rmi.code).toBe(0);
    expect((await docker("image", "inspect", "busybox")).code).not.toBe(0);
    await pipeline(response, createWriteStream(file));
    const files = await entriesOf(file);
    const [entry] = jsonOf<ManifestEntry[]>(files, "manifest.json");
    expectConsistent(files, entry!);
    expect((await docker("load", "-i", file)).code).toBe(0);
    expect((await docker("image", "inspect", "-f", "{{.Id}}", "busybox")).stdout).toBe(id);
  }, 60_000);

  it("brings busybox back with docker load after docker rmi, with the same id, and runs it", async () => {
    const file = join(scratch, "roundtrip.tar");
    const env = { DOCKER_CONFIG: d.config };
    const host = `unix://${d.socket}`;
    // Through the CLI's stdout, as `docker save busybox | docker load` reads it.
    const saved = await execa("sh", ["-c", `docker -H "${host}" save busybox > "${file}"`], {
      env,
      reject: false,
    });
    expect(saved.exitCode).toBe(0);
    const id = (await docker("image", "inspect", "-f", "{{.Id}}", "busybox")).stdout;
    expect((await docker("rmi", "busybox")).code).toBe(0);
    expect((await docker("image", "inspect", "busybox")).code).not.toBe(0);
    const loaded = await execa("docker", ["-H", host, "load"], {
      env,
      inputFile: file,
      reject: false,
    });
    expect(loaded).toMatchObject({ exitCode: 0, stdout: "Loaded image: localhost/busybox:latest" });
    expect((await docker("image", "inspect", "-f", "{{.Id}}", "busybox")).stdout).toBe(id);
    const run = await docker("run", "--rm", "busybox", "echo", "hi");
    expect(run).toMatchObject({ code: 0, stdout: "hi" });
  }, 60_000);

  it("saves two images in one archive, and one image named twice once with both names", async () => {
    const { archive, layer } = await dockerArchiveOf(
      [{ name: "second.txt", content: "the second image\n" }],
      { Cmd: ["cat", "/second.txt"] },
      "second:v2",
    );
    const source = join(scratch, "second-source.tar");
    await writeFile(source, archive);
    expect((await docker("load", "-i", source)).code).toBe(0);
    expect((await docker("tag", "busybox", "again:v1")).code).toBe(0);
    const file = join(scratch, "two.tar");
    const r = await docker("save", "-o", file, "busybox", "second:v2", "again:v1");
    expect(r.code).toBe(0);
    const files = await entriesOf(file);
    const manifest = jsonOf<ManifestEntry[]>(files, "manifest.json");
    expect(manifest.map((m) => m.RepoTags)).toEqual([
      ["localhost/busybox:latest", "again:v1"],
      ["second:v2"],
    ]);
    for (const entry of manifest) expectConsistent(files, entry);
    expect(files.get(manifest[1]!.Layers[0]!)?.equals(layer)).toBe(true);
  });

  it("saves an image named by id without names, as docker does", async () => {
    const id = (await docker("image", "inspect", "-f", "{{.Id}}", "busybox")).stdout;
    const file = join(scratch, "by-id.tar");
    expect((await docker("save", "-o", file, id.slice(7, 19))).code).toBe(0);
    const files = await entriesOf(file);
    const [entry] = jsonOf<ManifestEntry[]>(files, "manifest.json");
    expect(entry?.RepoTags).toBeNull();
    expect(entry?.Config).toBe(`blobs/sha256/${id.slice(7)}`);
    const index = jsonOf<{ manifests: { annotations?: unknown }[] }>(files, "index.json");
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]?.annotations).toBeUndefined();
  });

  it("fails a save of a missing image with dockerd's message, before any byte of tar", async () => {
    const r = await docker("save", "-o", join(scratch, "missing.tar"), "busybox", "nosuch:v9");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("reference does not exist");
    const raw = await d.raw("GET", "/images/get?names=busybox&names=nosuch:v9");
    expect(raw.status).toBe(404);
    expect(JSON.parse(raw.body)).toEqual({ message: "reference does not exist: nosuch:v9" });
  });

  it("answers hostile names with a 400 or a 404 and never a tar", async () => {
    const cases: [string, number][] = [
      ["/images/get?names=../../../../etc/passwd", 404],
      ["/images/get?names=%2Fetc%2Fpasswd", 404],
      ["/images/..%2F..%2F..%2Fetc%2Fpasswd/get", 404],
      ["/images/../../etc/passwd/get", 404],
      ["/images/get?names=blobs%2Fsha256%2F..%2F..", 404],
      [`/images/get?names=${"a".repeat(5000)}`, 400],
      ["/images/get?names=busy%00box", 400],
      ["/images/get?names=", 400],
      ["/images/get", 400],
    ];
    for (const [path, status] of cases) {
      const r = await d.raw("GET", path);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect(r.headers["content-type"]).toBe("application/json");
      expect(typeof (JSON.parse(r.body) as { message: unknown }).message).toBe("string");
    }
  });

  it("refuses a platform the image does not have and accepts its own", async () => {
    const arch = (await docker("image", "inspect", "-f", "{{.Architecture}}", "busybox")).stdout;
    const other = arch === "arm64" ? "amd64" : "arm64";
    const q = (a: string) =>
      `/images/get?names=busybox&platform=${encodeURIComponent(JSON.stringify({ os: "linux", architecture: a }))}`;
    expect((await d.raw("GET", q(other))).status).toBe(404);
    expect((await d.raw("GET", q(arch))).status).toBe(200);
    expect((await d.raw("GET", "/images/get?names=busybox&platform=%7Bnot")).status).toBe(400);
  });
});
