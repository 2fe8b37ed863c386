import { describe, expect, it } from "vitest";
import { ImageGate } from "../../src/service/image-gate.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("the image gate", () => {
  it("lets shared holders run together and makes an exclusive one wait for all of them", async () => {
    const gate = new ImageGate();
    const order: string[] = [];
    let releaseA = () => {};
    const a = gate.shared(async () => {
      order.push("a in");
      await new Promise<void>((r) => (releaseA = r));
      order.push("a out");
    });
    const b = gate.shared(async () => {
      order.push("b in");
      await tick();
      order.push("b out");
    });
    const x = gate.exclusive(() => {
      order.push("x");
      return Promise.resolve();
    });
    await tick();
    await tick();
    expect(order).toEqual(["a in", "b in", "b out"]);
    releaseA();
    await Promise.all([a, b, x]);
    expect(order).toEqual(["a in", "b in", "b out", "a out", "x"]);
  });

  it("holds new shared holders back while an exclusive one runs, and lets them in after it fails", async () => {
    const gate = new ImageGate();
    const order: string[] = [];
    const x = gate.exclusive(async () => {
      order.push("x in");
      await tick();
      order.push("x out");
      throw new Error("boom");
    });
    await Promise.resolve();
    const s = gate.shared(() => {
      order.push("s");
      return Promise.resolve();
    });
    await expect(x).rejects.toThrow("boom");
    await s;
    expect(order).toEqual(["x in", "x out", "s"]);
  });
});
