/**
 * Issue 10, defect 3: archives travel as streams between the client and the
 * daemon. The daemon writes and reads no host path a caller names: export
 * streams the tar back for the CLI to write as its own user, import uploads
 * the archive, and a path on the daemon's host is an admin's explicit
 * `--force-local`, never a `host:path` that tar would hand to a remote shell.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxTar, CLI, startBerth, until, type Berth } from "../../src/harness/index.js";
import { daemonApi, failure } from "../support/daemon-api.js";

let berth: Berth;
let scratch: string;
const { api, history } = daemonApi(() => berth.socket);

/** What the daemon's staging folder holds: nothing once an archive has been streamed. */
const staged = async (root: string) =>
  existsSync(join(root, "staging")) ? await readdir(join(root, "staging")) : [];

/** A stopped container whose root filesystem holds a file of its own. */
/** Unpacked layer folders under `root` that hold `entry`. */
const layersHolding = async (root: string, entry: string) =>
  (await readdir(join(root, "layers")).catch(() => [] as string[])).filter((d) =>
    existsSync(join(root, "layers", d, entry)),
  );

/** The image events of a daemon's journal, in order. */
async function imageEvents(b: Berth): Promise<{ type: string; data: { names?: string[] } }[]> {
  const out = await b.ok("events", "--stream=false", "--filter", "type=image", "--format", "json");
  return out
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { type: string; data: { names?: string[] } });
}

async function containerWithMarker(): Promise<string> {
  const id = (await berth.ok("create", "busybox", "sh", "-c", "echo made-here > /marker")).trim();
  await berth.ok("start", id);
  await berth.ok("wait", id);
  return id;
}

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  scratch = await mkdtemp(join(tmpdir(), "berth-archives-"));
});

afterAll(async () => {
  await berth?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("export streams the archive to the client", () => {
  it("streams a tar that the CLI writes to -o, leaves nothing staged in the root, and journals the export", async () => {
    const id = await containerWithMarker();
    const tar = join(scratch, "rootfs.tar");
    await berth.ok("export", "-o", tar, id);
    expect((await execa("tar", ["-tf", tar])).stdout).toContain("./bin/busybox");
    expect((await execa("tar", ["-xOf", tar, "./marker"])).stdout).toBe("made-here");
    expect(await staged(berth.root)).toEqual([]);
    const last = (await history(id)).at(-1);
    expect(last?.type).toBe("io.berth.container.export");
    expect(last?.data).toMatchObject({ outcome: "success" });
  });

  it("writes the tar to stdout when no -o is given", async () => {
    const id = await containerWithMarker();
    const r = await execa("node", [CLI, "export", id], {
      env: { BERTH_SOCKET: berth.socket },
      encoding: "buffer",
    });
    const tar = join(scratch, "from-stdout.tar");
    await writeFile(tar, r.stdout);
    expect((await execa("tar", ["-xOf", tar, "./marker"])).stdout).toBe("made-here");
  });

  it("creates no file at a path the client names: the old export body is refused and the daemon wrote nothing there", async () => {
    const id = await containerWithMarker();
    const target = join(scratch, "daemon-wrote-this.tar");
    const err = await failure(api().call("POST", `/containers/${id}/export`, { path: target }));
    expect(err.code).toBe("INVALID_ARG");
    expect(existsSync(target)).toBe(false);
  });

  it("never follows a symlink the client names: its target keeps its content", async () => {
    const id = await containerWithMarker();
    const victim = join(scratch, "authorized_keys");
    const link = join(scratch, "innocent.tar");
    await writeFile(victim, "ssh-ed25519 AAAA keep-me\n");
    await symlink(victim, link);
    await failure(api().call("POST", `/containers/${id}/export`, { path: link }));
    expect(await readFile(victim, "utf8")).toBe("ssh-ed25519 AAAA keep-me\n");
  });

  it("removes the staged archive when the client goes away in the middle of the stream", async () => {
    const id = await containerWithMarker();
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { socketPath: berth.socket, path: `/containers/${id}/export`, method: "GET" },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.once("data", () => {
            res.destroy();
            resolve();
          });
        },
      );
      req.once("error", reject);
      req.end();
    });
    await until(async () => (await staged(berth.root)).length === 0, 15_000, "staging to empty");
    expect(await staged(berth.root)).toEqual([]);
  });

  it("leaves the file at -o as it was when the export fails, and no partial file beside it", async () => {
    const existing = join(scratch, "keep.tar");
    await writeFile(existing, "an older export\n");
    const r = await berth.cli("export", "-o", existing, "no-such-container");
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("no-such-container");
    expect(await readFile(existing, "utf8")).toBe("an older export\n");
    expect((await readdir(scratch)).filter((f) => f.includes(".berth-"))).toEqual([]);
  });

  it("makes an export to a folder the CLI's own error, before the daemon is asked", async () => {
    const id = await containerWithMarker();
    const before = (await history(id)).length;
    const r = await berth.cli("export", "-o", scratch, id);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`cannot write ${scratch}`);
    expect(await history(id)).toHaveLength(before);
  });
});

