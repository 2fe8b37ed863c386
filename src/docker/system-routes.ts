/**
 * `/_ping`, `/version` and `/info`: what the docker CLI asks before anything
 * else, and what tools (Traefik, Portainer, docker-gen) poll.
 */
import { arch, cpus, hostname, release, totalmem } from "node:os";
import type { ContainerService } from "../service/index.js";
import { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION } from "./api-version.js";
import { sendDockerJson } from "./docker-io.js";
import type { DockerHandler, DockerRoutes } from "./docker-router.js";

/** Go's names for node's architectures, as dockerd reports them. */
const GO_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };

export function systemRoutes(service: ContainerService, version: string): DockerRoutes {
  const ping: DockerHandler = ({ res, req }) => {
    // HEAD has no body (a body hung Traefik's client); GET says OK as dockerd does.
    res.writeHead(200, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": req.method === "HEAD" ? 0 : 2,
      "cache-control": "no-cache, no-store, must-revalidate",
      pragma: "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : "OK");
    return Promise.resolve();
  };
  const versionBody = () => ({
    Platform: { Name: "berth" },
    Components: [
      {
        Name: "Engine",
        Version: version,
        Details: {
          ApiVersion: DOCKER_API_VERSION,
          MinAPIVersion: DOCKER_MIN_API_VERSION,
          Os: "linux",
          Arch: GO_ARCH[arch()] ?? arch(),
        },
      },
    ],
    Version: version,
    ApiVersion: DOCKER_API_VERSION,
    MinAPIVersion: DOCKER_MIN_API_VERSION,
    GitCommit: "",
    GoVersion: `node ${process.version}`,
    Os: "linux",
    Arch: GO_ARCH[arch()] ?? arch(),
    KernelVersion: release(),
    BuildTime: "",
    Experimental: false,
  });
  return {
    "GET /_ping": ping,
    "HEAD /_ping": ping,
    "GET /version": ({ res }) => Promise.resolve(sendDockerJson(res, 200, versionBody())),
    "GET /info": ({ res }) => {
      const records = service.list(true);
      const count = (states: string[]) => records.filter((r) => states.includes(r.state)).length;
      sendDockerJson(res, 200, {
        ID: hostname(),
        Name: hostname(),
        Containers: records.length,
        ContainersRunning: count(["running"]),
        ContainersPaused: count(["paused"]),
        ContainersStopped: records.length - count(["running", "paused"]),
        Images: service.images.list().length,
        Driver: "overlay",
        OperatingSystem: "berth",
        OSType: "linux",
        Architecture: arch(),
        KernelVersion: release(),
        NCPU: cpus().length,
        MemTotal: totalmem(),
        ServerVersion: version,
        Swarm: { LocalNodeState: "inactive", ControlAvailable: false },
        Runtimes: { runc: { path: "runc" } },
        DefaultRuntime: "runc",
        SecurityOptions: ["name=seccomp,profile=builtin"],
      });
      return Promise.resolve();
    },
  };
}
