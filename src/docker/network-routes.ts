/**
 * The networks of the Docker Engine API, read only: berth has exactly
 * Docker's three built-in networks, `bridge` (berth's own bridge, berth0),
 * `host` and `none`, and no network verbs. Tools (Portainer, testcontainers,
 * `docker network ls`) read them to learn a container's address; the
 * containers of each are the records whose network is set up now.
 */
import type { ApiDeps } from "../api/index.js";
import { BRIDGE_NAME, GATEWAY, SUBNET } from "../effects/index.js";
import type { ContainerRecord, NetworkMode } from "../machines/index.js";
import { ZERO_TIME } from "./container-json.js";
import { sendDockerJson } from "./docker-io.js";
import type { DockerRoutes } from "./docker-router.js";
import { filterArgs } from "./filter-args.js";
import { networkId } from "./network-id.js";

/** Docker's name of each of berth's network modes, with its driver. */
const NETWORKS: readonly { name: NetworkMode; driver: string }[] = [
  { name: "bridge", driver: "bridge" },
  { name: "host", driver: "host" },
  { name: "none", driver: "null" },
];

export { networkId };

/** One container of `Containers`, keyed by its id. */
export interface DockerNetworkEndpoint {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** moby's `network.Inspect` for one of the built-in networks, with the records on it. */
export function dockerNetwork(name: NetworkMode, records: readonly ContainerRecord[]) {
  const driver = NETWORKS.find((n) => n.name === name)?.driver ?? name;
  const containers: Record<string, DockerNetworkEndpoint> = {};
  for (const r of records) {
    const a = r.networkAttachment;
    if (a?.mode !== name || r.state === "removed") continue;
    containers[r.id] = {
      Name: r.name,
      EndpointID: "",
      MacAddress: a.mac ?? "",
      IPv4Address: a.ip !== undefined ? `${a.ip}/${a.prefixLength ?? 32}` : "",
      IPv6Address: "",
    };
  }
  return {
    Name: name,
    Id: networkId(name),
    // The built-in networks exist as long as berth does; Docker's zero time says no creation is known.
    Created: ZERO_TIME,
    Scope: "local",
    Driver: driver,
    EnableIPv4: name === "bridge",
    EnableIPv6: false,
    IPAM: {
      Driver: "default",
      Options: null,
      Config: name === "bridge" ? [{ Subnet: SUBNET, Gateway: GATEWAY }] : [],
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: name === "bridge" ? { "com.docker.network.bridge.name": BRIDGE_NAME } : {},
    Labels: {},
  };
}

const NETWORK_FILTERS = ["name", "id", "driver"] as const;

/** The network `ref` names: its name, its id, or an id prefix; undefined when none. */
export function findNetwork(ref: string): NetworkMode | undefined {
  const byName = NETWORKS.find((n) => n.name === ref);
  if (byName) return byName.name;
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  return NETWORKS.find((n) => networkId(n.name).startsWith(ref))?.name;
}

export function networkRoutes({ service }: ApiDeps): DockerRoutes {
  return {
    "GET /networks": ({ res, url }) => {
      const args = filterArgs(url.searchParams.get("filters"), NETWORK_FILTERS, "networks");
      const names = args.get("name");
      const ids = args.get("id");
      const drivers = args.get("driver");
      const records = service.list(true);
      sendDockerJson(
        res,
        200,
        NETWORKS.filter(
          (n) =>
            (names === undefined || names.some((v) => n.name.includes(v))) &&
            (ids === undefined || ids.some((v) => networkId(n.name).startsWith(v))) &&
            (drivers === undefined || drivers.includes(n.driver)),
        ).map((n) => dockerNetwork(n.name, records)),
      );
      return Promise.resolve();
    },
    "GET /networks/{id}": ({ res, id }) => {
      const name = findNetwork(id);
      // errors.ts has no network error to throw: berth has no networks to miss but these three.
      if (name === undefined) sendDockerJson(res, 404, { message: `network ${id} not found` });
      else sendDockerJson(res, 200, dockerNetwork(name, service.list(true)));
      return Promise.resolve();
    },
  };
}
