/**
 * The real docker CLI (the docker 28 client on the PATH; Debian's docker.io
 * on a fresh machine) drives berth through `serve --docker-socket`: the
 * everyday commands, as a user of Docker would type them, against the real
 * runtime. No Docker daemon runs; the client talks to berth alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { request, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { CLI, tempDir, type Berth } from "../../src/harness/index.js";
import { startDockerBerth, type DockerBerth } from "../support/docker-socket.js";

let d: DockerBerth;
let berth: Berth;

beforeAll(async () => {
  d = await startDockerBerth();
  berth = d.berth;
}, 60_000);

afterAll(async () => {
  await d?.berth.stop();
});

const docker = (...args: string[]) => d.docker(...args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const raw = (method: string, path: string, body?: string | Buffer) => d.raw(method, path, body);

describe("the docker CLI against berth", () => {
  it("runs a container with --rm, prints its output, exits 0 and leaves nothing behind", async () => {
    const r = await docker("run", "--rm", "--name", "hello", "busybox", "echo", "hi");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hi");
    expect(r.code).toBe(0);
    expect((await docker("ps", "-a", "--format", "{{.Names}}")).stdout.split("\n")).not.toContain(
      "hello",
    );
  });

  it("exits with the container's exit code", async () => {
    const r = await docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
    expect(r.stdout).toBe("out");
    expect(r.stderr).toBe("err");
    expect(r.code).toBe(3);
  });

  it("runs detached, lists, inspects, stops with a timeout (137), logs and removes", async () => {
    const id = (
      await docker(
        "run",
        "-d",
        "--name",
        "web",
        "busybox",
        "sh",
        "-c",
        "echo ready; exec sleep 300",
      )
    ).stdout;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await docker("ps", "--format", "{{.ID}} {{.Names}} {{.Status}}");
    expect(ps.stdout).toMatch(new RegExp(`^${id.slice(0, 12)} web Up `, "m"));
    expect((await docker("inspect", "-f", "{{.State.Status}} {{.Name}}", "web")).stdout).toBe(
      "running /web",
    );
    const stop = await docker("stop", "-t", "1", "web");
    expect(stop).toMatchObject({ code: 0, stdout: "web" });
    expect((await docker("inspect", "-f", "{{.State.ExitCode}}", "web")).stdout).toBe("137");
    expect((await docker("logs", "web")).stdout).toBe("ready");
    expect((await docker("rm", "web")).code).toBe(0);
    expect((await docker("inspect", "web")).code).not.toBe(0);
  });

  it("removes a running container with rm -f", async () => {
    await docker("run", "-d", "--name", "doomed", "busybox", "sleep", "300");
    expect(await docker("rm", "-f", "doomed")).toMatchObject({ code: 0, stdout: "doomed" });
    expect((await docker("ps", "-a", "--format", "{{.Names}}")).stdout.split("\n")).not.toContain(
      "doomed",
    );
  });

  it("journals what the docker CLI asked, with the client docker-api and its User-Agent", async () => {
    await docker("run", "--name", "traced", "busybox", "true");
    const history = JSON.parse(await berth.ok("history", "traced", "--format", "json")) as {
      type: string;
      data: { meta?: { client?: string } } & Record<string, unknown>;
    }[];
    const clients = history
      .map(
        (e) =>
          (e.data as { meta?: { client?: string } }).meta?.client ??
          (e.data as { client?: string }).client,
      )
      .filter((c): c is string => typeof c === "string");
    expect(clients.some((c) => /^docker-api:Docker-Client\//.test(c))).toBe(true);
  });

  it("replays a container's life with events --since --until, in Docker's actions and order", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await docker("run", "--rm", "--name", "lived", "busybox", "true");
    const stoppedId = (await docker("run", "-d", "--name", "stopped", "busybox", "sleep", "300"))
      .stdout;
    await docker("stop", "-t", "1", "stopped");
    await docker("rm", "stopped");
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const actions = async (name: string) =>
      (
        await docker(
          "events",
          "--since",
          String(since),
          "--until",
          until,
          "--filter",
          `container=${name}`,
          "--format",
          '{{.Action}} {{index .Actor.Attributes "exitCode"}}',
        )
      ).stdout
        .split("\n")
        .map((l) => l.trim());
    expect(await actions("lived")).toEqual(["create", "attach", "start", "die 0", "destroy"]);
    // A stop is kill(15), kill(9) past the timeout, stop, then die, as Docker reports it.
    expect(await actions("stopped")).toEqual([
      "create",
      "start",
      "kill",
      "kill",
      "stop",
      "die 137",
      "destroy",
    ]);
    // Its network (none, in these tests) joined before the start and left after the die.
    const network = await docker(
      ...["events", "--since", String(since), "--until", until],
      ...["--filter", "type=network", "--filter", "network=none"],
      ...["--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}"],
    );
    expect(network.stdout.split("\n").filter((l) => l.endsWith(stoppedId))).toEqual([
      `connect none ${stoppedId}`,
      `disconnect none ${stoppedId}`,
    ]);
  });

  it("prints all of 1,000 events with events --since --until, in order, where dockerd keeps 256", async () => {
    // Whole seconds, as the CLI sends them: wait for the next one so the window holds only these.
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 10));
    const since = String(Math.floor(Date.now() / 1000));
    // Four drivers, each creating and removing 125 containers: 1,000 events, journaled concurrently.
    const drivers = ["a", "b", "c", "d"];
    await Promise.all(
      drivers.map(async (driver) => {
        for (let i = 0; i < 125; i++) {
          const name = `flood-${driver}${i}`;
          const body = JSON.stringify({
            Image: "busybox",
            Cmd: ["true"],
            Labels: { flood: driver },
          });
          expect((await raw("POST", `/containers/create?name=${name}`, body)).status).toBe(201);
          expect((await raw("DELETE", `/containers/${name}`)).status).toBe(204);
        }
      }),
    );
    const until = ((Date.now() + 1_000) / 1000).toFixed(3);
    const r = await docker(
      "events",
      ...["--since", since, "--until", until, "--filter", "label=flood"],
      ...[
        "--format",
        '{{index .Actor.Attributes "flood"}} {{.Actor.Attributes.name}} {{.Action}} {{.TimeNano}}',
      ],
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").map((l) => l.trim().split(" "));
    expect(lines.length).toBe(1_000);
    // In order: each driver's containers as it made them, and the journal's order overall.
    for (const driver of drivers) {
      expect(
        lines.filter(([d]) => d === driver).map(([, name, action]) => `${name} ${action}`),
      ).toEqual(
        Array.from(
          { length: 250 },
          (_, i) => `flood-${driver}${Math.floor(i / 2)} ${i % 2 === 0 ? "create" : "destroy"}`,
        ),
      );
    }
    const nanos = lines.map(([, , , nano]) => BigInt(nano ?? "0"));
    expect(nanos.every((n, i) => i === 0 || n > nanos[i - 1]!)).toBe(true);
  }, 120_000);

  it("refuses a missing container with Docker's 404 message", async () => {
    const r = await docker("stop", "nosuch");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nosuch/);
  });
});

describe("a second daemon and the Docker socket", () => {
  const serve = async (...args: string[]) => {
    const dir = await tempDir("berth-docker-second-");
    const r = await execa(
      "node",
      [CLI, "serve", "--root", join(dir, "root"), "--socket", join(dir, "b.sock"), ...args],
      { reject: false, timeout: 20_000 },
    );
    const made = await readdir(dir);
    await rm(dir, { recursive: true, force: true });
    return { code: r.exitCode, stderr: String(r.stderr), made };
  };

  it("refuses a Docker socket another daemon serves, touching nothing, and the first keeps serving", async () => {
    const r = await serve("--docker-socket", d.socket);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already serves .*--docker-socket/);
    expect(r.made).toEqual([]);
    expect((await raw("GET", "/_ping")).body).toBe("OK");
  });

  it("refuses a Docker socket path that is a file, and leaves the file as it was", async () => {
    const file = join(await tempDir("berth-docker-file-"), "not-a-socket");
    await writeFile(file, "keep me");
    const r = await serve("--docker-socket", file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--docker-socket .* is not a socket/);
    expect(await readFile(file, "utf8")).toBe("keep me");
  });

  it("refuses a Docker socket on the same path as berth's own", async () => {
    const dir = await tempDir("berth-docker-same-");
    const sock = join(dir, "same.sock");
    const r = await execa(
      "node",
      [CLI, "serve", "--root", join(dir, "root"), "--socket", sock, "--docker-socket", sock],
      { reject: false, timeout: 20_000 },
    );
    expect(r.exitCode).not.toBe(0);
    expect(String(r.stderr)).toMatch(/same path as --socket/);
    await rm(dir, { recursive: true, force: true });
  });
});

describe("the Docker socket's protocol", () => {
  it("answers HEAD /_ping with no body and the Api-Version and Ostype headers", async () => {
    const r = await raw("HEAD", "/_ping");
    expect(r.status).toBe(200);
    expect(r.body).toBe("");
    expect(r.headers["api-version"]).toBe("1.47");
    expect(r.headers["ostype"]).toBe("linux");
  });

  it("accepts versions 1.24 to 1.47 and unversioned paths, and refuses others in dockerd's words", async () => {
    expect((await raw("GET", "/v1.24/version")).status).toBe(200);
    expect((await raw("GET", "/version")).status).toBe(200);
    const tooNew = await raw("GET", "/v1.99/version");
    expect(tooNew.status).toBe(400);
    expect(JSON.parse(tooNew.body)).toEqual({
      message: "client version 1.99 is too new. Maximum supported API version is 1.47",
    });
    expect((await raw("GET", "/v1.12/version")).status).toBe(400);
  });

  it("answers an unknown route 404 and a missing container 404, each with a JSON message", async () => {
    const page = await raw("GET", "/nothing/here");
    expect(page.status).toBe(404);
    expect(JSON.parse(page.body)).toHaveProperty("message");
    const missing = await raw("GET", "/v1.47/containers/nosuch/json");
    expect(missing.status).toBe(404);
    expect((JSON.parse(missing.body) as { message: string }).message).toMatch(/nosuch/);
    expect(missing.headers["api-version"]).toBe("1.47");
  });
});

describe("hostile input on the Docker socket", () => {
  it.each([
    ["a malformed JSON body", "POST", "/containers/create", "{not json"],
    ["a body of 2 MiB", "POST", "/containers/create", Buffer.alloc(2 << 20, 0x20)],
    [
      "a create field berth cannot honour",
      "POST",
      "/containers/create",
      JSON.stringify({ Image: "busybox", HostConfig: { CpuQuota: 5000 } }),
    ],
    ["filters that are not JSON", "GET", "/containers/json?filters=%7Bx", undefined],
    [
      "a filter berth does not know",
      "GET",
      "/events?filters=%7B%22nope%22%3A%7B%22x%22%3Atrue%7D%7D&until=1",
      undefined,
    ],
    ["since after until", "GET", "/events?since=20&until=10", undefined],
    ["a bad percent-encoding in an id", "GET", "/containers/%ZZ/json", undefined],
  ])(
    "answers %s with a 400 and a JSON message, and keeps serving",
    async (_what, method, path, body) => {
      const r = await raw(method, path, body);
      expect(r.status).toBe(400);
      expect(typeof (JSON.parse(r.body) as { message?: unknown }).message).toBe("string");
      expect((await raw("GET", "/_ping")).status).toBe(200);
    },
  );

  it("does not reach outside the containers by a path in the id", async () => {
    const r = await raw("GET", "/containers/..%2F..%2Fetc%2Fpasswd/json");
    expect(r.status).toBe(404);
  });

  it("serves 200 event subscribers at once, each getting the event, and lets them all go", async () => {
    const pid = (await execa("pgrep", ["-f", "--", `--root ${berth.root}`])).stdout.split("\n")[0];
    const fds = async () => (await readdir(`/proc/${pid}/fd`)).length;
    const before = await fds();
    const streams = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<IncomingMessage>((resolve, reject) => {
            const req = request(
              {
                socketPath: d.socket,
                path: "/events?filters=%7B%22label%22%3A%5B%22crowd%22%5D%7D",
              },
              resolve,
            );
            req.on("error", reject);
            req.end();
          }),
      ),
    );
    const got = streams.map(
      (res) =>
        new Promise<string>((resolve) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
            if (text.includes("\n")) resolve(text);
          });
        }),
    );
    const body = JSON.stringify({ Image: "busybox", Cmd: ["true"], Labels: { crowd: "1" } });
    expect((await raw("POST", "/containers/create?name=crowd", body)).status).toBe(201);
    const lines = await Promise.all(got);
    expect(lines.map((l) => (JSON.parse(l) as { Action: string }).Action)).toEqual(
      Array.from({ length: 200 }, () => "create"),
    );
    expect(await fds()).toBeGreaterThanOrEqual(200);
    for (const res of streams) res.destroy();
    expect((await raw("DELETE", "/containers/crowd")).status).toBe(204);
    // The daemon closes every subscriber's socket and reader: its descriptors come back down.
    const deadline = Date.now() + 10_000;
    while ((await fds()) > before + 5 && Date.now() < deadline) await sleep(100);
    expect(await fds()).toBeLessThanOrEqual(before + 5);
    expect((await raw("GET", "/_ping")).body).toBe("OK");
  });

  it("creates nothing for a refused create", async () => {
    const before = (await docker("ps", "-aq")).stdout;
    await raw(
      "POST",
      "/containers/create",
      JSON.stringify({ Image: "busybox", HostConfig: { CpuQuota: 5000 } }),
    );
    expect((await docker("ps", "-aq")).stdout).toBe(before);
  });
});
