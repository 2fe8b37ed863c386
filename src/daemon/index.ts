export { checkpointKeyPath, loadCheckpointKey } from "./checkpoint-key.js";
export { defaultHost, startDaemon, type Daemon, type DaemonOptions } from "./daemon.js";
