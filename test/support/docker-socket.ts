/**
 * A berth daemon serving the Docker Engine API on a socket in a temporary
 * folder, with busybox imported, and the two ways the tests talk to it: the
 * real docker CLI (with a config folder of its own, so no user setting
 * leaks in) and one raw HTTP request, to see what the CLI hides.
 */
import { request } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { busyboxTar, startBerth, tempDir, type Berth } from "../../src/harness/index.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

export interface DockerBerth {
  berth: Berth;
  /** The Docker API socket. */
  socket: string;
  /** The docker CLI's config folder. */
  config: string;
  docker(...args: string[]): Promise<CliResult>;
  /** A JSON body gets `content-type: application/json`. */
  raw(method: string, path: string, body?: string | Buffer): Promise<RawAnswer>;
}

export async function startDockerBerth(): Promise<DockerBerth> {
  const config = await tempDir("berth-docker-config-");
  const socket = join(await tempDir("berth-docker-sock-"), "docker.sock");
  const berth = await startBerth({ args: ["--docker-socket", socket] });
  await berth.ok("image", "import", busyboxTar(), "busybox");
  return {
    berth,
    socket,
    config,
    async docker(...args) {
      const r = await execa("docker", ["-H", `unix://${socket}`, ...args], {
        reject: false,
        env: { DOCKER_CONFIG: config },
        timeout: 30_000,
      });
      return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    raw: (method, path, body) =>
      new Promise((resolve, reject) => {
        const headers = typeof body === "string" ? { "content-type": "application/json" } : {};
        const req = request({ socketPath: socket, method, path, headers }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          );
        });
        req.on("error", reject);
        req.end(body);
      }),
  };
}
