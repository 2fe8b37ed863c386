export { defaultHost, startDaemon, type Daemon, type DaemonOptions } from "./daemon.js";
