/**
 * Following a k8s-file log on a real filesystem the ways conmon changes it:
 * appends (a restart appends to the same file), a fresh file renamed over the
 * old one (`--log-size-max`), and an in-place truncation. No line is lost and
 * none is read twice.
 */
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { followK8sLog } from "../../src/effects/log-follow.js";
import type { FollowItem } from "../../src/effects/index.js";

const record = (text: string, tag = "F") =>
  `2026-01-01T00:00:00.000000001+00:00 stdout ${tag} ${text}\n`;

describe("following a k8s-file log", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-follow-"));
    file = join(dir, "ctr.log");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Follows `file` in the background; `texts()` is what it gave so far. */
  const follow = () => {
    let ended = false;
    const items: FollowItem[] = [];
    const done = (async () => {
      for await (const item of followK8sLog(file, { ended: () => ended, pollMs: 10 }))
        items.push(item);
    })();
    const texts = () => items.flatMap((i) => ("line" in i ? [i.line.text] : []));
    const until = async (n: number) => {
      const deadline = Date.now() + 5_000;
      while (texts().length < n) {
        if (Date.now() > deadline) throw new Error(`saw ${JSON.stringify(texts())}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const end = async () => {
      ended = true;
      await done;
    };
    return { items, texts, until, end };
  };

  it("gives the lines there at the start, a caught-up mark, then appended lines", async () => {
    await writeFile(file, record("a") + record("b"));
    const f = follow();
    await f.until(2);
    await appendFile(file, record("c"));
    await f.until(3);
    await f.end();
    expect(f.items.map((i) => ("line" in i ? i.line.text : "|"))).toEqual(["a", "b", "|", "c"]);
  });

  it("reads on into a file renamed over the old one, and after an in-place truncation, with nothing twice", async () => {
    await writeFile(file, record("a"));
    const f = follow();
    await f.until(1);
    // conmon at --log-size-max: a fresh file under a temporary name, renamed over the log.
    await appendFile(file, record("b"));
    await writeFile(`${file}.tmp`, record("c"));
    await rename(`${file}.tmp`, file);
    await f.until(3);
    await appendFile(file, record("d"));
    await f.until(4);
    await truncate(file, 0);
    await appendFile(file, record("e"));
    await f.until(5);
    await f.end();
    expect(f.texts()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("joins a line's fragments written in separate reads, and waits for a file not there yet", async () => {
    const f = follow();
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(file, record("hel", "P"));
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(file, record("lo"));
    await f.until(1);
    await f.end();
    expect(f.texts()).toEqual(["hello"]);
  });
});
