/**
 * The ids of Docker's built-in networks as berth answers them. Apart from
 * the network routes so that a container's endpoint can name its network
 * by the same id: clients (Prometheus' docker_sd_configs) join the two.
 */
import { createHash } from "node:crypto";

/** A network's id: stable across restarts and daemons, 64 hex as Docker's. */
export const networkId = (name: string) =>
  createHash("sha256").update(`berth-network:${name}`).digest("hex");
