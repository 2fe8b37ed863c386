/**
 * The image verbs through the CLI and the real daemon, against a real
 * registry (docker-registry, filled by skopeo): pull and run with the image's
 * configuration, an auth file read by the CLI, names, removal and prune, with
 * every change an image event in the journal.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  busyboxTar,
  pushLayout,
  startBerth,
  startRegistry,
  tempDir,
  type Berth,
  type Registry,
} from "../../src/harness/index.js";
import { tarOf, writeOciLayout } from "../support/oci-build.js";

let berth: Berth;
let open: Registry;
let locked: Registry;
let work: string;

const CMD = ["sh", "-c", 'echo "$GREETING from $(pwd)"'];

beforeAll(async () => {
  work = await tempDir("berth-image-verbs-");
  const layout = join(work, "layout");
  await writeOciLayout(
    layout,
    "v1",
    [await readFile(busyboxTar()), await tarOf([{ name: "srv/", type: "directory" }])],
    { config: { Cmd: CMD, Env: ["GREETING=hello"], WorkingDir: "/srv" } },
  );
  [open, locked] = await Promise.all([
    startRegistry(),
    startRegistry({ user: { name: "alice", password: "s3cret" } }),
  ]);
  await pushLayout(layout, "v1", open.host, "team/demo");
  await pushLayout(layout, "v1", locked.host, "team/demo", { creds: "alice:s3cret" });
  berth = await startBerth();
}, 120_000);

afterAll(async () => {
  await berth?.stop();
  await open?.stop();
  await locked?.stop();
});

/** The image events of the journal, in order, as [action, names or name]. */
async function imageEvents(): Promise<[string, unknown][]> {
  const text = await berth.ok(
    "events",
    "--stream=false",
    "--filter",
    "type=image",
    "--format",
    "json",
  );
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: { names?: string[]; name?: string } })
    .map((e) => [e.type.slice("io.berth.image.".length), e.data.names ?? e.data.name]);
}

describe("image verbs", () => {
  it("pulls from a registry, prints the id, and runs the image's command with its Env and WorkingDir", async () => {
    const ref = `${open.host}/team/demo:v1`;
    const r = await berth.cli("pull", "--tls-verify=false", ref);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await imageEvents()).toContainEqual(["pull", [ref]]);
    const ctr = (await berth.ok("create", ref)).trim();
    await berth.ok("start", ctr);
    await berth.ok("wait", ctr);
    expect((await berth.ok("logs", ctr)).trim()).toBe("hello from /srv");
    const table = await berth.ok("images");
    expect(table).toMatch(new RegExp(`${open.host}/team/demo\\s+v1\\s+${id.slice(0, 12)}`));
  });

  it("refuses a plain-HTTP registry unless told, and a locked one without credentials", async () => {
    const plain = await berth.cli("pull", "-q", `${open.host}/team/demo:v1`);
    expect(plain.code).toBe(125);
    expect(plain.stderr).toContain("--tls-verify=false");
    const anonymous = await berth.cli(
      "pull",
      "-q",
      "--tls-verify=false",
      `${locked.host}/team/demo:v1`,
    );
    expect(anonymous.code).toBe(125);
    expect(anonymous.stderr).toContain("requires credentials");
  });

  it("reads the credentials from an auth file as the CLI's user, and from --creds", async () => {
    const authfile = join(work, "auth.json");
    const auth = Buffer.from("alice:s3cret").toString("base64");
    await writeFile(authfile, JSON.stringify({ auths: { [locked.host]: { auth } } }), {
      mode: 0o600,
    });
    const ref = `${locked.host}/team/demo:v1`;
    await berth.ok("image", "pull", "-q", "--tls-verify=false", "--authfile", authfile, ref);
    await berth.ok("image", "pull", "-q", "--tls-verify=false", "--creds", "alice:s3cret", ref);
    const wrong = await berth.cli("pull", "-q", "--tls-verify=false", "--creds", "alice:nope", ref);
    expect(wrong.code).toBe(125);
  });

  it("tags, untags and removes, journaling each change, and refuses removal while a container uses the image", async () => {
    await berth.ok("image", "import", busyboxTar(), "box");
    await berth.ok("tag", "box", "box:v2", "quay.io/team/box:1");
    const inspected = JSON.parse(await berth.ok("image", "inspect", "box:v2")) as {
      image: { names: string[] };
    }[];
    expect(inspected[0]?.image.names).toEqual([
      "localhost/box:latest",
      "localhost/box:v2",
      "quay.io/team/box:1",
    ]);
    expect((await berth.ok("rmi", "quay.io/team/box:1")).trim()).toBe(
      "Untagged: quay.io/team/box:1",
    );
    await berth.ok("image", "untag", "box", "box:v2");
    const ctr = (await berth.ok("create", "box", "true")).trim();
    const refused = await berth.cli("rmi", "box");
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain("in use");
    const forced = await berth.ok("rmi", "-f", "box");
    expect(forced).toContain("Untagged: localhost/box:latest");
    expect(forced).toMatch(/Deleted: [0-9a-f]{64}/);
    // The container keeps its pinned layers: it still runs.
    await berth.ok("start", ctr);
    expect((await berth.ok("wait", ctr)).trim()).toBe("0");
    expect((await imageEvents()).slice(-5)).toEqual([
      ["tag", "localhost/box:v2"],
      ["tag", "quay.io/team/box:1"],
      ["untag", "quay.io/team/box:1"],
      ["untag", "localhost/box:v2"],
      ["remove", ["localhost/box:latest"]],
    ]);
  });

  it("loads a docker archive with its own names, and prunes a nameless unused image", async () => {
    const archive = join(work, "demo.tar");
    await execa("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://${open.host}/team/demo:v1`,
      `docker-archive:${archive}:localhost/loaded:1`,
    ]);
    const out = await berth.ok("load", "-i", archive);
    expect(out.trim()).toBe("Loaded image: localhost/loaded:1");
    // busybox's own image is still used by the container of the test above: this one is not.
    const lone = join(work, "lone.tar");
    await writeFile(lone, await tarOf([{ name: "lone", content: "only here\n" }]));
    await berth.ok("image", "import", lone);
    const nameless = JSON.parse(await berth.ok("images", "--format", "json")) as {
      id: string;
      names: string[];
    }[];
    const orphan = nameless.find((i) => i.names.length === 0);
    expect(orphan).toBeDefined();
    const pruned = await berth.ok("image", "prune");
    expect(pruned.split("\n").filter(Boolean)).toContain(orphan!.id);
    expect(await berth.ok("images", "-q")).not.toContain(orphan!.id.slice(0, 12));
  });

  it("answers bad references with a typed error and keeps serving", async () => {
    for (const ref of [
      "UPPER/case",
      "../x",
      "a".repeat(600),
      `x@sha256:${"z".repeat(64)}`,
      "nosuch:tag",
    ]) {
      const r = await berth.cli("image", "inspect", ref);
      expect(r.code, ref).toBe(125);
      expect(r.stderr).toMatch(/image not known|invalid/);
    }
    const pull = await berth.cli("pull", "-q", "--tls-verify=false", "http://evil/x");
    expect(pull.code).toBe(125);
    expect(pull.stderr).toContain("invalid");
    expect((await berth.ok("images")).length).toBeGreaterThan(0);
  });
});
