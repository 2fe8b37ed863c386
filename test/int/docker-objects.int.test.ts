/**
 * The docker CLI's image, volume, network and container-extra commands
 * against berth's Docker socket: the real client, the real daemon and
 * runtime, no Docker daemon.
 */
import { request } from "node:http";
import { join } from "node:path";
import { readFile, stat, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, tempDir } from "../../src/harness/index.js";
import { startDockerBerth, type DockerBerth } from "../support/docker-socket.js";
import { dockerArchiveOf } from "../support/oci-build.js";

let d: DockerBerth;
let dockerSocket: string;
let scratch: string;

beforeAll(async () => {
  scratch = await tempDir("berth-docker-objects-");
  d = await startDockerBerth();
  dockerSocket = d.socket;
}, 60_000);

afterAll(async () => {
  await d?.berth.stop();
});

const docker = (...args: string[]) => d.docker(...args);
const raw = (method: string, path: string) => d.raw(method, path);

const json = <T>(text: string) => JSON.parse(text) as T;

describe("docker image commands against berth", () => {
  it("inspects an image by its short name and by its full name with slashes", async () => {
    const short = await docker("image", "inspect", "busybox");
    expect(short.code).toBe(0);
    const [image] = json<
      { Id: string; RepoTags: string[]; Os: string; RootFS: { Type: string; Layers: string[] } }[]
    >(short.stdout);
    expect(image?.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image?.RepoTags).toContain("localhost/busybox:latest");
    expect(image?.Os).toBe("linux");
    expect(image?.RootFS.Type).toBe("layers");
    expect(image?.RootFS.Layers.length).toBeGreaterThan(0);
    const full = await docker("image", "inspect", "-f", "{{.Id}}", "localhost/busybox:latest");
    expect(full).toMatchObject({ code: 0, stdout: image?.Id });
  });

  it("answers 404 for an image berth does not have", async () => {
    const r = await docker("image", "inspect", "nosuchimage");
    expect(r.code).not.toBe(0);
    expect((await raw("GET", "/images/docker.io/library/nosuchimage/json")).status).toBe(404);
  });

  it("tags an image, then rmi takes off only the new name and the image stays", async () => {
    expect((await docker("tag", "busybox", "mine/box:v1")).code).toBe(0);
    const tags = await docker("image", "inspect", "-f", "{{json .RepoTags}}", "mine/box:v1");
    expect(json<string[]>(tags.stdout)).toEqual(
      expect.arrayContaining(["localhost/busybox:latest", "mine/box:v1"]),
    );
    const rmi = await docker("rmi", "mine/box:v1");
    expect(rmi.code).toBe(0);
    expect(rmi.stdout).toBe("Untagged: mine/box:v1");
    expect((await docker("image", "inspect", "mine/box:v1")).code).not.toBe(0);
    expect((await docker("image", "inspect", "busybox")).code).toBe(0);
  });

  it("removes an image by its last name, answering Untagged then Deleted", async () => {
    expect((await docker("tag", "busybox", "gone:1")).code).toBe(0);
    const id = (await docker("image", "inspect", "-f", "{{.Id}}", "busybox")).stdout;
    // Two names: the first rmi only untags; the image goes with its last name.
    expect((await docker("rmi", "busybox")).stdout).toBe("Untagged: localhost/busybox:latest");
    const rmi = await docker("rmi", "gone:1");
    expect(rmi.stdout.split("\n")).toEqual(["Untagged: gone:1", `Deleted: ${id}`]);
    expect((await docker("image", "inspect", id)).code).not.toBe(0);
    await d.berth.ok("image", "import", busyboxTar(), "busybox");
  });

  it("loads a docker-archive with docker load and names it as the archive does", async () => {
    const { archive } = await dockerArchiveOf(
      [{ name: "hello.txt", content: "hello from a loaded layer\n" }],
      { Cmd: ["cat", "/hello.txt"], Env: ["PATH=/bin"] },
      "loaded:v1",
    );
    const path = join(scratch, "loaded.tar");
    await writeFile(path, archive);
    const r = await docker("load", "-i", path);
    expect(r).toMatchObject({ code: 0, stdout: "Loaded image: loaded:v1" });
    const cmd = await docker("image", "inspect", "-f", "{{json .Config.Cmd}}", "loaded:v1");
    expect(json<string[]>(cmd.stdout)).toEqual(["cat", "/hello.txt"]);
    expect((await docker("rmi", "loaded:v1")).code).toBe(0);
  });

  // The archive itself is checked in docker-save.int.test.ts; here, that save is no longer refused.
  it("saves an image with docker save, which docker load reads back", async () => {
    const path = join(scratch, "img.tar");
    expect(await docker("save", "-o", path, "busybox")).toMatchObject({ code: 0, stderr: "" });
    expect(await docker("load", "-i", path)).toMatchObject({
      code: 0,
      stdout: "Loaded image: localhost/busybox:latest",
    });
  });
});

