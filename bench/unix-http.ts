/**
 * One HTTP request over a unix socket, for the benches that drive an API
 * server other than berth's own client (Docker-compatible and libpod).
 */
import { request, type Agent } from "node:http";

/** A server the bench drives: its name in failures, where it listens, one client pool. */
export interface UnixServer {
  label: string;
  socket: string;
  agent: Agent;
}

export interface Answer {
  status: number;
  body: string;
}

/** Any status of 400 or more rejects, with the server's message, so a bench never times a failure. */
export function unixCall(
  server: UnixServer,
  method: string,
  path: string,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    const req = request(
      { socketPath: server.socket, agent: server.agent, method, path, headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 400)
            reject(new Error(`${server.label}: ${method} ${path} answered ${status}: ${text}`));
          else resolve({ status, body: text });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
