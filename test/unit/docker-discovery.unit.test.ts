/**
 * What a service-discovery client (Prometheus' docker_sd_configs) reads:
 * the list item's networks name their network by the id `GET /networks`
 * answers, so the client can join a container to its network's details.
 */
import { describe, expect, it } from "vitest";
import { dockerSummary } from "../../src/docker/container-json.js";
import { dockerNetwork, networkId } from "../../src/docker/network-routes.js";
import type { ContainerRecord } from "../../src/machines/index.js";
import { recordIn } from "../support/given.js";

const NOW = Date.parse("2026-01-01T01:00:00.000Z");

const onBridge = (): ContainerRecord =>
  recordIn("running", {
    name: "web",
    labels: { "app.kind": "demo" },
    startedAt: "2026-01-01T00:59:00.000Z",
    network: { mode: "bridge", publish: [], dns: [] },
    networkAttachment: {
      mode: "bridge",
      etcDir: "/run/berth/etc",
      ip: "10.89.0.7",
      prefixLength: 24,
      gateway: "10.89.0.1",
      ports: [{ hostPort: 0, containerPort: 8080, protocol: "tcp" }],
    },
  });

describe("a container's network as service discovery reads it", () => {
  it("names the network by the id the network list answers for it", () => {
    const r = onBridge();
    const endpoint = dockerSummary(r, NOW).NetworkSettings.Networks["bridge"];
    const network = dockerNetwork("bridge", [r]);
    expect(endpoint?.NetworkID).toBe(network.Id);
    expect(endpoint?.NetworkID).toMatch(/^[0-9a-f]{64}$/);
    expect(network.Containers[r.id]?.IPv4Address).toBe(`${endpoint?.IPAddress}/24`);
  });

  it("names the network of a container that is not running, whose address is gone", () => {
    const r = recordIn("exited", { network: { mode: "bridge", publish: [], dns: [] } });
    const endpoint = dockerSummary(r, NOW).NetworkSettings.Networks["bridge"];
    expect(endpoint).toMatchObject({ NetworkID: networkId("bridge"), IPAddress: "" });
  });

  it("names host and none by their own ids, not the bridge's", () => {
    const host = recordIn("running", { network: { mode: "host", publish: [], dns: [] } });
    expect(dockerSummary(host, NOW).NetworkSettings.Networks["host"]?.NetworkID).toBe(
      networkId("host"),
    );
    expect(
      dockerSummary(recordIn("created"), NOW).NetworkSettings.Networks["none"]?.NetworkID,
    ).toBe(networkId("none"));
  });
});
