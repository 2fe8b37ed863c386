/**
 * A pull's progress on the terminal (issue 11): Podman's lines per blob,
 * redrawn in place and throttled on a terminal, final lines only elsewhere.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  blobLine,
  type BlobProgress,
  formatBytes,
  progressBar,
  progressFrame,
  PullProgress,
  shortDigest,
  type ProgressOutput,
} from "../../src/cli/pull-progress.js";
import type { BlobProgress as StoreProgress, Digest } from "../../src/images/index.js";

const MiB = 1024 * 1024;
const A = `sha256:3f4ca61aafcd${"a".repeat(52)}` as Digest;
const B = `sha256:9a0b0ce99936${"b".repeat(52)}` as Digest;
const at = (digest: Digest, received: number, size: number, skipped = false): StoreProgress => ({
  digest,
  size,
  received,
  skipped,
});

describe("byte sizes", () => {
  it("are shown in binary units with one decimal, as Podman shows them", () => {
    expect(formatBytes(12.3 * MiB)).toBe("12.3MiB");
    expect(formatBytes(40.1 * MiB)).toBe("40.1MiB");
    expect(formatBytes(1536)).toBe("1.5KiB");
    expect(formatBytes(2.5 * 1024 * MiB)).toBe("2.5GiB");
  });

  it("are whole bytes below a KiB, and move up a unit when rounding reaches 1024", () => {
    expect(formatBytes(0)).toBe("0B");
    expect(formatBytes(1023)).toBe("1023B");
    expect(formatBytes(1024)).toBe("1.0KiB");
    expect(formatBytes(MiB - 1)).toBe("1.0MiB");
  });
});

describe("a blob's line", () => {
  it("names the blob by the first 12 hex digits of its digest", () => {
    expect(shortDigest(A)).toBe("3f4ca61aafcd");
  });

  it("shows a bar and the bytes received of the total while the blob downloads", () => {
    expect(blobLine(at(B, 12.3 * MiB, 40.1 * MiB), 20)).toBe(
      "Copying blob 9a0b0ce99936 [=====>              ] 12.3MiB / 40.1MiB",
    );
  });

  it("says done once every byte arrived, and skipped for a blob already stored", () => {
    expect(blobLine(at(A, 5, 5))).toBe("Copying blob 3f4ca61aafcd done");
    expect(blobLine(at(A, 5, 5, true))).toBe("Copying blob 3f4ca61aafcd skipped: already exists");
  });

  it("has a bar as wide as asked, empty at the start and full at the end", () => {
    for (const received of [0, 1, 499, 500, 999, 1000]) {
      const bar = progressBar(received, 1000, 10);
      expect(bar).toHaveLength(10);
      expect(bar.replace(/ +$/, "").length).toBe(Math.floor((received / 1000) * 10));
    }
    expect(progressBar(0, 1000, 10)).toBe(" ".repeat(10));
    expect(progressBar(1000, 1000, 10)).toBe("=".repeat(10));
    expect(progressBar(2000, 1000, 10)).toBe("=".repeat(10));
  });
});

describe("the event shape", () => {
  it("takes the image store's BlobProgress events as they are", () => {
    const fromStore: StoreProgress = at(A, 1, 2);
    const shown: BlobProgress = fromStore;
    expect(blobLine(shown)).toContain(shortDigest(A));
  });
});

describe("a redrawn frame", () => {
  it("moves the cursor up over the lines drawn before and clears each line it rewrites", () => {
    expect(progressFrame(["one", "two"], 0)).toBe("\r\x1b[2Kone\n\r\x1b[2Ktwo\n");
    expect(progressFrame(["one", "two", "three"], 2)).toBe(
      "\x1b[2A\r\x1b[2Kone\n\r\x1b[2Ktwo\n\r\x1b[2Kthree\n",
    );
  });
});

/** An output that records what was written. */
function output(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  const out: ProgressOutput = {
    isTTY,
    ...(columns !== undefined && { columns }),
    write: (text: string) => writes.push(text),
  };
  return { out, writes };
}

describe("PullProgress on a terminal", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("redraws at most once per interval, and draws the latest state when the interval ends", () => {
    const { out, writes } = output(true);
    const p = new PullProgress(out, { intervalMs: 100 });
    p.update(at(A, 1, 1000));
    for (let i = 2; i <= 500; i++) p.update(at(A, i, 1000));
    expect(writes).toHaveLength(1);
    vi.advanceTimersByTime(99);
    expect(writes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain("500B / 1000B");
    vi.advanceTimersByTime(1000);
    expect(writes).toHaveLength(2);
  });

  it("keeps one line per blob in the order they started and rewrites them in place", () => {
    const { out, writes } = output(true);
    const p = new PullProgress(out, { intervalMs: 100 });
    p.update(at(A, 0, MiB));
    vi.advanceTimersByTime(100);
    p.update(at(B, 0, 2 * MiB, true));
    vi.advanceTimersByTime(100);
    p.update(at(A, MiB, MiB));
    p.finish();
    expect(writes.at(-1)).toBe(
      progressFrame(
        ["Copying blob 3f4ca61aafcd done", "Copying blob 9a0b0ce99936 skipped: already exists"],
        2,
      ),
    );
    expect(writes[1]!.startsWith("\x1b[1A")).toBe(true);
  });

  it("draws the final state at finish even inside the interval, then ignores late events", () => {
    const { out, writes } = output(true);
    const p = new PullProgress(out, { intervalMs: 100 });
    p.update(at(A, 1, 10));
    p.update(at(A, 10, 10));
    p.finish();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain("done");
    p.update(at(B, 1, 10));
    vi.advanceTimersByTime(1000);
    expect(writes).toHaveLength(2);
  });

  it("cuts lines to the terminal's width so none wraps", () => {
    const { out, writes } = output(true, 40);
    const p = new PullProgress(out);
    p.update(at(B, 12.3 * MiB, 40.1 * MiB));
    const line = writes[0]!.replace("\r\x1b[2K", "").replace("\n", "");
    expect(line).toHaveLength(39);
    expect(line).toBe(blobLine(at(B, 12.3 * MiB, 40.1 * MiB)).slice(0, 39));
  });
});

describe("PullProgress elsewhere than a terminal", () => {
  it("writes each blob's final line once, and no cursor movement", () => {
    const { out, writes } = output(false);
    const p = new PullProgress(out);
    p.update(at(A, 0, 100));
    p.update(at(A, 50, 100));
    p.update(at(B, 7, 7, true));
    p.update(at(A, 100, 100));
    p.update(at(A, 100, 100));
    p.finish();
    expect(writes).toEqual([
      "Copying blob 9a0b0ce99936 skipped: already exists\n",
      "Copying blob 3f4ca61aafcd done\n",
    ]);
    expect(writes.join("")).not.toContain("\x1b");
  });

  it("writes where an unfinished blob stopped when the pull ends without it", () => {
    const { out, writes } = output(false);
    const p = new PullProgress(out, { barWidth: 10 });
    p.update(at(A, 512, 2048));
    expect(writes).toEqual([]);
    p.finish();
    expect(writes).toEqual(["Copying blob 3f4ca61aafcd [=>        ] 512B / 2.0KiB\n"]);
  });
});
