/**
 * Attach end to end: the real daemon, conmon's attach socket and control fifo,
 * runc, the compiled CLI, and a hand-written HTTP client for the wire format.
 */
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { request } from "node:http";
import { runcStatus as runcStatusIn } from "../support/runc-view.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthClient } from "../../src/client/index.js";
import type { CloudEvent } from "../../src/events/index.js";
import {
  busyboxTar,
  CLI,
  startBerth,
  until,
  type Berth,
  type CliResult,
} from "../../src/harness/index.js";
import type { ContainerRecord } from "../../src/machines/index.js";

let berth: Berth;

const CTRL_P = "\x10";
const CTRL_Q = "\x11";

const create = async (...args: string[]) => (await berth.ok("create", ...args)).trim();
const inspect = async (ref: string) =>
  (JSON.parse(await berth.ok("inspect", ref)) as ContainerRecord[])[0]!;
/** What happened to the container: its history without the journaled intents ("request"). */
const actions = async (ref: string) =>
  (JSON.parse(await berth.ok("history", ref, "--format", "json")) as CloudEvent[])
    .map((e) => e.type.replace("io.berth.container.", ""))
    .filter((action) => action !== "request");
const runcStatus = (id: string) => runcStatusIn(berth.root, id);

/** The CLI with a stdin the test writes to, unlike `berth.cli`. */
function interactive(...args: string[]) {
  const child = spawn("node", [CLI, ...args], {
    env: { ...process.env, BERTH_SOCKET: berth.socket },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return { stdin: child.stdin, done, stdout: () => stdout };
}

/** A hand-made upgrade request over the daemon's socket, keeping every byte that comes back. */
interface RawAttach {
  status: string;
  headers: Record<string, string>;
  socket: Socket;
  body(): Buffer;
  /** The whole body once the daemon closed the connection. */
  closed: Promise<Buffer>;
}

async function rawAttach(path: string): Promise<RawAttach> {
  const socket = connect(berth.socket);
  let received = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
  );
  await until(() => received.includes("\r\n\r\n"), 15_000, "the attach response head");
  const headEnd = received.indexOf("\r\n\r\n");
  const [status = "", ...lines] = received.subarray(0, headEnd).toString().split("\r\n");
  const headers = Object.fromEntries(
    lines.map((l) => [
      l.slice(0, l.indexOf(":")).toLowerCase(),
      l.slice(l.indexOf(":") + 1).trim(),
    ]),
  );
  const body = () => received.subarray(headEnd + 4);
  return { status, headers, socket, body, closed: closed.then(body) };
}

/** One multiplexed frame, built by hand to check the daemon's bytes independently. */
const frame = (stream: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.from([stream, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
});

afterAll(async () => {
  await berth?.stop();
});

describe("attaching from the CLI", () => {
  it("start --attach shows stdout and stderr on their own streams, loses nothing, and exits with the container's code", async () => {
    const id = await create("busybox", "sh", "-c", "seq 1 3000; echo err >&2; exit 3");
    const r = await berth.cli("start", "--attach", id);
    expect(r.code).toBe(3);
    const lines = Array.from({ length: 3000 }, (_, i) => String(i + 1));
    expect(r.stdout).toBe(lines.join("\n"));
    expect(r.stderr).toBe("err");
    expect(await actions(id)).toEqual(["create", "init", "attach", "start", "died", "cleanup"]);
  });

  it("start --attach -i feeds stdin to a container created with -i, which ends when stdin ends", async () => {
    const id = await create("-i", "busybox", "cat");
    const cli = interactive("start", "--attach", "-i", id);
    cli.stdin.write("hello\n");
    await until(() => cli.stdout() === "hello\n", 15_000, "the echo of the first line");
    cli.stdin.end("world\n");
    const r = await cli.done;
    expect(r).toEqual({ code: 0, stdout: "hello\nworld\n", stderr: "" });
    expect((await inspect(id)).state).toBe("exited");
  });

  it("ctrl-p,ctrl-q detaches with exit 0 and no output, leaving the container running", async () => {
    const id = await create("-i", "busybox", "sh", "-c", "while true; do sleep 1; done");
    const cli = interactive("start", "--attach", "-i", id);
    await until(async () => (await inspect(id)).state === "running", 15_000, "the start");
    cli.stdin.write(CTRL_P + CTRL_Q);
    expect(await cli.done).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await runcStatus(id)).toBe("running");
    expect((await inspect(id)).state).toBe("running");
    await berth.ok("kill", "-s", "KILL", id);
  });

  it("attach detaches on custom --detach-keys and journals an attach event", async () => {
    const id = await create("-i", "busybox", "sh", "-c", "while true; do sleep 1; done");
    await berth.ok("start", id);
    const cli = interactive("attach", "--detach-keys", "ctrl-x,x", id);
    // Not the sequence: a lone ctrl-x followed by another key is passed on.
    cli.stdin.write("\x18y");
    await until(async () => (await actions(id)).includes("attach"), 15_000, "the attach event");
    cli.stdin.write("\x18x");
    expect((await cli.done).code).toBe(0);
    expect(await runcStatus(id)).toBe("running");
    expect(await actions(id)).toEqual(["create", "init", "start", "attach"]);
    await berth.ok("kill", "-s", "KILL", id);
  });

  it("runs a create -t container on a terminal", async () => {
    const id = await create("-t", "busybox", "tty");
    const r = await berth.cli("start", "--attach", id);
    expect(r.code).toBe(0);
    // The terminal turns "\n" into "\r\n"; execa strips the final one.
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+$/);
  });

  it("fails to attach to an exited container with the seed's message and exit 125", async () => {
    const id = await create("busybox", "true");
    await berth.ok("start", id);
    await berth.ok("wait", id);
    const r = await berth.cli("attach", id);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(
      "Error: can only attach to created or running containers: container state improper",
    );
    expect(await actions(id)).not.toContain("attach");
  });

  it("refuses detach keys it cannot spell before anything happens to the container", async () => {
    const id = await create("busybox", "true");
    const r = await berth.cli("start", "--attach", "--detach-keys", "alt-q", id);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`unknown key "alt-q"`);
    expect(await actions(id)).toEqual(["create"]);
  });
});

