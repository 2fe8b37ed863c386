/**
 * A real consumer of berth's Docker socket: Prometheus (Debian's package,
 * 2.42) with docker_sd_configs discovers a running container there, with its
 * labels, name, network and address, scrapes it over berth's bridge, and
 * forgets it once it is removed. Prometheus reads the socket with the Go
 * docker client: `/_ping`, then `GET /containers/json?filters=…` and
 * `GET /networks` on every refresh.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, tempDir } from "../../src/harness/index.js";
import { startDockerBerth, type DockerBerth } from "../support/docker-socket.js";

/** One target of `/api/v1/targets`, the fields this test reads. */
interface Target {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  health: "up" | "down" | "unknown";
  lastError: string;
}

interface Targets {
  activeTargets: Target[];
  droppedTargets: { discoveredLabels: Record<string, string> }[];
}

/** Every container this test runs carries it, and Prometheus discovers only those. */
const TEST_LABEL = "berth.test=prometheus";
/** Discovery refreshes each second, but Prometheus hands targets to scraping only every 5 s. */
const DEADLINE_MS = 45_000;

let d: DockerBerth;
let scratch: string;
let prometheus: ChildProcess | undefined;
let promLog = "";
let api: string;

beforeAll(async () => {
  const which = await execa("prometheus", ["--version"], { reject: false });
  if (which.exitCode !== 0)
    throw new Error("prometheus is not installed: run scripts/bootstrap.sh (Debian's prometheus)");
  scratch = await tempDir("berth-prometheus-");
  d = await startDockerBerth();
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  const config = join(scratch, "prometheus.yml");
  await writeFile(
    config,
    JSON.stringify({
      global: { scrape_interval: "1s", scrape_timeout: "1s" },
      scrape_configs: [
        {
          job_name: "berth-docker",
          docker_sd_configs: [
            {
              host: `unix://${d.socket}`,
              refresh_interval: "1s",
              filters: [{ name: "label", values: [TEST_LABEL] }],
            },
          ],
          // The container's labels become the target's, as a dashboard would group by them.
          relabel_configs: [
            { action: "labelmap", regex: "__meta_docker_container_label_(.+)" },
            {
              source_labels: ["__meta_docker_container_name"],
              regex: "/(.*)",
              target_label: "container",
            },
          ],
        },
      ],
    }),
  );
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(scratch, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=debug",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  // Only the tail is kept: the debug log grows with every refresh and scrape.
  const keep = (chunk: Buffer) => (promLog = (promLog + chunk.toString()).slice(-8_000));
  prometheus.stdout?.on("data", keep);
  prometheus.stderr?.on("data", keep);
  await poll("Prometheus' API to answer", async () => (await targets()) !== undefined);
}, 60_000);

afterAll(async () => {
  const p = prometheus;
  if (p && p.exitCode === null && p.signalCode === null) {
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const late = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(late);
  }
  await d?.berth.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 60_000);

/** `/api/v1/targets?state=any`, or undefined while Prometheus does not answer. */
async function targets(): Promise<Targets | undefined> {
  try {
    const res = await fetch(`${api}/api/v1/targets?state=any`);
    if (!res.ok) return undefined;
    return ((await res.json()) as { data: Targets }).data;
  } catch {
    return undefined;
  }
}

/**
 * Asks `check` until it answers a value, for at most {@link DEADLINE_MS}; then
 * fails saying what was awaited, with Prometheus' last targets and log.
 */
async function poll<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) {
      const last = await targets();
      throw new Error(
        `waited ${DEADLINE_MS} ms for ${what}; Prometheus' targets: ${JSON.stringify(last)}\n` +
          `Prometheus' log (tail):\n${promLog}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The active target Prometheus discovered for the container `id`, once it has. */
const discovered = async (id: string) =>
  (await targets())?.activeTargets.find(
    (t) => t.discoveredLabels["__meta_docker_container_id"] === id,
  );

/** Runs a container on berth's bridge that serves `/metrics` on 8080, published on a free port. */
async function runServing(name: string): Promise<string> {
  const script =
    "mkdir -p /www && printf 'berth_demo_up 1\\n' > /www/metrics && exec httpd -f -p 8080 -h /www";
  const run = await d.docker(
    "run",
    "-d",
    "--name",
    name,
    "--network",
    "bridge",
    "--label",
    TEST_LABEL,
    "--label",
    "app.kind=demo",
    "-p",
    "8080",
    "busybox",
    "sh",
    "-c",
    script,
  );
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return run.stdout;
}

describe("Prometheus' docker_sd_configs against berth's Docker socket", () => {
  it("discovers a running container with its labels, name, network, address and port", async () => {
    const id = await runServing("prom-web");
    const ip = (
      await d.docker("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", id)
    ).stdout;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const published = (await d.docker("port", id, "8080/tcp")).stdout.split("\n")[0] ?? "";
    const publicPort = /:(\d+)$/.exec(published)?.[1];
    expect(publicPort).toBeDefined();

    const target = await poll(`Prometheus to discover ${id}`, () => discovered(id));
    expect(target.discoveredLabels).toMatchObject({
      __address__: `${ip}:8080`,
      __meta_docker_container_id: id,
      __meta_docker_container_name: "/prom-web",
      __meta_docker_container_network_mode: "bridge",
      __meta_docker_container_label_app_kind: "demo",
      __meta_docker_container_label_berth_test: "prometheus",
      __meta_docker_network_ip: ip,
      __meta_docker_network_name: "bridge",
      __meta_docker_network_scope: "local",
      __meta_docker_port_private: "8080",
      __meta_docker_port_public: publicPort,
    });
    expect(target.discoveredLabels["__meta_docker_network_id"]).toMatch(/^[0-9a-f]{64}$/);
    // The relabeling kept the container's labels and its name without the slash.
    expect(target.labels).toMatchObject({
      app_kind: "demo",
      berth_test: "prometheus",
      container: "prom-web",
      instance: `${ip}:8080`,
    });
  }, 90_000);

  it("scrapes the discovered container over berth's bridge", async () => {
    const id = (await d.docker("inspect", "-f", "{{.Id}}", "prom-web")).stdout;
    const up = await poll("the container's target to be up", async () => {
      const t = await discovered(id);
      return t?.health === "up" ? t : undefined;
    });
    expect(up.lastError).toBe("");
    const res = await fetch(`${api}/api/v1/query?query=berth_demo_up`);
    const body = (await res.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    expect(body.data.result).toEqual([
      expect.objectContaining({
        metric: expect.objectContaining({ container: "prom-web", app_kind: "demo" }) as unknown,
        value: [expect.any(Number), "1"],
      }),
    ]);
  }, 90_000);

  it("forgets a container once it is removed, and does not list a stopped one", async () => {
    const id = (await d.docker("inspect", "-f", "{{.Id}}", "prom-web")).stdout;
    const other = await runServing("prom-other");
    await poll(`Prometheus to discover ${other}`, () => discovered(other));

    expect((await d.docker("rm", "-f", "prom-web")).code).toBe(0);
    expect((await d.docker("stop", "-t", "1", "prom-other")).code).toBe(0);
    const gone = (t: Targets) =>
      [...t.activeTargets, ...t.droppedTargets].every(
        (x) => ![id, other].includes(x.discoveredLabels["__meta_docker_container_id"] ?? ""),
      );
    await poll("Prometheus to forget the removed and the stopped container", async () => {
      const t = await targets();
      return t !== undefined && gone(t);
    });
    expect((await d.docker("rm", "prom-other")).code).toBe(0);
  }, 90_000);
});
