/**
 * ps's PORTS column, as Podman prints it: host address, host port, container
 * port and protocol, the ports as bound while the container has a network and
 * as asked for otherwise.
 */
import { describe, expect, it } from "vitest";
import { portsCell, psTable } from "../../src/cli/format.js";
import { publishedPorts } from "../../src/machines/index.js";
import { recordIn } from "../support/given.js";

describe("the PORTS column of ps", () => {
  it("joins each mapping as host address, host port, container port and protocol", () => {
    expect(
      portsCell([
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostIp: "127.0.0.1", hostPort: 5353, containerPort: 53, protocol: "udp" },
      ]),
    ).toBe("0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp");
  });

  it("shows only the container port while its host port is still to be chosen", () => {
    expect(portsCell([{ hostPort: 0, containerPort: 80, protocol: "tcp" }])).toBe("80/tcp");
  });

  it("is empty for a container that publishes nothing", () => {
    expect(portsCell(publishedPorts(recordIn("running")))).toBe("");
  });

  it("prefers the ports as bound by the current run over the ports create asked for", () => {
    const record = recordIn("running", {
      network: {
        mode: "bridge",
        publish: [{ hostPort: 0, containerPort: 80, protocol: "tcp" }],
        dns: [],
      },
      networkAttachment: {
        mode: "bridge",
        etcDir: "/x",
        ports: [{ hostPort: 40123, containerPort: 80, protocol: "tcp" }],
      },
    });
    expect(publishedPorts(record)).toEqual([
      { hostPort: 40123, containerPort: 80, protocol: "tcp" },
    ]);
    const [header, row] = psTable([record]).split("\n");
    expect(header).toMatch(/STATUS +PORTS +NAMES$/);
    expect(row).toMatch(/0\.0\.0\.0:40123->80\/tcp +web$/);
  });

  it("shows the ports create asked for on a container that is not running", () => {
    const record = recordIn("exited", {
      network: {
        mode: "bridge",
        publish: [{ hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" }],
        dns: [],
      },
    });
    expect(psTable([record])).toContain("127.0.0.1:8080->80/tcp");
  });
});
