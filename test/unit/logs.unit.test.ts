import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseK8sLog, streamK8sLog } from "../../src/effects/logs.js";

const T1 = "2026-11-28T14:23:38.004192396+00:00";
const T2 = "2026-11-28T14:23:38.004252418+00:00";
const T3 = "2026-11-28T14:23:39.000000001+00:00";

describe("parseK8sLog", () => {
  it("reads full lines with their time and stream", () => {
    const text = `${T1} stdout F hi\n${T2} stderr F err\n`;
    expect(parseK8sLog(text)).toEqual([
      { time: T1, stream: "stdout", text: "hi" },
      { time: T2, stream: "stderr", text: "err" },
    ]);
  });

  it("joins partial records with the next full one of the same stream", () => {
    const text = `${T1} stdout P abc\n${T2} stdout P def\n${T3} stdout F ghi\n`;
    expect(parseK8sLog(text)).toEqual([{ time: T1, stream: "stdout", text: "abcdefghi" }]);
  });

  it("keeps partial stdout apart from interleaved stderr", () => {
    const text = `${T1} stdout P out-\n${T2} stderr F err\n${T3} stdout F end\n`;
    expect(parseK8sLog(text)).toEqual([
      { time: T2, stream: "stderr", text: "err" },
      { time: T1, stream: "stdout", text: "out-end" },
    ]);
  });

  it("returns a trailing partial line that has no final record yet", () => {
    expect(parseK8sLog(`${T1} stdout P no newline\n`)).toEqual([
      { time: T1, stream: "stdout", text: "no newline" },
    ]);
  });

  it("keeps empty lines and spaces inside the text", () => {
    const text = `${T1} stdout F \n${T2} stdout F  two  spaces \n`;
    expect(parseK8sLog(text).map((l) => l.text)).toEqual(["", " two  spaces "]);
  });

  it("skips a torn last record and malformed ones", () => {
    const text = `garbage\n${T1} stdout F ok\n${T2} stdout F half-writ`;
    expect(parseK8sLog(text)).toEqual([{ time: T1, stream: "stdout", text: "ok" }]);
  });

  it("returns nothing for an empty log", () => {
    expect(parseK8sLog("")).toEqual([]);
  });
});

describe("streamK8sLog", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-logs-unit-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const collect = async (file: string) => {
    const lines = [];
    for await (const line of streamK8sLog(file)) lines.push(line);
    return lines;
  };

  it("gives the same lines as a whole-file parse for a log larger than one read, torn end and all", async () => {
    // Records cross the read stream's 64 KiB chunks, and fragments join across them.
    const records: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      records.push(
        `${T1} stdout P part-${i}-`,
        `${T2} stderr F err ${i}`,
        `${T3} stdout F end-${i}`,
      );
    }
    const text = `${records.join("\n")}\n${T1} stdout F torn`;
    const file = join(dir, "big.log");
    await writeFile(file, text);
    const lines = await collect(file);
    expect(lines).toEqual(parseK8sLog(text));
    expect(lines).toHaveLength(6_000);
    expect(lines.at(-1)).toEqual({ time: T1, stream: "stdout", text: "part-2999-end-2999" });
  });

  it("gives no lines for a container that has no log file yet", async () => {
    expect(await collect(join(dir, "missing.log"))).toEqual([]);
  });
});
