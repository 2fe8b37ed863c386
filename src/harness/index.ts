/**
 * The test harness: real nats-server and berth daemon processes, the busybox
 * image, temporary roots, a wait-until helper, a throwaway TLS authority, and
 * a real image registry with a layout builder and a misbehaving proxy, for
 * the integration tests and the benches.
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
export {
  layerTar,
  OciLayout,
  pushLayout,
  randomLayer,
  startRegistry,
  type BuiltImage,
  type Registry,
} from "./registry.js";
export { startProxy, type Proxy } from "./registry-proxy.js";
export { makeTls, type TlsFiles } from "./tls.js";
