export { busyboxTar } from "./image.js";
export {
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
