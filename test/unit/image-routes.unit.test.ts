/**
 * Issue 11: image references carry `/`, `:` and `@`, so the client sends one
 * as a single encoded path segment and the router hands it back decoded; a
 * literal image route (`/images/prune`) is never read as an image named so.
 */
import { describe, expect, it } from "vitest";
import { operationTable } from "../../src/api/operation-table.js";
import { match, type Handler } from "../../src/api/router.js";
import type { ContainerService } from "../../src/service/index.js";

const handler = (): Handler => () => Promise.resolve();
const table: Record<string, Handler> = {
  "GET /images": handler(),
  "POST /images/prune": handler(),
  "POST /images/pull": handler(),
  "GET /images/:ref": handler(),
  "POST /images/:ref/tag": handler(),
  "DELETE /images/:ref": handler(),
};

describe("the router on image paths", () => {
  it("decodes a reference holding a registry port, a path and a digest", () => {
    const ref = "localhost:5000/team/app@sha256:" + "a".repeat(64);
    const found = match(table, "GET", `/images/${encodeURIComponent(ref)}`);
    expect(found?.handler).toBe(table["GET /images/:ref"]);
    expect(found?.ref).toBe(ref);
  });

  it("routes a verb after the reference to that verb", () => {
    const found = match(table, "POST", `/images/${encodeURIComponent("busybox:latest")}/tag`);
    expect(found?.handler).toBe(table["POST /images/:ref/tag"]);
    expect(found?.ref).toBe("busybox:latest");
  });

  it("prefers the literal prune and pull routes over a reference spelled so", () => {
    for (const verb of ["prune", "pull"]) {
      const found = match(table, "POST", `/images/${verb}`);
      expect(found?.handler).toBe(table[`POST /images/${verb}`]);
      expect(found?.ref).toBe("");
    }
  });

  it("still reads an image named prune on a route that takes a reference", () => {
    const found = match(table, "DELETE", "/images/prune");
    expect(found?.handler).toBe(table["DELETE /images/:ref"]);
    expect(found?.ref).toBe("prune");
  });

  it("finds no route for an unencoded reference split into extra segments", () => {
    expect(match(table, "GET", "/images/docker.io/library/busybox")).toBeUndefined();
  });
});

describe("the operation table's image verbs", () => {
  const calls: unknown[][] = [];
  const images = new Proxy(
    {},
    {
      get:
        (_t, key) =>
        (...args: unknown[]) => {
          calls.push([String(key), ...args.slice(0, 2)]);
          return Promise.resolve({});
        },
    },
  );
  const ops = operationTable({ images } as unknown as ContainerService);
  const meta = { actor: "test", requestId: "r-1" };

  it("passes rmi's force to the image service, false when absent", async () => {
    calls.length = 0;
    await ops.rmi.run({ ref: "busybox" }, meta);
    await ops.rmi.run({ ref: "busybox", force: true }, meta);
    expect(calls).toEqual([
      ["remove", "busybox", false],
      ["remove", "busybox", true],
    ]);
  });

  it("refuses a tag without a name and a prune with a field it does not know", async () => {
    await expect(async () => ops.tag.run({ ref: "busybox" }, meta)).rejects.toThrow("name");
    await expect(async () => ops["image-prune"].run({ every: true }, meta)).rejects.toThrow(
      "every",
    );
  });

  it("refuses a reference longer than an image name may be before asking the service", async () => {
    calls.length = 0;
    await expect(async () =>
      ops["image-inspect"].run({ ref: "a".repeat(600) }, meta),
    ).rejects.toThrow("invalid request");
    expect(calls).toEqual([]);
  });
});
