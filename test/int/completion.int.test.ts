/**
 * Shell completion against a running daemon: the scripts `berth completion`
 * prints, sourced in real bash and fish, complete container and image names;
 * the zsh script passes zsh's syntax check; a TAB with the daemon down
 * prints nothing and fails nothing.
 */
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, CLI, startBerth, tempDir, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let bin: string;

/** The scripts call `berth`: a wrapper on PATH runs the built CLI. */
const env = (socket: string) => ({
  PATH: `${bin}:${process.env.PATH ?? ""}`,
  BERTH_SOCKET: socket,
});

/** What bash offers for `line` with the cursor at its end, as COMPREPLY holds it. */
async function bashComplete(line: string, socket = berth.socket): Promise<string[]> {
  const script = [
    "source <(berth completion bash)",
    'COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}',
    'read -ra COMP_WORDS <<< "$COMP_LINE"',
    '[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")',
    "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))",
    "complete -p berth >/dev/null && _berth",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const r = await execa("bash", ["-c", script, "bash", line], { env: env(socket) });
  return r.stdout.split("\n").filter((w) => w !== "");
}

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  for (const name of ["web-1", "web-2", "worker"])
    await berth.ok("create", "--name", name, "busybox", "true");
  bin = await tempDir("berth-completion-");
  await writeFile(join(bin, "berth"), `#!/bin/sh\nexec node ${CLI} "$@"\n`);
  await chmod(join(bin, "berth"), 0o755);
});

afterAll(async () => {
  await berth?.stop();
});

describe("shell completion", () => {
  it("completes a container name prefix in bash from the running daemon", async () => {
    expect(await bashComplete("berth start we")).toEqual(["web-1", "web-2"]);
    expect(await bashComplete("berth stop web-1 w")).toEqual(["web-1", "web-2", "worker"]);
  });

  it("completes verbs and a verb's flags in bash", async () => {
    expect(await bashComplete("berth sto")).toEqual(["stop"]);
    expect(await bashComplete("berth stop --t")).toEqual(["--time"]);
    expect(await bashComplete("berth image ins")).toEqual(["inspect"]);
  });

  it("completes an image name past the colon bash breaks words at", async () => {
    expect(await bashComplete("berth create localhost/busy")).toEqual(["localhost/busybox:latest"]);
    // bash replaces only the part after the colon, so that part is what it must be given.
    expect(await bashComplete("berth create localhost/busybox:la")).toEqual(["latest"]);
  });

  it("offers no names and exits 0 when the daemon is down", async () => {
    const gone = join(bin, "no-daemon.sock");
    expect(await bashComplete("berth start we", gone)).toEqual([]);
    const r = await execa("node", [CLI, "__complete", "--", "start", "we"], {
      env: { BERTH_SOCKET: gone },
      reject: false,
    });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, "", ""]);
  });

  it("completes a container name prefix in fish", async () => {
    const r = await execa(
      "fish",
      ["--no-config", "-c", 'berth completion fish | source; complete -C "berth start wo"'],
      { env: env(berth.socket) },
    );
    expect(r.stdout.split("\n").map((l) => l.split("\t")[0])).toEqual(["worker"]);
  });

  it("prints a zsh script that zsh's syntax check accepts, and refuses an unknown shell", async () => {
    const script = await berth.ok("completion", "zsh");
    expect(script).toContain("compdef _berth berth");
    const file = join(bin, "_berth");
    await writeFile(file, script);
    await execa("zsh", ["-n", file]);
    const bad = await berth.cli("completion", "tcsh");
    expect([bad.code, bad.stderr.trim()]).toEqual([
      125,
      "Error: unsupported shell tcsh: use bash, zsh, fish",
    ]);
  });
});
