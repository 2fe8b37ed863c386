/**
 * berth-spawn on its own: its wire protocol under bad requests, what it does
 * when the daemon goes away, and how SpawnBroker copes with a helper that
 * dies or never starts. The behaviour both runners share is in
 * runner-contract.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InternalError } from "../../src/errors.js";
import { repoRoot } from "../../src/harness/index.js";
import type { ProcessRunner, RunResult } from "../../src/effects/process-runner.js";
import { defaultBrokerBinary, SpawnBroker } from "../../src/effects/spawn-broker.js";
import { alive } from "../support/runner-contract.js";

const binary = defaultBrokerBinary() ?? "dist/native/berth-spawn";

interface Answer {
  type: number;
  id: number;
  body: Buffer;
}

/** The helper driven frame by frame. */
class Wire {
  readonly proc: ChildProcessWithoutNullStreams;
  private buf = Buffer.alloc(0);
  private readonly answers: Answer[] = [];
  private waiters: (() => void)[] = [];

  constructor(args: string[] = []) {
    this.proc = spawn(binary, args);
    this.proc.stdout.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32LE(0)) {
        const len = this.buf.readUInt32LE(0);
        const body = this.buf.subarray(4, 4 + len);
        this.answers.push({ type: body.readUInt8(0), id: body.readUInt32LE(1), body });
        this.buf = this.buf.subarray(4 + len);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(bytes: Buffer): void {
    this.proc.stdin.write(bytes);
  }

  /** The next answer of type `type` for `id`, waiting for it. */
  async next(type: number, id: number, ms = 5_000): Promise<Answer> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.answers.findIndex((a) => a.type === type && a.id === id);
      if (i >= 0) return this.answers.splice(i, 1)[0] as Answer;
      if (Date.now() > end) throw new Error(`no answer ${type} for id ${id}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async exited(): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    return new Promise((r) => this.proc.once("exit", (code) => r(code)));
  }
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const str = (s: string | Buffer) => {
  const b = typeof s === "string" ? Buffer.from(s) : s;
  return Buffer.concat([u32(b.length), b]);
};
const frame = (type: number, id: number, ...payload: Buffer[]) => {
  const body = Buffer.concat([Buffer.from([type]), u32(id), ...payload]);
  return Buffer.concat([u32(body.length), body]);
};
const runFrame = (id: number, argv: string[]) =>
  frame(1, id, u32(0), u32(argv.length), ...argv.map((a) => str(a)));

const STARTED = 0x81;
const EXIT = 0x82;
const ERROR = 0x83;
const errnoOf = (a: Answer) => a.body.readInt32LE(5);
const messageOf = (a: Answer) => a.body.toString("utf8", 13, 13 + a.body.readUInt32LE(9));
const stdoutOf = (a: Answer) => a.body.toString("utf8", 15, 15 + a.body.readUInt32LE(11));

let dir: string;
beforeAll(async () => {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run "npm run build" first`);
  dir = await mkdtemp(join(tmpdir(), "berth-broker-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("berth-spawn wire protocol", () => {
  it("refuses a second request under an id still running, and still answers the first", async () => {
    const w = new Wire();
    w.send(runFrame(7, ["sh", "-c", "sleep 0.3; echo first"]));
    await w.next(STARTED, 7);
    w.send(runFrame(7, ["sh", "-c", "echo second"]));
    const refused = await w.next(ERROR, 7);
    expect(messageOf(refused)).toContain("already running");
    expect(stdoutOf(await w.next(EXIT, 7))).toBe("first\n");
    // Once answered, the id is free again.
    w.send(runFrame(7, ["echo", "third"]));
    expect(stdoutOf(await w.next(EXIT, 7))).toBe("third\n");
    w.proc.stdin.end();
    expect(await w.exited()).toBe(0);
  });

  it("answers each malformed request with an error frame and keeps serving", async () => {
    const w = new Wire();
    const cases: [number, Buffer][] = [
      [0, Buffer.concat([u32(2), Buffer.from([1, 0])])], // too short for an id
      [11, frame(9, 11)], // unknown type
      [12, frame(1, 12, u32(0), u32(1000), str("sh"))], // argc larger than the strings sent
      [13, frame(1, 13, u32(0), u32(0))], // no program
      [14, frame(1, 14, u32(0), u32(1), str(""))], // empty program
      [15, frame(1, 15, u32(0), u32(1), str(Buffer.from("ec\0ho")))], // NUL inside a string
      [16, frame(1, 16, u32(64), u32(1), str("true"))], // unknown flag
      [17, frame(1, 17, u32(0), u32(1), u32(0xffffffff))], // string length past the frame
      [18, frame(1, 18, u32(2), u32(1), str("true"), u32(9999))], // env count past the frame
      [19, frame(2, 19)], // cancel without a signal
      [20, frame(2, 20, u32(999))], // cancel with no such signal
    ];
    for (const [, bytes] of cases) w.send(bytes);
    for (const [id] of cases) expect(errnoOf(await w.next(ERROR, id))).toBeGreaterThan(0);
    w.send(runFrame(30, ["echo", "still here"]));
    expect(stdoutOf(await w.next(EXIT, 30))).toBe("still here\n");
    w.proc.stdin.end();
    expect(await w.exited()).toBe(0);
  });

  it("refuses files it cannot give the child with a clear error frame, runs nothing, and keeps serving", async () => {
    const w = new Wire();
    const marker = join(dir, "ran-with-bad-files");
    const withFiles = (id: number, ...files: [number, string][]) =>
      frame(
        1,
        id,
        u32(4),
        u32(2),
        str("touch"),
        str(marker),
        u32(files.length),
        ...files.flatMap(([fd, path]) => [u32(fd), u32(0), u32(0), str(path)]),
      );
    w.send(withFiles(41, [3, join(dir, "no-such-file")]));
    w.send(withFiles(42, [2, "/dev/null"]));
    w.send(withFiles(43, [64, "/dev/null"]));
    w.send(
      withFiles(44, ...Array.from({ length: 9 }, (_, i): [number, string] => [3 + i, "/dev/null"])),
    );
    w.send(withFiles(45, [3, "/dev/null"], [3, "/dev/null"]));
    w.send(frame(1, 46, u32(4), u32(1), str("true"), u32(1), u32(3), u32(0))); // entry cut short
    const missing = await w.next(ERROR, 41);
    expect(errnoOf(missing)).toBe(2);
    expect(messageOf(missing)).toContain("no-such-file");
    expect(messageOf(await w.next(ERROR, 42))).toContain("onto fd 2");
    expect(messageOf(await w.next(ERROR, 43))).toContain("onto fd 64");
    expect(messageOf(await w.next(ERROR, 44))).toContain("more than 8 files");
    expect(messageOf(await w.next(ERROR, 45))).toContain("given twice");
    expect(messageOf(await w.next(ERROR, 46))).toContain("malformed");
    expect(existsSync(marker)).toBe(false);
    w.send(runFrame(47, ["echo", "still here"]));
    expect(stdoutOf(await w.next(EXIT, 47))).toBe("still here\n");
    w.proc.stdin.end();
    expect(await w.exited()).toBe(0);
  });

  it("skips a frame larger than its limit, refusing it under its id, and reads the next one", async () => {
    const w = new Wire();
    const huge = 65 * 1024 * 1024;
    const head = Buffer.concat([u32(huge), Buffer.from([1]), u32(40)]);
    w.send(Buffer.concat([head, Buffer.alloc(huge - 5)]));
    w.send(runFrame(41, ["echo", "after"]));
    expect(errnoOf(await w.next(ERROR, 40))).toBe(7); // E2BIG
    expect(stdoutOf(await w.next(EXIT, 41, 20_000))).toBe("after\n");
    w.proc.stdin.end();
    expect(await w.exited()).toBe(0);
  });

  it("ignores a cancel for an id that is not running", async () => {
    const w = new Wire();
    w.send(frame(2, 50, u32(9)));
    w.send(runFrame(51, ["echo", "ok"]));
    expect(stdoutOf(await w.next(EXIT, 51))).toBe("ok\n");
    w.proc.stdin.end();
    expect(await w.exited()).toBe(0);
  });

  it("lets running children finish when the daemon goes away, then exits", async () => {
    const w = new Wire();
    const file = join(dir, "finished");
    w.send(runFrame(60, ["sh", "-c", `sleep 0.3; echo done > ${file}`]));
    await w.next(STARTED, 60);
    w.proc.stdin.end();
    expect(await w.exited()).toBe(0);
    expect(await readFile(file, "utf8")).toBe("done\n");
  });

  it("kills children still running after the grace once the daemon is gone", async () => {
    const w = new Wire(["200"]);
    w.send(runFrame(70, ["sleep", "1000"]));
    const pid = (await w.next(STARTED, 70)).body.readUInt32LE(5);
    const t0 = Date.now();
    w.proc.stdin.end();
    expect(await w.exited()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(alive(pid)).toBe(false);
  });
});

describe("SpawnBroker when its helper fails", () => {
  /** A fallback that records what it was asked to run. */
  function recordingFallback(): ProcessRunner & { files: string[] } {
    const files: string[] = [];
    return {
      files,
      run: (file): Promise<RunResult> => {
        files.push(file);
        return Promise.resolve({
          stdout: "fallback",
          stderr: "",
          failed: false,
          timedOut: false,
          message: "",
          exitCode: 0,
        });
      },
    };
  }

  it("fails the calls of a helper that dies with InternalError, and starts a new helper next time", async () => {
    const fallback = recordingFallback();
    const broker = new SpawnBroker({ binary, fallback });
    const first = await broker.run("echo", ["up"]);
    expect(first.stdout).toBe("up");
    const helper = broker.helperPid;
    expect(helper).toBeDefined();
    const pending = broker.run("sleep", ["1000"]);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(helper as number, "SIGKILL");
    await expect(pending).rejects.toBeInstanceOf(InternalError);
    await expect(pending).rejects.toThrow("may or may not have run");
    const again = await broker.run("echo", ["again"]);
    expect(again.stdout).toBe("again");
    expect(broker.helperPid).not.toBe(helper);
    expect(fallback.files).toEqual([]);
    await broker.close();
  });

  it("runs everything on the fallback when the helper binary is missing", async () => {
    const fallback = recordingFallback();
    const broker = new SpawnBroker({ binary: join(dir, "no-such-broker"), fallback });
    const r = await broker.run("echo", ["x"]);
    expect(r.stdout).toBe("fallback");
    expect(fallback.files).toEqual(["echo"]);
    expect(broker.usingHelper).toBe(false);
  });

  it("reruns on the fallback the calls of a helper that never started", async () => {
    // A folder passes the executable check, but node cannot start it (EACCES): nothing it was sent ran.
    const bogus = join(dir, "bogus-broker");
    await mkdir(bogus);
    const fallback = recordingFallback();
    const broker = new SpawnBroker({ binary: bogus, fallback });
    const results = await Promise.all([broker.run("a", []), broker.run("b", [])]);
    expect(results.map((r) => r.stdout)).toEqual(["fallback", "fallback"]);
    expect(fallback.files.sort()).toEqual(["a", "b"]);
  });

  it("gives the helper up for the fallback after it dies three times in a row", async () => {
    const bogus = join(dir, "bogus-broker-2");
    await mkdir(bogus);
    const fallback = recordingFallback();
    const broker = new SpawnBroker({ binary: bogus, fallback });
    for (let i = 0; i < 3; i++) await broker.run("x", []);
    expect(broker.usingHelper).toBe(false);
  });

  it("does not keep node running while the helper is idle", async () => {
    const built = join(repoRoot(), "dist", "src", "effects", "spawn-broker.js");
    const script = `
      import { SpawnBroker } from ${JSON.stringify(built)};
      const b = new SpawnBroker({ binary: ${JSON.stringify(binary)} });
      console.log((await b.run("echo", ["done"])).stdout);
    `;
    const child = spawn("node", ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(-1);
      }, 10_000);
      child.once("exit", (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(out.trim()).toBe("done");
    expect(code).toBe(0);
  });
});
