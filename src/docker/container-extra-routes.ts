/**
 * The container endpoints beyond the lifecycle: `top`, one `stats` sample,
 * the rootfs `export`, and `rename`, which berth refuses. Each is berth's own
 * verb (the operation table's `top` and `stats`, the service's export), in
 * Docker's shapes.
 */
import { exportRoute, operationTable, type ApiDeps } from "../api/index.js";
import { InvalidArgError, UnsupportedError } from "../errors.js";
import { SAMPLE_MS, type ContainerStats, type TopResult } from "../service/index.js";
import { queryFlag, sendDockerJson } from "./docker-io.js";
import type { DockerRoutes } from "./docker-router.js";
import { liveRecord } from "./container-routes.js";

/** `GET /containers/{id}/top` (moby `container.TopResponse`). */
export function dockerTop(top: TopResult): { Titles: string[]; Processes: string[][] } {
  return { Titles: [...top.headers], Processes: top.processes.map((p) => [...p]) };
}

/**
 * One `stats` sample as moby's `container.StatsResponse`, taken at `readAt`
 * (ms since the epoch). berth measures the CPU rate itself, over SAMPLE_MS,
 * as a percent of one CPU; the counters here are that interval's, not the
 * cumulative ones: `precpu` is zero, `cpu_usage.total_usage` the CPU
 * nanoseconds used in the interval and `system_cpu_usage` its length with
 * one online CPU, so the docker CLI's formula (usage delta over system delta,
 * times online CPUs) gives berth's percent exactly.
 */
export function dockerStats(s: ContainerStats, readAt: number) {
  const interval = SAMPLE_MS * 1_000_000;
  const cpu = (total: number, system: number) => ({
    cpu_usage: { total_usage: total, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: system,
    online_cpus: 1,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  return {
    name: `/${s.name}`,
    id: s.id,
    read: new Date(readAt).toISOString(),
    preread: new Date(readAt - SAMPLE_MS).toISOString(),
    pids_stats: { current: s.pids },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 0, minor: 0, op: "read", value: s.blockInput },
        { major: 0, minor: 0, op: "write", value: s.blockOutput },
      ],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu(Math.round((s.cpuPercent / 100) * interval), interval),
    precpu_stats: cpu(0, 0),
    memory_stats: { usage: s.memUsage, limit: s.memLimit, stats: {} },
    networks: {
      eth0: {
        rx_bytes: s.netInput,
        rx_packets: 0,
        rx_errors: 0,
        rx_dropped: 0,
        tx_bytes: s.netOutput,
        tx_packets: 0,
        tx_errors: 0,
        tx_dropped: 0,
      },
    },
  };
}

const RENAME_REFUSED =
  "berth cannot rename a container: its name is fixed at create (the lifecycle has no rename); create a new container under the new name";

export function containerExtraRoutes({ service }: ApiDeps): DockerRoutes {
  const ops = operationTable(service);
  /** To Docker a removed container is no container: a 404, as in container-routes.ts. */
  const live = (id: string) => liveRecord(service, id);
  return {
    "GET /containers/{id}/top": async ({ res, url, id, meta }) => {
      const args = url.searchParams.get("ps_args");
      // berth's top has fixed columns; other ps arguments would be ignored, so they are refused.
      if (args !== null && args.trim() !== "" && args.trim() !== "-ef")
        throw new InvalidArgError(
          `top: berth shows fixed columns and takes no ps arguments (got ${JSON.stringify(args)})`,
        );
      const top = (await ops.top.run({ ref: live(id).id }, meta)) as TopResult;
      sendDockerJson(res, 200, dockerTop(top));
    },
    "GET /containers/{id}/stats": async ({ res, url, id, meta }) => {
      const ref = live(id).id;
      // Docker streams unless told `stream=false`: then one sample, which `docker stats --no-stream` reads.
      const stream = url.searchParams.has("stream") ? queryFlag(url, "stream") : true;
      if (!stream) {
        const sample = (await ops.stats.run({ ref }, meta)) as ContainerStats;
        sendDockerJson(res, 200, dockerStats(sample, Date.now()));
        return;
      }
      const gone = new AbortController();
      res.once("close", () => gone.abort());
      const samples = service.looks.statsStream(ref, gone.signal);
      // The first sample settles the answer: a container that is not running is a 409, not a 200.
      const first = await samples.next();
      res.writeHead(200, { "content-type": "application/json" });
      if (!first.done) res.write(`${JSON.stringify(dockerStats(first.value, Date.now()))}\n`);
      try {
        for await (const sample of samples)
          res.write(`${JSON.stringify(dockerStats(sample, Date.now()))}\n`);
      } catch {
        // The container stopped while streamed: Docker ends the stream, as here.
      }
      res.end();
    },
    // berth's own export route: a private staging file, streamed, then removed whatever happens.
    "GET /containers/{id}/export": ({ req, res, url, id, meta }) =>
      exportRoute(service)({ req, res, url, ref: live(id).id, name: "", meta }),
    "POST /containers/{id}/rename": ({ id }) => {
      live(id);
      return Promise.reject(new UnsupportedError(RENAME_REFUSED));
    },
  };
}
