/**
 * The process runner contract: one suite, run against every adapter
 * (test/int/process-runner.int.test.ts). Every test runs real processes.
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants as fsc, existsSync, openSync, readSync, writeSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FILES, type ProcessRunner } from "../../src/effects/process-runner.js";

export interface RunnerFixture {
  runner: ProcessRunner;
  cleanup: () => Promise<void>;
}

/** True while a process with that pid exists (a zombie counts: it is not reaped yet). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(probe: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pid a `sh -c 'echo $$ > file; ...'` child wrote. */
function pidIn(file: string): Promise<number> {
  return until(async () => {
    const text = await readFile(file, "utf8").catch(() => "");
    return text.endsWith("\n") ? Number(text.trim()) : undefined;
  });
}

export function runnerContract(name: string, open: () => Promise<RunnerFixture>) {
  describe(`process runner contract: ${name}`, () => {
    let fx: RunnerFixture;
    let dir: string;
    beforeAll(async () => {
      fx = await open();
      dir = await mkdtemp(join(tmpdir(), "berth-runner-"));
    });
    afterAll(async () => {
      await fx.cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    it("resolves a command that exits 0 as not failed, with its output and no message", async () => {
      const r = await fx.runner.run("sh", ["-c", "echo hello"]);
      expect(r).toMatchObject({ exitCode: 0, failed: false, timedOut: false, stdout: "hello" });
      expect(r.message).toBe("");
      expect(r.signal).toBeUndefined();
    });

    it("keeps stdout and stderr apart and reports a non-zero exit as failed", async () => {
      const r = await fx.runner.run("sh", ["-c", "echo out; echo err >&2; echo out2; exit 3"]);
      expect(r.exitCode).toBe(3);
      expect(r.failed).toBe(true);
      expect(r.stdout).toBe("out\nout2");
      expect(r.stderr).toBe("err");
      expect(r.message).toContain("exit code 3");
    });

    it("captures megabytes on both streams at once, byte for byte", async () => {
      const r = await fx.runner.run("sh", [
        "-c",
        "head -c 3000000 /dev/zero | tr '\\0' o & head -c 2000000 /dev/zero | tr '\\0' e >&2; wait",
      ]);
      expect(r.failed).toBe(false);
      expect(r.stdout.length).toBe(3_000_000);
      expect(r.stderr.length).toBe(2_000_000);
      expect(/^o+$/.test(r.stdout) && /^e+$/.test(r.stderr)).toBe(true);
    });

    it("answers a missing program with ENOENT and its name, not an exit code", async () => {
      const r = await fx.runner.run("/nonexistent/berth-no-such-tool", ["x"]);
      expect(r.failed).toBe(true);
      expect(r.code).toBe("ENOENT");
      expect(r.exitCode).toBeUndefined();
      expect(r.message).toContain("/nonexistent/berth-no-such-tool");
    });

    it("looks a bare program name up in PATH", async () => {
      const r = await fx.runner.run("true", []);
      expect(r).toMatchObject({ exitCode: 0, failed: false });
    });

    it("runs the command in the given working folder", async () => {
      const r = await fx.runner.run("pwd", [], { cwd: dir });
      expect(r.stdout).toBe(dir);
    });

    it("fails a command whose working folder does not exist, naming the folder", async () => {
      const missing = join(dir, "no-such-folder");
      const r = await fx.runner.run("true", [], { cwd: missing });
      expect(r.failed).toBe(true);
      expect(r.exitCode).toBeUndefined();
      expect(r.message).toContain(missing);
    });

    it("adds the given variables to the daemon's environment", async () => {
      process.env.BERTH_RUNNER_INHERITED ??= "from-parent";
      const r = await fx.runner.run(
        "sh",
        ["-c", 'printf "%s|%s|%s" "$BERTH_T" "$BERTH_RUNNER_INHERITED" "$HOME"'],
        { env: { BERTH_T: "a b\nc" } },
      );
      expect(r.stdout).toBe(`a b\nc|from-parent|${process.env.HOME ?? ""}`);
    });

    it("inherits the daemon's environment when given none", async () => {
      const r = await fx.runner.run("sh", ["-c", 'printf "%s" "$PATH"']);
      expect(r.stdout).toBe(process.env.PATH);
    });

    it("reports a child killed by a signal with the signal's name and no exit code", async () => {
      const r = await fx.runner.run("sh", ["-c", "kill -KILL $$"]);
      expect(r.signal).toBe("SIGKILL");
      expect(r.exitCode).toBeUndefined();
      expect(r.failed).toBe(true);
      expect(r.message).toContain("SIGKILL");
    });

    it("starts the child with nothing blocked and no signal ignored", async () => {
      // A broker that blocks SIGCHLD or ignores SIGPIPE, SIGINT or SIGHUP must not pass that on.
      // glibc's posix_spawn leaves its two internal signals (32, 33) ignored in every child it
      // starts, by design; no program is sent those.
      const r = await fx.runner.run("sh", ["-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"]);
      const mask = (name: string) =>
        BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(r.stdout)?.[1] ?? "x"}`);
      const glibcInternal = (1n << 31n) | (1n << 32n);
      expect(mask("SigBlk")).toBe(0n);
      expect(mask("SigIgn") & ~glibcInternal).toBe(0n);
    });

    it("gives the child /dev/null as stdin", async () => {
      const r = await fx.runner.run("sh", ["-c", "readlink /proc/self/fd/0; cat"]);
      expect(r.stdout).toBe("/dev/null");
    });

    it("kills the child when the signal aborts, and rejects with the abort reason", async () => {
      const file = join(dir, "abort.pid");
      const ac = new AbortController();
      const running = fx.runner.run("sh", ["-c", `echo $$ > ${file}; exec sleep 1000`], {
        signal: ac.signal,
      });
      const pid = await pidIn(file);
      expect(alive(pid)).toBe(true);
      const reason = new Error("cancelled by the test");
      ac.abort(reason);
      await expect(running).rejects.toBe(reason);
      expect(alive(pid)).toBe(false);
    });

    it("kills a child that ignores SIGTERM with SIGKILL after the grace", async () => {
      const file = join(dir, "stubborn.pid");
      const ac = new AbortController();
      const t0 = Date.now();
      const running = fx.runner.run(
        "sh",
        ["-c", `trap '' TERM; echo $$ > ${file}; exec sleep 1000`],
        { signal: ac.signal, forceKillAfterMs: 300 },
      );
      const pid = await pidIn(file);
      ac.abort(new Error("stop"));
      await expect(running).rejects.toThrow("stop");
      expect(alive(pid)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(4_000);
    });

    it("rejects at once, running nothing, when the signal has already aborted", async () => {
      const file = join(dir, "never");
      const reason = new Error("too late");
      const r = fx.runner.run("sh", ["-c", `touch ${file}`], { signal: AbortSignal.abort(reason) });
      await expect(r).rejects.toBe(reason);
      await new Promise((res) => setTimeout(res, 100));
      expect(existsSync(file)).toBe(false);
    });

    it("kills a command that runs past its timeout and says it timed out", async () => {
      const t0 = Date.now();
      const r = await fx.runner.run("sleep", ["1000"], { timeoutMs: 200 });
      expect(r.timedOut).toBe(true);
      expect(r.failed).toBe(true);
      expect(r.signal).toBe("SIGTERM");
      expect(r.message).toContain("timed out");
      expect(Date.now() - t0).toBeLessThan(3_000);
    });

    it("leaves a command that finishes in time alone", async () => {
      const r = await fx.runner.run("sh", ["-c", "echo quick"], { timeoutMs: 5_000 });
      expect(r).toMatchObject({ timedOut: false, failed: false, stdout: "quick" });
    });

    it("runs 200 commands at once, each answered with its own output", async () => {
      const runs = Array.from({ length: 200 }, (_, i) =>
        fx.runner.run("sh", ["-c", 'echo "$1"; echo "e$1" >&2; exit $(($1 % 3))', "sh", `${i}`]),
      );
      const results = await Promise.all(runs);
      results.forEach((r, i) => {
        expect(r.stdout).toBe(`${i}`);
        expect(r.stderr).toBe(`e${i}`);
        expect(r.exitCode).toBe(i % 3);
      });
    });

    it("passes argv through unchanged: newlines, empty strings, UTF-8, quotes", async () => {
      const args = ["a\nb", "", "ü€😀", "'\"$HOME`x`", " lead", "tab\there", "back\\slash"];
      const r = await fx.runner.run("printf", ["%s|", ...args]);
      expect(r.stdout).toBe(args.map((a) => `${a}|`).join(""));
    });

    it("passes a large argv: thousands of arguments and one of 100 KB", async () => {
      const big = "x".repeat(100_000);
      const many = Array.from({ length: 5_000 }, (_, i) => `arg-${i}`);
      const r = await fx.runner.run("sh", ["-c", 'echo "$#" "${#1}" "$2"', "sh", big, ...many]);
      expect(r.stdout).toBe(`5001 100000 arg-0`);
    });

    it("answers an argument past the kernel's limit with E2BIG rather than hanging", async () => {
      const r = await fx.runner.run("true", ["y".repeat(300_000)]);
      expect(r.failed).toBe(true);
      expect(r.code).toBe("E2BIG");
    });

    it("opens FIFOs onto the descriptors it is given: the child reads fd 4 and writes fd 3", async () => {
      const sync = join(dir, "sync.fifo");
      const start = join(dir, "start.fifo");
      execFileSync("mkfifo", [sync, start]);
      // The other ends first, so the child's opens do not block.
      const reader = openSync(sync, fsc.O_RDONLY | fsc.O_NONBLOCK);
      const writer = openSync(start, fsc.O_RDWR);
      try {
        writeSync(writer, "ping\n");
        const r = await fx.runner.run("sh", ["-c", 'read x <&4; echo "got $x" >&3; echo done'], {
          files: [
            { fd: 3, path: sync, flags: fsc.O_WRONLY },
            { fd: 4, path: start, flags: fsc.O_RDONLY },
          ],
        });
        expect(r).toMatchObject({ exitCode: 0, failed: false, stdout: "done" });
        const buf = Buffer.alloc(64);
        const n = readSync(reader, buf);
        expect(buf.toString("utf8", 0, n)).toBe("got ping\n");
        // The child's end is closed once it is gone: the reader sees the end.
        expect(readSync(reader, buf)).toBe(0);
      } finally {
        closeSync(reader);
        closeSync(writer);
      }
    });

    it("creates a file onto a descriptor with O_CREAT and the mode given", async () => {
      const file = join(dir, "fd5.txt");
      const r = await fx.runner.run("sh", ["-c", "echo hi >&5"], {
        files: [
          { fd: 5, path: file, flags: fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, mode: 0o640 },
        ],
      });
      expect(r.failed).toBe(false);
      expect(await readFile(file, "utf8")).toBe("hi\n");
      expect((await stat(file)).mode & 0o777).toBe(0o640);
    });

    it("does not run a command whose files cannot be given, and says why", async () => {
      const marker = join(dir, "ran-with-bad-files");
      const touch = (files: Parameters<ProcessRunner["run"]>[2]) =>
        fx.runner.run("touch", [marker], files);
      const missing = await touch({
        files: [{ fd: 3, path: join(dir, "no-such-file"), flags: fsc.O_RDONLY }],
      });
      expect(missing).toMatchObject({ failed: true, code: "ENOENT" });
      expect(missing.message).toContain("no-such-file");
      const low = await touch({ files: [{ fd: 2, path: "/dev/null", flags: fsc.O_RDONLY }] });
      expect(low).toMatchObject({ failed: true, code: "EBADF" });
      const high = await touch({ files: [{ fd: 64, path: "/dev/null", flags: fsc.O_RDONLY }] });
      expect(high).toMatchObject({ failed: true, code: "EBADF" });
      const twice = await touch({
        files: [3, 3].map((fd) => ({ fd, path: "/dev/null", flags: fsc.O_RDONLY })),
      });
      expect(twice).toMatchObject({ failed: true, code: "EINVAL" });
      const many = await touch({
        files: Array.from({ length: MAX_FILES + 1 }, (_, i) => ({
          fd: 3 + i,
          path: "/dev/null",
          flags: fsc.O_RDONLY,
        })),
      });
      expect(many).toMatchObject({ failed: true, code: "E2BIG" });
      expect(existsSync(marker)).toBe(false);
      const fine = await touch({ files: [{ fd: 9, path: "/dev/null", flags: fsc.O_RDONLY }] });
      expect(fine.failed).toBe(false);
      expect(existsSync(marker)).toBe(true);
    });

    it("starts a command in a session of its own with newSession, and in the daemon's without", async () => {
      const sid = "awk '{print $6}' /proc/$$/stat";
      const own = await fx.runner.run("sh", ["-c", sid], { newSession: true });
      expect(own.stdout).toBe(String(own.pid));
      const shared = await fx.runner.run("sh", ["-c", sid]);
      expect(shared.stdout).not.toBe(String(shared.pid));
    });
  });
}
