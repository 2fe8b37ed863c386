import { describe, expect, it } from "vitest";
import { sandboxBody } from "../../src/cli/sandbox-flags.js";
import { nofileHardLimit } from "../../src/effects/sandbox-check.js";
import { InvalidArgError } from "../../src/errors.js";
import {
  DEFAULT_SANDBOX,
  evolve,
  fact,
  LEGACY_SANDBOX,
  sandboxOf,
  type CreateData,
} from "../../src/machines/index.js";
import { sandboxFor } from "../../src/service/sandbox.js";
import { recordIn } from "../support/given.js";

// A create event's data as journals before the sandbox wrote it: the record's create fields but sandbox.
const { name, image, command, stopSignal, stopTimeout, terminal, stdin } = recordIn("configured");
const { restartPolicy, requires, labels } = recordIn("configured");
const created: Omit<CreateData, "sandbox"> = {
  ...{ name, image, command, stopSignal, stopTimeout, terminal, stdin },
  ...{ restartPolicy, requires, labels },
};
const at = { id: "a".repeat(64), time: "2026-01-01T00:00:00.000Z", version: 1 };

describe("the sandbox in the record", () => {
  it("is what the create event says", () => {
    const sandbox = { seccomp: "unconfined" as const, pidsLimit: 10, rlimits: {} };
    expect(evolve(undefined, fact("create", { ...created, sandbox }), at).sandbox).toEqual(sandbox);
  });

  it("is absent after a create event written before sandboxes existed, and stands for unconfined, unlimited and inherited", () => {
    const legacy = evolve(undefined, fact("create", created as CreateData), at);
    // Absent, not filled in: a projection stored before the upgrade then still equals the fold.
    expect(legacy).not.toHaveProperty("sandbox");
    expect(sandboxOf(legacy)).toEqual({ seccomp: "unconfined", pidsLimit: 0, rlimits: {} });
    expect(sandboxOf(legacy)).toBe(LEGACY_SANDBOX);
  });
});

describe("sandboxFor", () => {
  it("gives Podman's pids limit, runc's NOFILE and the seccomp filter by default", () => {
    expect(sandboxFor({})).toEqual({
      seccomp: "default",
      pidsLimit: 2048,
      rlimits: { nofile: { soft: 1024, hard: 1024 } },
    });
    expect(sandboxFor({})).toEqual(DEFAULT_SANDBOX);
  });

  it("records no pids limit as 0, for 0 and -1 alike", () => {
    expect(sandboxFor({ pidsLimit: -1 }).pidsLimit).toBe(0);
    expect(sandboxFor({ pidsLimit: 0 }).pidsLimit).toBe(0);
    expect(sandboxFor({ pidsLimit: 64 }).pidsLimit).toBe(64);
  });

  it("takes the request's seccomp choice and NOFILE", () => {
    const s = sandboxFor({ seccomp: "unconfined", ulimits: { nofile: { soft: 10, hard: 20 } } });
    expect(s.seccomp).toBe("unconfined");
    expect(s.rlimits).toEqual({ nofile: { soft: 10, hard: 20 } });
  });

  it("refuses a soft limit above the hard one, a fraction, and a pids limit below -1", () => {
    expect(() => sandboxFor({ ulimits: { nofile: { soft: 20, hard: 10 } } })).toThrow(
      /soft limit is above the hard limit/,
    );
    expect(() => sandboxFor({ ulimits: { nofile: { soft: 1.5, hard: 10 } } })).toThrow(
      InvalidArgError,
    );
    expect(() => sandboxFor({ pidsLimit: -2 })).toThrow(InvalidArgError);
  });

  it("adds other named limits to the default NOFILE and refuses names it does not know", () => {
    const s = sandboxFor({ ulimits: { nproc: { soft: 5, hard: 9 }, core: { soft: 0, hard: 0 } } });
    expect(s.rlimits).toEqual({
      nofile: { soft: 1024, hard: 1024 },
      nproc: { soft: 5, hard: 9 },
      core: { soft: 0, hard: 0 },
    });
    expect(() => sandboxFor({ ulimits: { as: { soft: 1, hard: 1 } } })).toThrow(
      /as: not a resource/,
    );
    expect(() => sandboxFor({ ulimits: { nofile: { soft: 0, hard: 0 } } })).toThrow(
      InvalidArgError,
    );
  });
});

describe("the CLI's sandbox flags", () => {
  it("turn --security-opt seccomp=unconfined, --pids-limit and --ulimit into body fields", () => {
    expect(
      sandboxBody({ securityOpt: ["seccomp=unconfined"], pidsLimit: 5, ulimit: ["nofile=10:20"] }),
    ).toEqual({ seccomp: "unconfined", pidsLimit: 5, ulimits: { nofile: { soft: 10, hard: 20 } } });
  });

  it("leave out what was not given, and read nofile=N as soft and hard N", () => {
    expect(sandboxBody({})).toEqual({});
    expect(sandboxBody({ ulimit: ["nofile=64"] })).toEqual({
      ulimits: { nofile: { soft: 64, hard: 64 } },
    });
  });

  it("read Podman's other ulimit names, the last of a name winning", () => {
    expect(
      sandboxBody({
        ulimit: ["nproc=10:20", "core=0", "memlock=65536", "stack=8192:16384", "core=1"],
      }),
    ).toEqual({
      ulimits: {
        nproc: { soft: 10, hard: 20 },
        core: { soft: 1, hard: 1 },
        memlock: { soft: 65536, hard: 65536 },
        stack: { soft: 8192, hard: 16384 },
      },
    });
  });

  it("refuse a seccomp profile path, other security options and unknown or malformed ulimits", () => {
    expect(() => sandboxBody({ securityOpt: ["seccomp=/etc/p.json"] })).toThrow(/unconfined/);
    expect(() => sandboxBody({ securityOpt: ["label=disable"] })).toThrow(InvalidArgError);
    expect(() => sandboxBody({ ulimit: ["nopes=10:10"] })).toThrow(/NAME=SOFT/);
    expect(() => sandboxBody({ ulimit: ["__proto__=1"] })).toThrow(InvalidArgError);
    expect(() => sandboxBody({ ulimit: ["nofile=-1"] })).toThrow(InvalidArgError);
  });
});

describe("nofileHardLimit", () => {
  it("reads the hard open-files limit from /proc/<pid>/limits", () => {
    const limits = [
      "Limit                     Soft Limit           Hard Limit           Units",
      "Max processes             96364                96364                processes",
      "Max open files            1024                 20000                files",
    ].join("\n");
    expect(nofileHardLimit(limits)).toBe(20000);
    expect(nofileHardLimit(limits.replace("20000", "unlimited"))).toBe(Infinity);
    expect(nofileHardLimit("")).toBeUndefined();
  });
});
