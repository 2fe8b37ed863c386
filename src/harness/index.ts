/**
 * The test harness: real nats-server and berth daemon processes, the busybox
 * image, temporary roots, and a wait-until helper, for the integration tests
 * and the benches.
 *
 * It lives in src/, and so ships in dist/, because the demo needs it:
 * `npm run demo` runs src/demo/main.ts compiled, and that starts its
 * nats-server and daemon with this harness (the benches, also run from
 * dist/, use it too). Neither public entry (src/index.ts, src/client)
 * exports it.
 */
export { busyboxTar, storeBusybox } from "./image.js";
export {
  canConnect,
  cleanRoot,
  CLI,
  freePort,
  startBerth,
  startNats,
  tempDir,
  until,
  type Berth,
  type CliResult,
  type Nats,
} from "./processes.js";
export { startNatsCluster, type NatsCluster } from "./nats-cluster.js";
export { repoRoot } from "./repo.js";
