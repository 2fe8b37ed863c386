import { describe, expect, it } from "vitest";
import { hostsFile, resolvConf, withNetwork, type EtcContent } from "../../src/effects/index.js";
import type { ContainerSpec } from "../../src/effects/index.js";
import { InvalidArgError } from "../../src/errors.js";
import { evolve, fact, type NetworkAttachment } from "../../src/machines/index.js";
import { networkFor, parsePublish } from "../../src/service/network-options.js";
import { masqueradeRules } from "../../src/effects/masquerade-purge.js";

describe("-p parsing", () => {
  it.each([
    ["8080:80", { hostPort: 8080, containerPort: 80, protocol: "tcp" }],
    ["80", { hostPort: 0, containerPort: 80, protocol: "tcp" }],
    [
      "127.0.0.1:8080:80/udp",
      { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "udp" },
    ],
    ["127.0.0.1::80", { hostIp: "127.0.0.1", hostPort: 0, containerPort: 80, protocol: "tcp" }],
  ])("reads %s", (spec, want) => {
    expect(parsePublish(spec)).toEqual(want);
  });

  it.each([
    "99999:80",
    "abc",
    "80:0",
    "0:80",
    "1.2.3:80:80",
    "80/sctp",
    "8080:80/tcp/udp",
    "-1:80",
    ":80:",
    "[::1]:80:80",
  ])("refuses %s as INVALID_ARG", (spec) => {
    expect(() => parsePublish(spec)).toThrow(InvalidArgError);
  });
});

describe("network options", () => {
  it("defaults to the bridge with nothing published and the host's resolvers", () => {
    expect(networkFor({})).toEqual({ mode: "bridge", publish: [], dns: [] });
  });

  it("refuses an unknown mode, ports off the bridge, the same host port twice and a name for --dns", () => {
    expect(() => networkFor({ network: "nope" })).toThrow(InvalidArgError);
    expect(() => networkFor({ network: "none", publish: ["80"] })).toThrow(InvalidArgError);
    expect(() => networkFor({ publish: ["80:1", "80:2"] })).toThrow(InvalidArgError);
    expect(() => networkFor({ dns: ["dns.example"] })).toThrow(InvalidArgError);
  });

  it("lets two free host ports ask for the same container port's protocol", () => {
    expect(networkFor({ publish: ["80", "81"] }).publish).toHaveLength(2);
  });
});

const content = (over: Partial<EtcContent> = {}): EtcContent => ({
  mode: "bridge",
  hostname: "0123456789ab",
  name: "web",
  ip: "10.89.0.7",
  dns: [],
  hostResolv: "search example.org\nnameserver 127.0.0.53\noptions edns0\n",
  ...over,
});

describe("etc files", () => {
  it("maps the container's hostname and name to its bridge address", () => {
    expect(hostsFile(content())).toContain("10.89.0.7\t0123456789ab web\n");
    expect(hostsFile(content({ ip: undefined }))).toContain("127.0.0.1\t0123456789ab web\n");
  });

  it("replaces a host's loopback resolver with public ones on the bridge, keeps it for host mode", () => {
    const bridge = resolvConf(content());
    expect(bridge).not.toContain("127.0.0.53");
    expect(bridge).toContain("nameserver 8.8.8.8");
    expect(bridge).toContain("search example.org");
    expect(resolvConf(content({ mode: "host" }))).toContain("nameserver 127.0.0.53");
  });

  it("uses --dns servers instead of the host's", () => {
    const text = resolvConf(content({ dns: ["192.0.2.1"], hostResolv: "nameserver 10.0.0.1\n" }));
    expect(text).toContain("nameserver 192.0.2.1");
    expect(text).not.toContain("10.0.0.1");
  });
});

const base = {
  mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
  linux: {
    namespaces: ["pid", "network"].map((type) => ({ type })),
  },
};
const spec = (att?: NetworkAttachment) => ({ id: "c1", networkAttachment: att }) as ContainerSpec;
const att = (over: Partial<NetworkAttachment>): NetworkAttachment => ({
  mode: "bridge",
  etcDir: "/r/containers/c1",
  ports: [],
  ...over,
});

describe("the spec's network", () => {
  it("joins the prepared namespace on the bridge and mounts the etc files", () => {
    const out = withNetwork(base, spec(att({ netns: "/r/netns/c1" })));
    expect(out.linux.namespaces).toEqual([
      { type: "pid" },
      { type: "network", path: "/r/netns/c1" },
    ]);
    expect(out.mounts.map((m) => [m.destination, m.source])).toEqual([
      ["/proc", "proc"],
      ["/etc/hosts", "/r/containers/c1/hosts"],
      ["/etc/resolv.conf", "/r/containers/c1/resolv.conf"],
      ["/etc/hostname", "/r/containers/c1/hostname"],
    ]);
  });

  it("has no network namespace on the host network, a fresh one with none", () => {
    expect(withNetwork(base, spec(att({ mode: "host" }))).linux.namespaces).toEqual([
      { type: "pid" },
    ]);
    expect(withNetwork(base, spec(att({ mode: "none" }))).linux.namespaces).toEqual(
      base.linux.namespaces,
    );
  });

  it("leaves a container without an attachment as it was", () => {
    expect(withNetwork(base, spec())).toEqual(base);
  });
});

describe("the attachment in the record", () => {
  it("comes with init and goes with cleanup", () => {
    const pos = (version: number) => ({ id: "c1", time: "2026-01-01T00:00:00Z", version });
    const created = evolve(
      undefined,
      fact("create", {
        name: "c",
        image: "busybox",
        command: ["true"],
        stopSignal: "SIGTERM",
        stopTimeout: 10,
        terminal: false,
        stdin: false,
        restartPolicy: { name: "no", maxRetries: 0 },
        requires: [],
        labels: {},
        sandbox: { seccomp: "default", pidsLimit: 0, rlimits: {} },
        network: { mode: "bridge", publish: [], dns: [] },
      }),
      pos(1),
    );
    const network = att({ ip: "10.89.0.9" });
    const inited = evolve(created, fact("init", { pid: 5, conmonPid: 4, network }), pos(2));
    expect(inited.networkAttachment).toEqual(network);
    const cleaned = evolve(inited, fact("cleanup", {}), pos(3));
    expect(cleaned.networkAttachment).toBeUndefined();
    expect(cleaned.network).toEqual({ mode: "bridge", publish: [], dns: [] });
  });
});

describe("the masquerade rules of a container whose namespace is gone", () => {
  const listing = [
    "Chain POSTROUTING (policy ACCEPT)",
    "num  target     prot opt source               destination",
    "1    CNI-HOSTPORT-MASQ  0    --  0.0.0.0/0   0.0.0.0/0   /* CNI portfwd requiring masquerade */",
    '2    CNI-6df173d7100b917fd9153218  0    --  10.89.0.30   0.0.0.0/0   /* name: "berth" id: "aaa" */',
    '3    CNI-0123456789abcdef01234567  0    --  10.89.0.31   0.0.0.0/0   /* name: "berth" id: "aaab" */',
    '4    CNI-76543210fedcba9876543210  0    --  10.88.0.2    0.0.0.0/0   /* name: "podman" id: "aaa" */',
  ].join("\n");

  it("are found by the id in their comment, on berth's network only", () => {
    expect(masqueradeRules(listing, "aaa")).toEqual([
      { num: 2, chain: "CNI-6df173d7100b917fd9153218" },
    ]);
    expect(masqueradeRules(listing, "zzz")).toEqual([]);
  });
});
