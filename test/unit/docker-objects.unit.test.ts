import { describe, expect, it } from "vitest";
import { dockerStats, dockerTop } from "../../src/docker/container-extra-routes.js";
import { matchDocker, type DockerRoutes } from "../../src/docker/docker-router.js";
import { dockerRemoved, familiarName } from "../../src/docker/image-json.js";
import { loopbackRegistry, tagName } from "../../src/docker/image-routes.js";
import { findNetwork, networkId } from "../../src/docker/network-routes.js";
import { volumeCreateBody, volumeFilter } from "../../src/docker/volume-routes.js";
import { InvalidArgError } from "../../src/errors.js";

const handler = (name: string) => Object.assign(() => Promise.resolve(), { route: name });
const routes: DockerRoutes = {
  "GET /images/json": handler("list"),
  "GET /images/{id}/json": handler("inspect"),
  "DELETE /images/{id}": handler("rmi"),
  "POST /images/{id}/tag": handler("tag"),
  "GET /containers/{id}/json": handler("ctr"),
  "GET /volumes/{id}": handler("volume"),
};
const route = (method: string, path: string) => {
  const found = matchDocker(routes, method, path);
  return found && { route: (found.handler as unknown as { route: string }).route, id: found.id };
};

describe("the Docker router", () => {
  it("takes every segment between /images/ and the last word as the image name", () => {
    expect(route("GET", "/images/docker.io/library/busybox/json")).toEqual({
      route: "inspect",
      id: "docker.io/library/busybox",
    });
    expect(route("POST", "/images/localhost:5000/a/b:v1/tag")).toEqual({
      route: "tag",
      id: "localhost:5000/a/b:v1",
    });
  });

  it("takes every segment after /images/ as the name of a DELETE", () => {
    expect(route("DELETE", "/images/docker.io/library/busybox:latest")).toEqual({
      route: "rmi",
      id: "docker.io/library/busybox:latest",
    });
  });

  it("decodes a percent-encoded image name", () => {
    expect(route("GET", "/images/a%2Fb/json")).toEqual({ route: "inspect", id: "a/b" });
  });

  it("prefers an exact route over an image name", () => {
    expect(route("GET", "/images/json")).toEqual({ route: "list", id: "" });
  });

  it("keeps a container's id to the third segment", () => {
    expect(route("GET", "/containers/web/json")).toEqual({ route: "ctr", id: "web" });
    expect(route("GET", "/containers/a/b/json")).toBeUndefined();
    expect(route("GET", "/volumes/data")).toEqual({ route: "volume", id: "data" });
  });

  it("finds nothing for an image path no route has", () => {
    expect(route("GET", "/images/busybox")).toBeUndefined();
    expect(route("POST", "/images/busybox/push")).toBeUndefined();
  });
});

describe("Docker's image shapes", () => {
  it("writes Docker Hub names in their familiar form and leaves other registries alone", () => {
    expect(familiarName("docker.io/library/busybox:latest")).toBe("busybox:latest");
    expect(familiarName("docker.io/me/app:1")).toBe("me/app:1");
    expect(familiarName("localhost/busybox:latest")).toBe("localhost/busybox:latest");
    expect(familiarName("quay.io/x/y:z")).toBe("quay.io/x/y:z");
  });

  it("answers a removal as Untagged entries, then Deleted when the image went", () => {
    expect(
      dockerRemoved({ untagged: ["docker.io/library/a:1", "b:2"], deleted: "f".repeat(64) }),
    ).toEqual([{ Untagged: "a:1" }, { Untagged: "b:2" }, { Deleted: `sha256:${"f".repeat(64)}` }]);
    expect(dockerRemoved({ untagged: ["localhost/a:1"] })).toEqual([{ Untagged: "localhost/a:1" }]);
  });

  it("joins repo and tag as docker tag sends them, a name without a registry being Docker Hub's", () => {
    const url = (q: string) => new URL(`http://docker/images/x/tag?${q}`);
    expect(tagName(url("repo=docker.io/library/a&tag=v1"))).toBe("docker.io/library/a:v1");
    expect(tagName(url("repo=a"))).toBe("docker.io/library/a:latest");
    expect(tagName(url("repo=mine/box&tag=v1"))).toBe("docker.io/mine/box:v1");
    expect(tagName(url("repo=docker.io/mine/box&tag=v1"))).toBe("docker.io/mine/box:v1");
    expect(tagName(url("repo=localhost:5000/a&tag=v1"))).toBe("localhost:5000/a:v1");
  });

  it("refuses a tag that is not one", () => {
    const url = (q: string) => new URL(`http://docker/images/x/tag?${q}`);
    expect(() => tagName(url("repo=Upper&tag=v1"))).toThrow(InvalidArgError);
    expect(() => tagName(url("tag=v1"))).toThrow(InvalidArgError);
    expect(() => tagName(url("repo=a&tag=x/y"))).toThrow(InvalidArgError);
  });
});