describe("import uploads the archive", () => {
  it("imports an archive uploaded by the CLI, keeping no copy of the upload", async () => {
    expect((await berth.ok("image", "import", busyboxTar(), "uploaded")).trim()).toMatch(
      /^sha256:[0-9a-f]{64}$/,
    );
    expect(await layersHolding(berth.root, "bin/busybox")).toHaveLength(1);
    expect(await staged(berth.root)).toEqual([]);
  });

  it("refuses a path on the daemon's host unless forceLocal says so, and then imports it", async () => {
    const err = await failure(
      api().call("POST", "/images", { tar: busyboxTar(), path: busyboxTar(), name: "sneaky" }),
    );
    expect(err.code).toBe("INVALID_ARG");
    expect(err.message).toContain("forceLocal");
    const events = (await imageEvents(berth)).length;
    await berth.ok("image", "import", "--force-local", busyboxTar(), "admin-local");
    const added = (await imageEvents(berth)).slice(events);
    expect(added.map((e) => [e.type, e.data.names])).toEqual([
      ["io.berth.image.import", ["localhost/admin-local:latest"]],
    ]);
  });
});

describe("a daemon with a small upload limit, whose working folder holds a file named 127.0.0.1:x", () => {
  let small: Berth;
  let cwd: string;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "berth-archives-cwd-"));
    // A valid archive under the name tar reads as "file x on host 127.0.0.1".
    await execa("tar", ["--force-local", "-cf", join(cwd, "127.0.0.1:x"), "-C", cwd, "."]);
    small = await startBerth({ cwd, args: ["--max-import-bytes", "4096"] });
  });

  afterAll(async () => {
    await small?.stop();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  const smallApi = () => daemonApi(() => small.socket).api();

  it("never hands 127.0.0.1:x to a remote shell: a relative path is refused before tar runs", async () => {
    const name = "127.0.0.1:x";
    const err = await failure(
      smallApi().call("POST", "/images", { path: name, name: "rsh", forceLocal: true }),
    );
    expect(err.code).toBe("INVALID_ARG");
    expect(err.message).toContain("must be an absolute path");
    expect(err.message).not.toContain("remote shell");
    expect(small.log()).not.toContain("remote shell");
    expect(await imageEvents(small)).toEqual([]);
  });

  it("refuses an upload larger than --max-import-bytes with PAYLOAD_TOO_LARGE and keeps nothing of it", async () => {
    const r = await small.cli("image", "import", busyboxTar(), "too-big");
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("--max-import-bytes 4096");
    expect(await imageEvents(small)).toEqual([]);
    expect(await layersHolding(small.root, "bin")).toEqual([]);
    expect(await staged(small.root)).toEqual([]);
    // The daemon still serves.
    expect((await small.ok("ps")).length).toBeGreaterThan(0);
  });
});

describe("checkpoint archives", () => {
  it("refuses a checkpoint targetFile that is a host path, before anything is journaled", async () => {
    const id = (await berth.ok("create", "busybox", "sleep", "1000")).trim();
    await berth.ok("start", id);
    const before = (await history(id)).length;
    for (const targetFile of [join(scratch, "ckpt.tar"), "../ckpt.tar", "a/b"]) {
      const err = await failure(api().call("POST", `/containers/${id}/checkpoint`, { targetFile }));
      expect(err.code).toBe("INVALID_ARG");
      expect(err.message).toContain("checkpoint name");
    }
    expect(await history(id)).toHaveLength(before);
    expect(existsSync(join(scratch, "ckpt.tar"))).toBe(false);
    await berth.ok("rm", "-f", "-t", "0", id);
  });
});

describe("a daemon that died with an archive staged", () => {
  it("removes the leftover at its next start", async () => {
    await berth.kill("SIGKILL");
    const leftover = join(berth.root, "staging", "export-left-behind.tar");
    await mkdir(join(berth.root, "staging"), { recursive: true });
    await writeFile(leftover, "half an export");
    await berth.start();
    expect(existsSync(leftover)).toBe(false);
  });
});
