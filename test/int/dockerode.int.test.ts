/**
 * dockerode 5, the Node SDK most Docker tooling in JavaScript is built on,
 * drives berth through `serve --docker-socket`: its own request shapes and
 * status-code checks (it accepts only the codes each endpoint documents), its
 * demultiplexing of log frames, its non-upgraded attach in `run`, and its
 * event stream.
 */
import { PassThrough } from "node:stream";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, startBerth, tempDir, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let docker: Docker;

beforeAll(async () => {
  const socketPath = join(await tempDir("berth-dockerode-"), "docker.sock");
  berth = await startBerth({ args: ["--docker-socket", socketPath] });
  await berth.ok("image", "import", busyboxTar(), "busybox");
  docker = new Docker({ socketPath });
}, 60_000);

afterAll(async () => {
  await berth?.stop();
});

/** Reads a multiplexed log buffer into its stdout and stderr text. */
function demux(frames: Buffer): { out: string; err: string } {
  let out = "";
  let err = "";
  for (let at = 0; at + 8 <= frames.length;) {
    const size = frames.readUInt32BE(at + 4);
    const data = frames.subarray(at + 8, at + 8 + size).toString("utf8");
    if (frames[at] === 2) err += data;
    else out += data;
    at += 8 + size;
  }
  return { out, err };
}

describe("dockerode against berth", () => {
  it("pings and reads the version", async () => {
    expect(String(await docker.ping())).toBe("OK");
    expect(await docker.version()).toMatchObject({ ApiVersion: "1.47", Os: "linux" });
  });

  it("creates, starts and waits for a container, then reads its logs apart and inspects it", async () => {
    const container = await docker.createContainer({
      Image: "busybox",
      name: "sdk",
      Cmd: ["sh", "-c", "echo out; echo err >&2; exit 4"],
      Labels: { team: "sdk" },
    });
    await container.start();
    expect(await container.wait()).toMatchObject({ StatusCode: 4 });
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    expect(demux(logs)).toEqual({ out: "out\n", err: "err\n" });
    const info = await container.inspect();
    expect(info.State).toMatchObject({ Status: "exited", ExitCode: 4, Running: false });
    expect(info.Name).toBe("/sdk");
    expect(info.Config.Labels).toEqual({ team: "sdk" });
    const listed = await docker.listContainers({ all: true, filters: { label: ["team=sdk"] } });
    expect(listed.map((c) => c.Names)).toEqual([["/sdk"]]);
    await container.remove();
  });

  it("runs a container with a terminal the way dockerode's run does (attach without upgrade)", async () => {
    const output = new PassThrough();
    let text = "";
    output.on("data", (c: Buffer) => (text += c.toString("utf8")));
    const [result] = (await docker.run("busybox", ["echo", "hi"], output, {
      name: "sdk-run",
    })) as [{ StatusCode: number }];
    expect(result.StatusCode).toBe(0);
    expect(text.replace(/\r/g, "")).toContain("hi\n");
  });

  it("rejects a missing container with 404 and Docker's message", async () => {
    await expect(docker.getContainer("nosuch").inspect()).rejects.toMatchObject({
      statusCode: 404,
      json: { message: expect.stringMatching(/nosuch/) as unknown },
    });
  });

  it("reads past events from the journal through getEvents with since and until", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const c = await docker.createContainer({ Image: "busybox", name: "sdk-events", Cmd: ["true"] });
    await c.start();
    await c.wait();
    await c.remove();
    const until = Math.floor(Date.now() / 1000) + 1;
    const stream = await docker.getEvents({
      since,
      until,
      filters: { container: ["sdk-events"] },
    });
    let text = "";
    for await (const chunk of stream) text += String(chunk);
    const actions = text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => (JSON.parse(l) as { Action: string }).Action);
    expect(actions).toEqual(["create", "start", "die", "destroy"]);
  });
});
