/**
 * Container logs stay bounded (issue 10, defect 11): conmon keeps a log file
 * within the daemon's `--log-size-max`, and `GET /containers/:ref/logs`
 * streams the file instead of reading it whole, which `berth logs` prints as
 * it arrives. Real runc, conmon and busybox containers.
 */
import { appendFile, stat } from "node:fs/promises";
import { request, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

const LOG_SIZE_MAX = 1024 * 1024;

/** A busybox awk script printing `n` numbered lines of about 100 bytes. */
const printLines = (n: number) =>
  `awk 'BEGIN { for (i = 0; i < ${n}; i++) printf "line %d %090d\\n", i, 0 }'`;

describe("container logs under a log size limit", () => {
  let berth: Berth;
  const logFile = (id: string) => join(berth.root, "containers", id, "ctr.log");

  /** Runs `script` in a new container to its end; returns the container's id. */
  const run = async (script: string) => {
    const id = (await berth.ok("create", "busybox", "sh", "-c", script)).trim();
    await berth.ok("start", id);
    expect((await berth.ok("wait", id)).trim()).toBe("0");
    return id;
  };

  beforeAll(async () => {
    berth = await startBerth({ args: ["--log-size-max", String(LOG_SIZE_MAX)] });
    await berth.ok("image", "import", busyboxTar(), "busybox");
  }, 60_000);
  afterAll(async () => {
    await berth?.stop();
  });

  it("keeps the log file of a container that writes far more than the limit within the limit, with its latest output", async () => {
    // About 3 MB of records, three times the limit.
    const id = await run(printLines(20_000));
    expect((await stat(logFile(id))).size).toBeLessThanOrEqual(LOG_SIZE_MAX);
    const out = (await berth.ok("logs", id)).trim().split("\n");
    expect(out.length).toBeGreaterThan(0);
    expect(out.at(-1)).toMatch(/^line 19999 0+$/);
  }, 120_000);

  it("streams a large log: lines added to the file after the first bytes went out are in the answer", async () => {
    // About 750 KB of records: within the limit, and far more than the socket buffers hold.
    const id = await run(printLines(5_000));
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ socketPath: berth.socket, path: `/containers/${id}/logs` }, resolve);
      req.on("error", reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    res.setEncoding("utf8");
    const chunks: string[] = [];
    const first = await new Promise<string>((resolve) =>
      res.once("data", (c: string) => {
        res.pause();
        resolve(c);
      }),
    );
    chunks.push(first);
    // The daemon has sent its first bytes; a daemon that had read the file whole
    // before answering could not know of a line written now.
    await appendFile(logFile(id), `${new Date().toISOString()} stdout F appended later\n`);
    res.resume();
    for await (const c of res as AsyncIterable<string>) chunks.push(c);
    const lines = JSON.parse(chunks.join("")) as { stream: string; text: string }[];
    expect(lines).toHaveLength(5_001);
    expect(lines.at(-1)).toMatchObject({ stream: "stdout", text: "appended later" });
    // And the CLI prints the same lines from the stream.
    const printed = (await berth.ok("logs", id)).trim().split("\n");
    expect(printed).toHaveLength(5_001);
    expect(printed[0]).toMatch(/^line 0 0+$/);
  }, 120_000);
});
