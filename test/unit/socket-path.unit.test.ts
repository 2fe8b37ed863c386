/**
 * Issue 10, defect 4: `--socket` is a path. Node's `listen` reads a string of
 * digits as a TCP port, so anything that is not plainly a path is refused.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkedSocketPath } from "../../src/api/server.js";
import { SocketPathError } from "../../src/errors.js";

describe("the --socket value", () => {
  for (const value of [
    "9999",
    "0",
    "localhost:9999",
    "127.0.0.1:80",
    "[::1]:80",
    "berth.sock",
    "tcp://127.0.0.1:9999",
    "unix:///run/berth.sock",
  ]) {
    it(`refuses ${JSON.stringify(value)} as not a path, with SOCKET_PATH`, () => {
      expect(() => checkedSocketPath(value)).toThrow(SocketPathError);
      expect(() => checkedSocketPath(value)).toThrow("not a path");
    });
  }

  it("accepts absolute and ./relative paths, resolved to absolute ones", () => {
    expect(checkedSocketPath("/run/berth/berth.sock")).toBe("/run/berth/berth.sock");
    expect(checkedSocketPath("./9999")).toBe(resolve("9999"));
    expect(checkedSocketPath("run/127.0.0.1:80")).toBe(resolve("run/127.0.0.1:80"));
  });
});
