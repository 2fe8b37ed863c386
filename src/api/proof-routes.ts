/**
 * Checkpoints and proofs over HTTP: the host's public key, a checkpoint on
 * demand, the list of checkpoints, and inclusion or consistency proofs that
 * an auditor checks with nothing but that key (`berth audit check-proof`).
 */
import { InvalidArgError, UnsupportedError } from "../errors.js";
import type { AuditCheckpoints } from "../service/index.js";
import { sendJson } from "./http-io.js";
import type { Handler } from "./router.js";

/** A whole, positive decimal number from the query, or undefined when absent. */
function count(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw)) {
    throw new InvalidArgError(`invalid ${name} ${JSON.stringify(raw)}: use a whole number`);
  }
  return Number(raw);
}

export function proofRoutes(checkpoints: AuditCheckpoints | undefined): Record<string, Handler> {
  const port = () => {
    if (!checkpoints) throw new UnsupportedError("this daemon signs no checkpoints");
    return checkpoints;
  };
  return {
    "GET /audit/key": async ({ res }) => {
      sendJson(res, 200, await Promise.resolve(port().key()));
    },
    "POST /audit/checkpoint": async ({ res, meta }) => {
      sendJson(res, 201, await port().sign(meta));
    },
    "GET /audit/checkpoints": async ({ res }) => {
      sendJson(res, 200, await port().list());
    },
    "GET /audit/prove": async ({ res, url, meta }) => {
      const seq = count(url, "seq");
      const from = count(url, "from");
      const to = count(url, "to");
      const at = count(url, "checkpoint");
      if (seq !== undefined && from === undefined && to === undefined) {
        sendJson(res, 200, await port().proveInclusion(seq, meta, at));
      } else if (seq === undefined && at === undefined && from !== undefined && to !== undefined) {
        sendJson(res, 200, await port().proveConsistency(from, to));
      } else {
        throw new InvalidArgError(
          "prove needs seq (and optionally checkpoint), or both from and to: checkpoint sizes",
        );
      }
    },
  };
}
