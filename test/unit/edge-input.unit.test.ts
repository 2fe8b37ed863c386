/**
 * Input at the edge (issue 10, defect 12): every number bounded, unknown
 * fields refused, keys no object can keep refused, and an empty program name
 * refused before anything is journaled. The schemas are what HTTP bodies and
 * NATS payloads go through, via parseInput.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import { parseInput } from "../../src/api/operation.js";
import {
  BatchInput,
  CreateBody,
  KillInput,
  RemoveInput,
  StopBody,
  StopInput,
  WaitInput,
} from "../../src/api/schemas.js";
import { restartPolicy, seconds } from "../../src/service/index.js";

const refused = (fn: () => unknown) => expect(fn).toThrow(InvalidArgError);
const create = (extra: object) => ({ image: "busybox", command: ["true"], ...extra });

describe("numbers at the edge", () => {
  it("refuses a stop timeout a timer cannot hold and accepts the longest one it can", () => {
    refused(() => parseInput(StopInput, { ref: "web", timeout: 2_147_484 }));
    refused(() => parseInput(RemoveInput, { ref: "web", timeout: 1e21 }));
    expect(parseInput(StopInput, { ref: "web", timeout: 2_147_483 }).timeout).toBe(2_147_483);
  });

  it("refuses a stop timeout at create that a timer cannot hold", () => {
    refused(() => parseInput(CreateBody, create({ stopTimeout: 2_147_484 })));
    refused(() => seconds(2_147_484, "stop timeout"));
    expect(seconds(2_147_483, "stop timeout")).toBe(2_147_483);
  });

  it("refuses a batch command timeout a timer cannot hold", () => {
    refused(() =>
      parseInput(BatchInput, { ref: "web", commands: [{ type: "stop", timeout: 2 ** 40 }] }),
    );
  });

  it("refuses a wait interval a timer cannot hold", () => {
    refused(() => parseInput(WaitInput, { ref: "web", interval: 2 ** 31 }));
    expect(parseInput(WaitInput, { ref: "web", interval: 2 ** 31 - 1 }).interval).toBe(2 ** 31 - 1);
  });

  it("refuses signal numbers outside 1 to 64", () => {
    refused(() => parseInput(KillInput, { ref: "web", signal: 1e21 }));
    refused(() => parseInput(KillInput, { ref: "web", signal: 0 }));
    expect(parseInput(KillInput, { ref: "web", signal: 9 }).signal).toBe(9);
  });

  it("refuses on-failure retries beyond a thousand, and keeps a thousand", () => {
    refused(() => restartPolicy("on-failure:99999999999999999999"));
    refused(() => restartPolicy("on-failure:1001"));
    expect(restartPolicy("on-failure:1000")).toEqual({ name: "on-failure", maxRetries: 1000 });
  });

  it("refuses a reference longer than any id or name", () => {
    refused(() => parseInput(StopInput, { ref: "a".repeat(129) }));
  });
});

describe("fields at the edge", () => {
  it("refuses an unknown field in a body, naming it", () => {
    expect(() => parseInput(StopBody, { timeout: 1, timout: 2 })).toThrow(/timout: unknown field/);
    refused(() => parseInput(CreateBody, create({ restartPolicy: "always" })));
  });

  it("refuses an unknown field in a NATS payload and inside a batch command", () => {
    refused(() => parseInput(StopInput, { ref: "web", force: true }));
    expect(() =>
      parseInput(BatchInput, { ref: "web", commands: [{ type: "stop", sig: "KILL" }] }),
    ).toThrow(/commands\.0\.sig: unknown field/);
  });

  it("refuses a __proto__ label instead of dropping it", () => {
    const body = JSON.parse(
      '{"image":"busybox","command":["true"],"labels":{"__proto__":"x","a":"b"}}',
    ) as unknown;
    expect(() => parseInput(CreateBody, body)).toThrow(/labels\.__proto__: reserved key/);
  });

  it("keeps constructor and prototype labels as given", () => {
    const body = JSON.parse(
      '{"image":"busybox","command":["true"],"labels":{"constructor":"c","prototype":"p"}}',
    ) as unknown;
    expect(parseInput(CreateBody, body).labels).toEqual({ constructor: "c", prototype: "p" });
  });

  it("refuses a command whose program is empty", () => {
    refused(() => parseInput(CreateBody, create({ command: [""] })));
    expect(parseInput(CreateBody, create({ command: ["sh", ""] })).command).toEqual(["sh", ""]);
  });
});
