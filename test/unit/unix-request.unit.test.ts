/**
 * The CLI's unary transport (src/client/unix-request.ts) against node's own
 * HTTP server on a unix socket in a temporary folder: every way the server
 * frames a body, a slow answer to a request with a body, and what is not HTTP.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAnswer, unaryRequest } from "../../src/client/unix-request.js";

let dir: string;
let server: Server;
let socketPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-unary-"));
  socketPath = join(dir, "http.sock");
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const echo = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === "/chunked") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write(echo.slice(0, 10));
        res.end(echo.slice(10));
      } else if (req.url === "/slow") {
        setTimeout(() => res.writeHead(201).end(echo), 100);
      } else if (req.url === "/missing") {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{}}');
      } else res.end(echo);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const ask = (path: string, body?: string) =>
  unaryRequest({
    socketPath,
    method: body === undefined ? "GET" : "POST",
    path,
    headers: { "x-berth-actor": "uid=0(root)" },
    ...(body !== undefined ? { body } : {}),
  });
const echoed = (body: Buffer) =>
  JSON.parse(body.toString("utf8")) as {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
  };

describe("a unary request over a unix socket", () => {
  it("reads a body framed by Content-Length, and sends the path and headers as given", async () => {
    const answer = await ask("/containers?all=1");
    expect(answer.status).toBe(200);
    const echo = echoed(answer.body);
    expect(echo).toMatchObject({ method: "GET", url: "/containers?all=1", body: "" });
    expect(echo.headers["x-berth-actor"]).toBe("uid=0(root)");
  });

  it("reads a chunked body whole", async () => {
    const answer = await ask("/chunked");
    expect(answer.headers.get("transfer-encoding")).toBe("chunked");
    expect(echoed(answer.body).url).toBe("/chunked");
  });

  it("waits for a slow answer to a request with a body, which a half-closed socket lost", async () => {
    const body = JSON.stringify({ image: "busybox", name: "ünïcode" });
    const answer = await ask("/slow", body);
    expect(answer.status).toBe(201);
    expect(echoed(answer.body)).toMatchObject({ method: "POST", body });
  });

  it("returns an error status with its body", async () => {
    const answer = await ask("/missing");
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).toBe('{"error":{}}');
  });

  it("rejects with the socket's ENOENT when nothing listens there", async () => {
    await expect(
      unaryRequest({ socketPath: join(dir, "none.sock"), method: "GET", path: "/", headers: {} }),
    ).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a header value with a line break before it connects", async () => {
    await expect(
      unaryRequest({ socketPath, method: "GET", path: "/", headers: { x: "a\r\nInjected: 1" } }),
    ).rejects.toThrow(/line break/);
  });

  it("rejects a peer that answers something other than HTTP as INTERNAL", async () => {
    const liar = join(dir, "liar.sock");
    const net = createNetServer((s) => s.resume().end("SSH-2.0-OpenSSH_9.2\r\n"));
    await new Promise<void>((resolve) => net.listen(liar, resolve));
    try {
      await expect(
        unaryRequest({ socketPath: liar, method: "GET", path: "/", headers: {} }),
      ).rejects.toMatchObject({ code: "INTERNAL" });
    } finally {
      await new Promise((resolve) => net.close(resolve));
    }
  });
});

describe("parsing an answer", () => {
  const raw = (s: string) => Buffer.from(s, "latin1");

  it("takes the body up to the close when there is no framing header", () => {
    expect(parseAnswer(raw("HTTP/1.1 200 OK\r\n\r\nhello")).body.toString()).toBe("hello");
  });

  it("ignores bytes past Content-Length", () => {
    expect(
      parseAnswer(raw("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhello")).body.toString(),
    ).toBe("he");
  });

  it("joins chunks and accepts chunk extensions", () => {
    const answer = parseAnswer(
      raw(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=1\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
      ),
    );
    expect(answer.body.toString()).toBe("hello");
  });

  it.each([
    ["headers cut off", "HTTP/1.1 200 OK\r\ncontent-le"],
    ["no status line", "hello\r\n\r\n"],
    ["a chunk cut off", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nff\r\nabc"],
    [
      "a chunk size that is not hexadecimal",
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    ],
    [
      "a chunked body with no last chunk",
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhe\r\n",
    ],
  ])("refuses %s as INTERNAL", (_what, text) => {
    expect(() => parseAnswer(raw(text))).toThrow(expect.objectContaining({ code: "INTERNAL" }));
  });
});
