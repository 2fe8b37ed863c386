/**
 * Issue 10, defect 3: an export is a tar stream that only the socket carries;
 * a message transport that adapts the operation table (NATS) is refused with
 * a clear error, and the service is never asked to export.
 */
import { describe, expect, it } from "vitest";
import { operationTable } from "../../src/api/operation-table.js";
import { UnsupportedError } from "../../src/errors.js";
import type { ContainerService } from "../../src/service/index.js";

describe("the operation table's export", () => {
  it("refuses with UNSUPPORTED, naming the socket, and asks the service for nothing", async () => {
    const asked: string[] = [];
    const service = new Proxy({} as ContainerService, {
      get: (_target, key) => {
        asked.push(String(key));
        return () => Promise.resolve({});
      },
    });
    const run = operationTable(service).export.run(
      { ref: "web", path: "/root/.ssh/authorized_keys" },
      { actor: "test", requestId: "r-1" },
    );
    await expect(run).rejects.toBeInstanceOf(UnsupportedError);
    await expect(run).rejects.toThrow("use the unix socket");
    expect(asked).toEqual([]);
  });
});