describe("attaching over HTTP", () => {
  it("upgrades the connection and frames stdout and stderr with 8-byte headers", async () => {
    const id = await create(
      "-i",
      "busybox",
      "sh",
      "-c",
      'read x; echo "o:$x"; sleep 1; echo "e:$x" >&2',
    );
    const a = await rawAttach(`/containers/${id}/attach?start=1&stdin=1&stdout=1&stderr=1`);
    expect(a.status).toBe("HTTP/1.1 101 UPGRADED");
    expect(a.headers).toMatchObject({
      "content-type": "application/vnd.docker.multiplexed-stream",
      connection: "Upgrade",
      upgrade: "tcp",
    });
    a.socket.write("hi\n");
    expect(await a.closed).toEqual(Buffer.concat([frame(1, "o:hi\n"), frame(2, "e:hi\n")]));
    expect((await berth.ok("wait", id)).trim()).toBe("0");
  });

  it("carries only the streams asked for", async () => {
    const id = await create("busybox", "sh", "-c", "echo out; echo err >&2");
    const a = await rawAttach(`/containers/${id}/attach?start=1&stderr=1`);
    expect(await a.closed).toEqual(frame(2, "err\n"));
  });

  it("replays the log before the live output when logs=1", async () => {
    const id = await create("-i", "busybox", "sh", "-c", 'echo first; read x; echo "got $x"');
    await berth.ok("start", id);
    await until(async () => (await berth.ok("logs", id)) === "first", 15_000, "the first line");
    const a = await rawAttach(`/containers/${id}/attach?logs=1&stream=1&stdin=1&stdout=1`);
    a.socket.write("second\n");
    expect(await a.closed).toEqual(Buffer.concat([frame(1, "first\n"), frame(1, "got second\n")]));
  });

  it("serves the framed log over a plain POST without an upgrade", async () => {
    const id = await create("busybox", "sh", "-c", "echo out; echo err >&2; sleep 1000");
    await berth.ok("start", id);
    await until(async () => (await berth.cli("logs", id)).stderr === "err", 15_000, "both lines");
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = request(
        {
          socketPath: berth.socket,
          method: "POST",
          path: `/containers/${id}/attach?logs=1&stream=0`,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks)));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(body).toEqual(Buffer.concat([frame(1, "out\n"), frame(2, "err\n")]));
  });

  it("streams raw terminal bytes, sized by the request and resized by the resize route", async () => {
    const id = await create("-t", "busybox", "sh", "-c", "stty size; sleep 2; stty size");
    const a = await rawAttach(`/containers/${id}/attach?start=1&h=20&w=70`);
    expect(a.headers["content-type"]).toBe("application/vnd.docker.raw-stream");
    await until(() => a.body().toString() === "20 70\r\n", 15_000, "the first size");
    await new BerthClient({ socketPath: berth.socket }).call(
      "POST",
      `/containers/${id}/resize?h=33&w=111`,
    );
    expect((await a.closed).toString()).toBe("20 70\r\n33 111\r\n");
  });

  it("answers a refused attach with the typed JSON error instead of upgrading", async () => {
    const id = await create("busybox", "true");
    await berth.ok("start", id);
    await berth.ok("wait", id);
    const a = await rawAttach(`/containers/${id}/attach`);
    expect(a.status).toBe("HTTP/1.1 409 Conflict");
    expect(JSON.parse((await a.closed).toString())).toEqual({
      error: {
        code: "CTR_STATE_INVALID",
        message: "can only attach to created or running containers: container state improper",
      },
    });
  });

  it("refuses to attach to neither stream nor logs", async () => {
    const id = await create("busybox", "true");
    await berth.ok("init", id);
    const a = await rawAttach(`/containers/${id}/attach?stream=0&logs=0`);
    expect(a.status).toBe("HTTP/1.1 400 Bad Request");
    expect(JSON.parse((await a.closed).toString())).toMatchObject({
      error: { code: "INVALID_ARG", message: "must specify at least one of stream or logs" },
    });
  });

  it("refuses to resize a container without a terminal", async () => {
    const id = await create("busybox", "true");
    await berth.ok("init", id);
    const resize = new BerthClient({ socketPath: berth.socket }).call(
      "POST",
      `/containers/${id}/resize?h=10&w=10`,
    );
    await expect(resize).rejects.toThrow("has no terminal to resize");
  });
});