describe("Docker's volume create body", () => {
  it("takes Name and Labels, and a local or empty driver with no options", () => {
    expect(
      volumeCreateBody({ Name: "v", Labels: { a: "b" }, Driver: "local", DriverOpts: {} }),
    ).toEqual({ name: "v", labels: { a: "b" } });
    expect(volumeCreateBody({ Name: "", Driver: "" })).toEqual({});
  });

  it("refuses another driver, driver options, and fields berth does not take", () => {
    expect(() => volumeCreateBody({ Driver: "nfs" })).toThrow(/local/);
    expect(() => volumeCreateBody({ DriverOpts: { type: "tmpfs" } })).toThrow(/DriverOpts/);
    expect(() => volumeCreateBody({ Name: "v", Size: 1 })).toThrow(/Size/);
    expect(() => volumeCreateBody({ Labels: { a: 1 } })).toThrow(InvalidArgError);
  });

  it("filters the list by name substring and by label key or key=value", () => {
    const v = (name: string, labels: Record<string, string>) =>
      ({ name, labels }) as Parameters<ReturnType<typeof volumeFilter>>[0];
    const byName = volumeFilter(JSON.stringify({ name: { dat: true } }));
    expect(byName(v("data1", {}))).toBe(true);
    expect(byName(v("other", {}))).toBe(false);
    const byLabel = volumeFilter(JSON.stringify({ label: ["team=a"] }));
    expect(byLabel(v("x", { team: "a" }))).toBe(true);
    expect(byLabel(v("x", { team: "b" }))).toBe(false);
    expect(() => volumeFilter(JSON.stringify({ dangling: ["true"] }))).toThrow(InvalidArgError);
  });
});

describe("Docker's networks", () => {
  it("finds a built-in network by name, full id or id prefix, and nothing else", () => {
    expect(findNetwork("bridge")).toBe("bridge");
    expect(findNetwork(networkId("host"))).toBe("host");
    expect(findNetwork(networkId("none").slice(0, 12))).toBe("none");
    expect(findNetwork("mynet")).toBeUndefined();
  });
});

describe("Docker's top and stats shapes", () => {
  it("answers top as Titles and Processes", () => {
    expect(dockerTop({ headers: ["PID", "CMD"], processes: [["1", "sleep 300"]] })).toEqual({
      Titles: ["PID", "CMD"],
      Processes: [["1", "sleep 300"]],
    });
  });

  it("gives counters from which the docker CLI's formula computes berth's CPU percent", () => {
    const s = dockerStats(
      {
        id: "c".repeat(64),
        name: "web",
        cpuPercent: 37.5,
        memUsage: 1000,
        memLimit: 4000,
        memPercent: 25,
        netInput: 1,
        netOutput: 2,
        blockInput: 3,
        blockOutput: 4,
        pids: 2,
      },
      Date.parse("2026-01-01T00:00:00Z"),
    );
    const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
    const systemDelta = s.cpu_stats.system_cpu_usage - s.precpu_stats.system_cpu_usage;
    expect((cpuDelta / systemDelta) * s.cpu_stats.online_cpus * 100).toBeCloseTo(37.5, 5);
    expect(s).toMatchObject({
      name: "/web",
      read: "2026-01-01T00:00:00.000Z",
      memory_stats: { usage: 1000, limit: 4000 },
      pids_stats: { current: 2 },
      networks: { eth0: { rx_bytes: 1, tx_bytes: 2 } },
    });
  });
});

describe("a loopback registry, pulled over plain HTTP as dockerd does", () => {
  it.each([
    ["127.0.0.1:5000/demo/hello:1", true],
    ["127.1.2.3/x:1", true],
    ["localhost:5000/x", true],
    ["[::1]:5000/x", true],
    ["busybox", false],
    ["library/busybox:latest", false],
    ["docker.io/library/busybox", false],
    ["128.0.0.1:5000/x", false],
    ["127.0.0.1.example.com/x", false],
  ])("%s: %s", (reference, loopback) => {
    expect(loopbackRegistry(reference)).toBe(loopback);
  });
});