describe("docker volume commands against berth", () => {
  it("creates, lists, inspects and removes a volume", async () => {
    const created = await docker("volume", "create", "--label", "team=a", "data1");
    expect(created).toMatchObject({ code: 0, stdout: "data1" });
    const ls = await docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}");
    expect(ls.stdout.split("\n")).toContain("local data1");
    const [volume] = json<
      { Name: string; Driver: string; Scope: string; Labels: Record<string, string> }[]
    >((await docker("volume", "inspect", "data1")).stdout);
    expect(volume).toMatchObject({
      Name: "data1",
      Driver: "local",
      Scope: "local",
      Labels: { team: "a" },
    });
    expect(await docker("volume", "rm", "data1")).toMatchObject({ code: 0, stdout: "data1" });
    expect((await docker("volume", "inspect", "data1")).code).not.toBe(0);
  });

  it("refuses to remove a volume a container uses, with a 409", async () => {
    expect((await docker("volume", "create", "held")).code).toBe(0);
    expect(
      (await docker("create", "--name", "holder", "-v", "held:/data", "busybox", "true")).code,
    ).toBe(0);
    expect((await raw("DELETE", "/volumes/held")).status).toBe(409);
    expect((await docker("volume", "rm", "held")).code).not.toBe(0);
    await docker("rm", "holder");
    expect((await docker("volume", "rm", "held")).code).toBe(0);
  });

  it("refuses a volume driver berth does not offer", async () => {
    const r = await docker("volume", "create", "-d", "nfs", "far");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/berth's volumes are local/);
  });
});

describe("docker network commands against berth", () => {
  it("lists bridge, host and none, and shows a running container's address on bridge", async () => {
    const ls = await docker("network", "ls", "--format", "{{.Name}} {{.Driver}}");
    expect(ls.stdout.split("\n").sort()).toEqual(["bridge bridge", "host host", "none null"]);
    // The harness's daemon defaults to no network: this container asks for the bridge.
    const run = await docker(
      "run",
      "-d",
      "--network",
      "bridge",
      "--name",
      "netted",
      "busybox",
      "sleep",
      "300",
    );
    expect(run.stderr).toBe("");
    try {
      const [bridge] = json<
        {
          IPAM: { Config: { Subnet: string; Gateway: string }[] };
          Containers: Record<string, { Name: string; IPv4Address: string }>;
        }[]
      >((await docker("network", "inspect", "bridge")).stdout);
      expect(bridge?.IPAM.Config).toEqual([{ Subnet: "10.89.0.0/24", Gateway: "10.89.0.1" }]);
      const netted = Object.values(bridge?.Containers ?? {}).find((c) => c.Name === "netted");
      expect(netted?.IPv4Address).toMatch(/^10\.89\.0\.\d+\/24$/);
    } finally {
      await docker("rm", "-f", "netted");
    }
  });
});

describe("docker top, stats and export against berth", () => {
  it("shows a running container's processes with docker top", async () => {
    await docker("run", "-d", "--name", "topped", "busybox", "sleep", "300");
    try {
      const r = await docker("top", "topped");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/sleep 300/);
    } finally {
      await docker("rm", "-f", "topped");
    }
  });

  it("prints one stats line with docker stats --no-stream", async () => {
    await docker("run", "-d", "--name", "counted", "busybox", "sleep", "300");
    try {
      const r = await docker(
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDs}} {{.MemUsage}} {{.CPUPerc}}",
        "counted",
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^counted 1 [\d.]+\w?i?B \/ [\d.]+\w?i?B [\d.]+%$/);
    } finally {
      await docker("rm", "-f", "counted");
    }
  });

  it("streams stats as one JSON sample per line when stream is not turned off", async () => {
    await docker("run", "-d", "--name", "streamed", "busybox", "sleep", "300");
    try {
      const lines = await new Promise<string[]>((resolve, reject) => {
        const req = request(
          { socketPath: dockerSocket, method: "GET", path: "/containers/streamed/stats" },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => {
              text += c;
              const done = text.split("\n").filter((l) => l !== "");
              if (text.endsWith("\n") && done.length >= 2) {
                req.destroy();
                resolve(done);
              }
            });
            res.on("error", () => undefined);
          },
        );
        req.on("error", reject);
        req.end();
      });
      for (const line of lines)
        expect(json<{ name: string; pids_stats: { current: number } }>(line)).toMatchObject({
          name: "/streamed",
          pids_stats: { current: 1 },
        });
    } finally {
      await docker("rm", "-f", "streamed");
    }
  });

  it("answers 409 to stats of a container that is not running", async () => {
    await docker("create", "--name", "idle", "busybox", "true");
    try {
      expect((await raw("GET", "/containers/idle/stats?stream=false")).status).toBe(409);
    } finally {
      await docker("rm", "idle");
    }
  });

  it("exports a container's root filesystem as a tar with docker export -o", async () => {
    await docker("run", "--name", "exported", "busybox", "sh", "-c", "echo marked > /marker");
    try {
      const out = join(scratch, "rootfs.tar");
      expect((await docker("export", "-o", out, "exported")).code).toBe(0);
      expect((await stat(out)).size).toBeGreaterThan(1024);
      const list = await execa("tar", ["-tf", out]);
      expect(list.stdout.split("\n")).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(\.\/)?marker$/)]),
      );
      expect((await readFile(out)).includes(Buffer.from("marked\n"))).toBe(true);
    } finally {
      await docker("rm", "exported");
    }
  });

  it("refuses docker rename with a 501 that says why", async () => {
    await docker("create", "--name", "fixed", "busybox", "true");
    try {
      const r = await docker("rename", "fixed", "moved");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/cannot rename/);
      expect((await docker("inspect", "-f", "{{.Name}}", "fixed")).stdout).toBe("/fixed");
    } finally {
      await docker("rm", "fixed");
    }
  });
});
