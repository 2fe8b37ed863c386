/**
 * A plain HTTP proxy in front of a test registry (registry.ts): it records
 * the requests it passes, and can cut a response part-way, ignore Range,
 * redirect blobs elsewhere (as a registry sends them to a CDN) or ask for a
 * bearer token, so the pull tests can make a registry misbehave on purpose.
 */
import { createServer, request, type Server } from "node:http";
import type { Registry } from "./registry.js";

/** A plain HTTP proxy in front of a registry that records paths and can cut responses. */
export interface Proxy {
  host: string;
  /** Request paths seen, in order (method and path, e.g. `GET /v2/x/blobs/sha256:…`). */
  requests: string[];
  /**
   * Decides, per request, after how many body bytes the connection is cut
   * (undefined: never). Called with the path and the Range header, if any.
   */
  cut?: (path: string, range: string | undefined) => number | undefined;
  /** Request lines that carried an Authorization header. */
  authorized: string[];
  /** When set (a host:port), blob requests are redirected there, as a registry sends them to a CDN. */
  redirectBlobsTo?: string;
  /** When true, a cut response ends cleanly (no Content-Length) instead of dropping the connection. */
  endEarly?: boolean;
  /** When false, Range headers are not passed on (a registry that ignores them). */
  passRange: boolean;
  /**
   * When set, the proxy asks for this bearer token (a `WWW-Authenticate:
   * Bearer` challenge whose realm is the proxy's own `/token`, which hands it
   * out to anyone, as a public registry does for anonymous pulls).
   */
  bearer?: string;
  close(): Promise<void>;
}

export async function startProxy(target: Registry): Promise<Proxy> {
  const proxy: Proxy = {
    host: "",
    requests: [],
    authorized: [],
    passRange: true,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    proxy.requests.push(`${req.method} ${path}`);
    if (req.headers.authorization !== undefined) proxy.authorized.push(`${req.method} ${path}`);
    if (proxy.redirectBlobsTo !== undefined && path.includes("/blobs/")) {
      res.writeHead(307, { location: `http://${proxy.redirectBlobsTo}${path}` });
      res.end();
      return;
    }
    const headers = { ...req.headers, host: target.host };
    if (proxy.bearer !== undefined) {
      if (path.startsWith("/token?")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ token: proxy.bearer }));
        return;
      }
      if (req.headers.authorization !== `Bearer ${proxy.bearer}`) {
        const realm = `http://${proxy.host}/token`;
        res.writeHead(401, {
          "www-authenticate": `Bearer realm="${realm}",service="berth-test",scope="x"`,
        });
        res.end();
        return;
      }
      delete headers.authorization;
    }
    if (!proxy.passRange) delete headers.range;
    const limit = proxy.cut?.(path, req.headers.range);
    const up = request(
      { host: "127.0.0.1", port: target.port, path, method: req.method, headers },
      (upRes) => {
        const early = limit !== undefined && proxy.endEarly === true;
        const { "content-length": _length, ...unsized } = upRes.headers;
        res.writeHead(upRes.statusCode ?? 502, early ? unsized : upRes.headers);
        let sent = 0;
        upRes.on("data", (chunk: Buffer) => {
          if (limit !== undefined && sent + chunk.length >= limit) {
            res.write(chunk.subarray(0, Math.max(0, limit - sent)));
            upRes.destroy();
            if (early) res.end();
            else res.socket?.destroy();
            return;
          }
          sent += chunk.length;
          res.write(chunk);
        });
        upRes.on("end", () => res.end());
      },
    );
    up.on("error", () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  proxy.host = `127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  return proxy;
}
