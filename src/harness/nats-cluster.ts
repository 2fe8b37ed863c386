/**
 * A JetStream cluster of nats-servers on loopback for the fleet test: each
 * node has its own client port, cluster port and store, with routes to all
 * the others. Nodes can be killed and restarted one by one.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { freePort, startNats, until, type Nats } from "./processes.js";

export interface NatsCluster {
  nodes: (Nats & { name: string })[];
  /** Every node's client URL. */
  urls: string[];
  /** The node that leads `stream`'s replicas now. */
  streamLeader(stream: string): Promise<Nats & { name: string }>;
  stop(): Promise<void>;
}

export async function startNatsCluster(size = 3, name = "berth-test"): Promise<NatsCluster> {
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const started: (Nats & { name: string })[] = [];
  const stopAll = () => Promise.all(started.map((n) => n.stop()));
  try {
    await Promise.all(
      clusterPorts.map(async (cport, i) => {
        const nodeName = `n${i + 1}`;
        const nats = await startNats({
          args: [
            ...["-n", nodeName, "--cluster_name", name],
            ...["--cluster", `nats://127.0.0.1:${cport}`, "--routes", routes],
          ],
        });
        started[i] = Object.assign(nats, { name: nodeName });
      }),
    );
    // JetStream answers once the cluster has elected its meta leader.
    const nc = await connect({ servers: started.map((n) => n.url) });
    try {
      await until(
        async () => {
          try {
            const jsm = await jetstreamManager(nc, { timeout: 1_000 });
            await jsm.getAccountInfo();
            return true;
          } catch {
            return false;
          }
        },
        20_000,
        "the JetStream cluster",
      );
    } finally {
      await nc.close();
    }
  } catch (err) {
    // Leave no node behind when the cluster does not come up.
    await stopAll();
    throw err;
  }
  const nodes = started;
  const urls = nodes.map((n) => n.url);
  return {
    nodes,
    urls,
    async streamLeader(stream) {
      const c = await connect({ servers: urls });
      try {
        const jsm = await jetstreamManager(c);
        let leader: (Nats & { name: string }) | undefined;
        // Right after creation or an election the stream may not name a leader yet.
        await until(
          async () => {
            const info = await jsm.streams.info(stream).catch(() => undefined);
            leader = nodes.find((n) => n.name === info?.cluster?.leader);
            return leader !== undefined;
          },
          10_000,
          `a leader for stream ${stream}`,
        );
        return leader!;
      } finally {
        await c.close();
      }
    },
    async stop() {
      await stopAll();
    },
  };
}
