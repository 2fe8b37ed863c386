/**
 * `docker run` of an image berth does not have: create answers 404, the
 * docker CLI pulls through berth (`POST /images/create`, a jsonmessage
 * stream), then runs it. The registry is Debian's docker-registry on a
 * loopback port, filled by skopeo; as dockerd, berth's Docker socket pulls
 * from a loopback registry over plain HTTP.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, startRegistry, tempDir, type Registry } from "../../src/harness/index.js";
import { writeOciLayout } from "../support/oci-build.js";
import { startDockerBerth, type DockerBerth } from "../support/docker-socket.js";

let d: DockerBerth;
let registry: Registry;
let image: string;

beforeAll(async () => {
  registry = await startRegistry();
  const layout = join(await tempDir("berth-docker-pull-"), "layout");
  await writeOciLayout(layout, "t", [await readFile(busyboxTar())], {
    config: { Cmd: ["echo", "from the registry"], Env: ["PATH=/bin"] },
  });
  image = `${registry.host}/demo/hello:1`;
  await execa("skopeo", [
    "copy",
    "--dest-tls-verify=false",
    `oci:${layout}:t`,
    `docker://${image}`,
  ]);
  d = await startDockerBerth();
}, 120_000);

afterAll(async () => {
  await d?.berth.stop();
  await registry?.stop();
});

describe("docker run of an image only a registry has", () => {
  it("pulls it through berth, then runs it with the image's command", async () => {
    const r = await d.docker("run", "--rm", image);
    expect(r.stderr).toContain(`Unable to find image '${image}' locally`);
    expect(r.stdout).toBe("from the registry");
    expect(r.code).toBe(0);
    const listed = await d.docker("images", "--format", "{{.Repository}}:{{.Tag}}");
    expect(listed.stdout.split("\n")).toContain(image);
  });

  it("pulls again without downloading what it has, and journals the pull", async () => {
    const r = await d.docker("pull", image);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Status: /);
    const events = await d.berth.ok(
      "events",
      "--stream=false",
      "--since",
      "10m",
      "--format",
      "json",
    );
    expect(events).toMatch(/io\.berth\.image\.pull/);
  });

  it("fails cleanly for an image the registry does not have", async () => {
    const r = await d.docker("run", "--rm", `${registry.host}/demo/missing:1`);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/missing/);
  });
});
