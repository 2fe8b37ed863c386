import { describe, expect, it } from "vitest";
import { roleForArgs } from "../../src/api/nats-arg-roles.js";

describe("roles raised by arguments over NATS", () => {
  it("asks admin for a create with privileged or any capAdd", () => {
    expect(roleForArgs("create", { image: "b", privileged: true })).toBe("admin");
    expect(roleForArgs("create", { image: "b", capAdd: ["NET_RAW"] })).toBe("admin");
  });

  it("asks nothing more for drops, an explicit privileged false, an empty capAdd, or other verbs", () => {
    expect(roleForArgs("create", { image: "b", capDrop: ["ALL"] })).toBeUndefined();
    expect(roleForArgs("create", { image: "b", privileged: false, capAdd: [] })).toBeUndefined();
    expect(roleForArgs("start", { ref: "x", privileged: true })).toBeUndefined();
    expect(roleForArgs("create", null)).toBeUndefined();
    expect(roleForArgs("create", "privileged")).toBeUndefined();
  });
});
