/**
 * Audit and replay over HTTP: verify the hash chain, export the journal,
 * rebuild projections to compare, and read a container as it was.
 */
import type { ServerResponse } from "node:http";
import { InvalidArgError, UnsupportedError } from "../errors.js";
import type { CloudEvent } from "../events/index.js";
import type { AuditCheckpoints, ContainerService } from "../service/index.js";
import { verifyProjections } from "../service/index.js";
import { verifyChain, type Journal } from "../store/index.js";
import { sendJson } from "./http-io.js";
import { flag } from "./route-input.js";
import type { Handler } from "./router.js";

/** An RFC3339 time or a global sequence number: where `inspect --at` and exports cut. */
export function pointInTime(raw: string, what: string): { seq: number } | { time: string } {
  if (/^\d+$/.test(raw)) return { seq: Number(raw) };
  const t = Date.parse(raw);
  if (Number.isNaN(t))
    throw new InvalidArgError(
      `invalid ${what} ${JSON.stringify(raw)}: use an RFC3339 time or a sequence number`,
    );
  return { time: new Date(t).toISOString() };
}

const before = (e: CloudEvent, at: { seq: number } | { time: string }) =>
  "seq" in at ? e.seq <= at.seq : Date.parse(e.time) <= Date.parse(at.time);
const after = (e: CloudEvent, at: { seq: number } | { time: string }) =>
  "seq" in at ? e.seq >= at.seq : Date.parse(e.time) >= Date.parse(at.time);

async function writeLines(res: ServerResponse, lines: AsyncIterable<unknown>) {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  for await (const line of lines) {
    if (!res.write(`${JSON.stringify(line)}\n`)) await new Promise((r) => res.once("drain", r));
  }
  res.end();
}

export function auditRoutes(
  service: ContainerService,
  journal: Journal,
  checkpoints?: AuditCheckpoints,
): Record<string, Handler> {
  return {
    "GET /audit/verify": async ({ res }) => {
      sendJson(res, 200, await verifyChain(journal.readRaw(), journal.head()));
    },
    "GET /audit/export": async ({ res, url, meta }) => {
      const q = (name: string) => url.searchParams.get(name) ?? undefined;
      const withProofs = flag(url, "proofs");
      if (withProofs && !checkpoints)
        throw new UnsupportedError("this daemon signs no checkpoints");
      // One checkpoint for the whole export, covering the journal as it is now, so every line
      // holds under the same signed root; events appended meanwhile are left to the next export.
      const latest = withProofs ? await checkpoints!.latest() : undefined;
      const under =
        withProofs && (latest === undefined || latest.size < journal.head().seq)
          ? await checkpoints!.sign(meta)
          : latest;
      const since = q("since") === undefined ? undefined : pointInTime(q("since")!, "since");
      const until = q("until") === undefined ? undefined : pointInTime(q("until")!, "until");
      const ref = q("container");
      const source: AsyncIterable<CloudEvent> | CloudEvent[] = ref
        ? await service.history(ref)
        : journal.read();
      async function* selected() {
        for await (const e of source) {
          if (since && !after(e, since)) continue;
          if (until && !before(e, until)) continue;
          if (!under) {
            yield e;
            continue;
          }
          if (e.seq > under.size) continue;
          yield { event: e, proof: await checkpoints!.proveInclusion(e.seq, meta, under.size) };
        }
      }
      await writeLines(res, selected());
    },
    "GET /replay/verify": async ({ res }) => {
      // Progress lines while the fold runs, then the report: the CLI draws them as a bar.
      const lines: unknown[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const run = verifyProjections(journal, (events, total) => {
        lines.push({ progress: { events, total } });
        wake?.();
      }).then((report) => {
        lines.push({ report });
        done = true;
        wake?.();
      });
      async function* stream() {
        for (;;) {
          const next = lines.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (done) return;
          await new Promise<void>((r) => (wake = r));
        }
      }
      await Promise.all([writeLines(res, stream()), run]);
    },
    "GET /containers/:ref/at": async ({ res, ref, url }) => {
      const raw = url.searchParams.get("at");
      if (!raw) throw new InvalidArgError("inspect --at needs a time or a sequence number");
      const at = pointInTime(raw, "point in time");
      const upTo = (e: CloudEvent) => before(e, at);
      // `all`: every container that carried the name, as a list, as `inspect` of several is.
      const all = flag(url, "all");
      sendJson(
        res,
        200,
        all ? await service.inspectAllAt(ref, upTo) : await service.inspectAt(ref, upTo),
      );
    },
  };
}
