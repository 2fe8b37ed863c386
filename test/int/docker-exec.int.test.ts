/**
 * `docker exec` through berth's Docker socket: the real docker CLI creates
 * an exec, starts it over an upgraded connection and reads its exit code
 * from the exec's inspect, against a real daemon and runtime.
 */
import { request } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startDockerBerth, type DockerBerth } from "../support/docker-socket.js";

let d: DockerBerth;
let dockerSocket: string;
let dockerConfig: string;

beforeAll(async () => {
  d = await startDockerBerth();
  ({ socket: dockerSocket, config: dockerConfig } = d);
}, 60_000);

afterAll(async () => {
  await d?.berth.stop();
});

const docker = (...args: string[]) => d.docker(...args);
const raw = (method: string, path: string, body?: string) => d.raw(method, path, body);

describe("docker exec against berth", () => {
  beforeAll(async () => {
    const run = await docker("run", "-d", "--name", "box", "busybox", "sleep", "600");
    expect(run.code).toBe(0);
  }, 60_000);

  it("prints the command's output and exits 0", async () => {
    const r = await docker("exec", "box", "echo", "hi");
    expect(r).toMatchObject({ code: 0, stdout: "hi", stderr: "" });
  });

  it("exits with the command's exit code and keeps stdout and stderr apart", async () => {
    const r = await docker("exec", "box", "sh", "-c", "echo out; echo err >&2; exit 7");
    expect(r).toMatchObject({ code: 7, stdout: "out", stderr: "err" });
  });

  it("passes the environment and the working directory", async () => {
    const r = await docker("exec", "-e", "A=1", "-w", "/tmp", "box", "sh", "-c", "echo $A; pwd");
    expect(r).toMatchObject({ code: 0, stdout: "1\n/tmp" });
  });

  it("feeds stdin with -i", async () => {
    const r = await execa("docker", ["-H", `unix://${dockerSocket}`, "exec", "-i", "box", "cat"], {
      reject: false,
      env: { DOCKER_CONFIG: dockerConfig },
      input: "typed\n",
      timeout: 30_000,
    });
    expect({ code: r.exitCode, stdout: String(r.stdout) }).toEqual({ code: 0, stdout: "typed" });
  });

  it("runs detached with -d: the command's effect appears while the CLI has returned", async () => {
    const r = await docker("exec", "-d", "box", "sh", "-c", "sleep 0.2; echo done > /tmp/detached");
    expect(r).toMatchObject({ code: 0, stdout: "" });
    let seen = "";
    for (let i = 0; i < 50 && seen !== "done"; i++) {
      await delay(100);
      seen = (await docker("exec", "box", "cat", "/tmp/detached")).stdout;
    }
    expect(seen).toBe("done");
  });

  it("refuses an exec in a stopped container with a clear message", async () => {
    await docker("run", "--name", "halted", "busybox", "true");
    const r = await docker("exec", "halted", "echo", "hi");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is not running/);
    expect(r.stdout).toBe("");
  });

  it("answers 404 with Docker's message for an unknown exec id", async () => {
    const id = "0".repeat(64);
    const inspect = await raw("GET", `/v1.47/exec/${id}/json`);
    expect(inspect.status).toBe(404);
    expect(JSON.parse(inspect.body)).toEqual({ message: `No such exec instance: ${id}` });
    const start = await raw("POST", `/v1.47/exec/${id}/start`, '{"Detach":true}');
    expect(start.status).toBe(404);
  });

  it("inspects an exec before and after its start, and refuses a second start", async () => {
    const created = await raw(
      "POST",
      "/v1.47/containers/box/exec",
      JSON.stringify({ Cmd: ["sh", "-c", "exit 3"], AttachStdout: true }),
    );
    expect(created.status).toBe(201);
    const { Id } = JSON.parse(created.body) as { Id: string };
    expect(Id).toMatch(/^[0-9a-f]{64}$/);
    const before = JSON.parse((await raw("GET", `/v1.47/exec/${Id}/json`)).body) as Record<
      string,
      unknown
    >;
    expect(before).toMatchObject({ ID: Id, Running: false, ExitCode: null });
    const start = await raw("POST", `/v1.47/exec/${Id}/start`, '{"Detach":true}');
    expect(start).toMatchObject({ status: 200, body: "" });
    let after: Record<string, unknown> = {};
    for (let i = 0; i < 50 && after.ExitCode == null; i++) {
      await delay(100);
      after = JSON.parse((await raw("GET", `/v1.47/exec/${Id}/json`)).body) as Record<
        string,
        unknown
      >;
    }
    expect(after).toMatchObject({
      ID: Id,
      Running: false,
      ExitCode: 3,
      ProcessConfig: { entrypoint: "sh", arguments: ["-c", "exit 3"] },
    });
    expect(String(after.ContainerID)).toMatch(/^[0-9a-f]{64}$/);
    expect((await raw("POST", `/v1.47/exec/${Id}/start`, '{"Detach":true}')).status).toBe(409);
  });

  it("refuses a create without a command, and a privileged one, with 400", async () => {
    expect((await raw("POST", "/v1.47/containers/box/exec", "{}")).status).toBe(400);
    const priv = await raw(
      "POST",
      "/v1.47/containers/box/exec",
      JSON.stringify({ Cmd: ["true"], Privileged: true }),
    );
    expect(priv.status).toBe(400);
  });

  it("gives the command a terminal with -t, its output raw", async () => {
    const r = await docker("exec", "-t", "box", "sh", "-c", "test -t 1 && echo tty");
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\r/g, "")).toBe("tty");
  });

  it("streams a start without an upgrade as multiplexed frames, stdout as stream 1", async () => {
    const created = await raw(
      "POST",
      "/v1.47/containers/box/exec",
      JSON.stringify({ Cmd: ["echo", "plain"], AttachStdout: true, AttachStderr: true }),
    );
    const { Id } = JSON.parse(created.body) as { Id: string };
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = request(
        { socketPath: dockerSocket, method: "POST", path: `/v1.47/exec/${Id}/start` },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks)));
        },
      );
      req.on("error", reject);
      req.end('{"Detach":false}');
    });
    expect(body[0]).toBe(1);
    expect(body.readUInt32BE(4)).toBe("plain\n".length);
    expect(body.subarray(8).toString()).toBe("plain\n");
  });

  it("refuses to resize an exec that has not started (409) or does not exist (404)", async () => {
    const created = await raw(
      "POST",
      "/v1.47/containers/box/exec",
      JSON.stringify({ Cmd: ["true"], Tty: true }),
    );
    const { Id } = JSON.parse(created.body) as { Id: string };
    expect((await raw("POST", `/v1.47/exec/${Id}/resize?h=24&w=80`)).status).toBe(409);
    expect((await raw("POST", `/v1.47/exec/${"f".repeat(64)}/resize?h=24&w=80`)).status).toBe(404);
  });

  it("journals the exec as berth's own, with the client docker-api and its User-Agent", async () => {
    await docker("exec", "box", "echo", "journaled");
    const history = JSON.parse(await d.berth.ok("history", "box", "--format", "json")) as {
      type: string;
      requestid?: string;
      data: Record<string, unknown>;
    }[];
    // The accepted request names the client; its exec_create and the session's death follow.
    const request = history.find(
      (e) =>
        e.type.endsWith(".request") &&
        e.data.command === "EXEC_CREATE" &&
        JSON.stringify(e.data.args).includes('"journaled"'),
    );
    expect(request?.data.client).toMatch(/^docker-api:Docker-Client\//);
    const created = history.find(
      (e) => e.type.endsWith(".exec_create") && e.requestid === request?.requestid,
    );
    expect(created?.data.command).toEqual(["echo", "journaled"]);
    expect(
      history.some((e) => e.type.endsWith(".exec_died") && e.data.sessionId === created?.data.id),
    ).toBe(true);
  });
});
