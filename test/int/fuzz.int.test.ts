/**
 * The daemon survives any input (issue 10): thousands of random requests per
 * run against one real daemon, over HTTP on its socket and over the NATS
 * request/reply API. After each batch: the daemon still answers, no answer
 * was a 5xx other than the documented runtime ones, the hash chain verifies,
 * and no host path that a request named was created.
 *
 * The seed comes from BERTH_FUZZ_SEED (else the clock) and is printed with
 * any failure: `BERTH_FUZZ_SEED=<seed> npx vitest run test/int/fuzz.int.test.ts`.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { headers as natsHeaders, connect, type NatsConnection } from "@nats-io/transport-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATION_NAMES } from "../../src/api/index.js";
import {
  BatchBody,
  CheckpointBody,
  CreateBody,
  ImagePruneBody,
  ImagePullBody,
  ImageTagBody,
  ImportImageBody,
  KillBody,
  StopBody,
} from "../../src/api/schemas.js";
import { errorFromWire } from "../../src/errors.js";
import { RequestSigner } from "../../src/nats/index.js";
import {
  busyboxTar,
  startBerth,
  startNats,
  tempDir,
  type Berth,
  type Nats,
} from "../../src/harness/index.js";

import { testKeys, type TestKeys } from "../support/nats-keys.js";
import { rawRequest, type RawRequest } from "../support/raw-http.js";

const SEED = Number(process.env.BERTH_FUZZ_SEED ?? Date.now() % 2 ** 31);
const BATCHES = 8;
const PER_BATCH = 250;
const NATS_PER_BATCH = 60;
const PARALLEL = 8;
/** Routes that wait for a container (wait, attach, a stop's grace) may outlast this; see `answered`. */
const REQUEST_MS = 1_500;

/** The 5xx answers a caller can cause on purpose: the runtime refused (exec failed, say), or the host cannot. */
const DOCUMENTED_5XX = new Set(["OCI_RUNTIME", "UNSUPPORTED", "NOT_IMPLEMENTED"]);

let nats: Nats;
let berth: Berth;
let nc: NatsConnection;
/** Every path the fuzzer hands the daemon points in here; nothing may appear in it. */
let sentinel: string;
let known: string[] = [];
let keys: TestKeys;

const NAMES = ["fuzz-a", "fuzz-b", "fuzz-c"];

// ---------------------------------------------------------------- values

/** Numbers at and beyond the edges; valid timeouts stay short so no batch waits on a stop for long. */
const numberish = fc.oneof(
  fc.integer({ min: 0, max: 2 }),
  fc.constantFrom(-1, 1.5, 2_147_484, 2 ** 31, 2 ** 53, 1e21, -0, 65, 0),
  fc.constant(Number.MAX_VALUE),
);
const numberText = fc.oneof(
  numberish.map(String),
  fc.constantFrom("1e21", "99999999999999999999", "0x10", "NaN", "Infinity", "-1", " 1", "1_000"),
  fc.string({ maxLength: 8 }),
);
const weirdText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    "..",
    ".",
    "__proto__",
    "constructor",
    "\u001b[2J",
    "%ZZ",
    "a\u0000b",
    "x".repeat(300),
  ),
);
/** Host paths, always inside the sentinel folder (or relative, or not paths at all). */
const hostPath = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => join(sentinel, s.replace(/\0/g, ""))),
  fc.constantFrom("sub/x.tar", "x.tar", "127.0.0.1:x", "-rf").map((s) => join(sentinel, s)),
  fc.constant("").map(() => sentinel),
);
const ref = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.constant(undefined).map(() => known[0] ?? "x"),
  fc.constant(undefined).map(() => (known[1] ?? "x").slice(0, 4)),
  weirdText,
  fc.constantFrom("1", "0", "a".repeat(129)),
);
const labels = fc.oneof(
  fc.dictionary(weirdText, fc.string({ maxLength: 10 }), { maxKeys: 3 }),
  fc.constant(JSON.parse('{"__proto__":"x","constructor":"y"}') as object),
);
const command = fc.oneof(
  fc.constantFrom([""], ["true"], ["sleep", "1"], ["/nonexistent"], [], ["sh", "-c", "exit 3"]),
  fc.array(weirdText, { maxLength: 3 }),
);

/** A body with the field names the API knows, and sometimes one it does not. */
const fields = {
  image: fc.oneof(fc.constant("busybox"), weirdText),
  // Never a registry on the internet: a closed loopback port, or text that is no reference.
  reference: fc.oneof(
    fc.constant("127.0.0.1:1/x:y"),
    weirdText.map((t) => `127.0.0.1:1/${t}`),
    fc.constantFrom("", "UPPER", "a@sha256:zz", "http://x/y"),
  ),
  tlsVerify: fc.oneof(fc.boolean(), fc.constant("no")),
  credentials: fc.oneof(
    fc.record({ username: weirdText, password: weirdText }),
    fc.constant({ username: "" }),
  ),
  ca: fc.oneof(weirdText, fc.constant("-----BEGIN CERTIFICATE-----\nx\n")),
  entrypoint: fc.oneof(fc.constant([]), command),
  env: fc.array(fc.oneof(fc.constantFrom("A=1", "=x", "NOEQ", "A=\u0000"), weirdText), {
    maxLength: 3,
  }),
  workingDir: fc.oneof(fc.constantFrom("/srv", "relative", "/../.."), weirdText),
  user: fc.oneof(fc.constantFrom("0", "nobody", "1:1", "ghost", "-1", "a:b:c"), weirdText),
  command,
  name: fc.oneof(fc.constantFrom(...NAMES), weirdText),
  stopSignal: fc.oneof(fc.constantFrom("TERM", "SIGKILL", "9", "0"), weirdText),
  stopTimeout: numberish,
  restart: fc.constantFrom("no", "always", "on-failure:2", "on-failure:99999999999999999999", "x"),
  labels,
  requires: fc.array(ref, { maxLength: 2 }),
  terminal: fc.boolean(),
  timeout: numberish,
  signal: fc.oneof(numberish, fc.constantFrom("KILL", "TERM", "HUP", "0", "SIGNOPE")),
  force: fc.oneof(fc.boolean(), fc.constant("yes")),
  path: hostPath,
  tar: hostPath,
  forceLocal: fc.boolean(),
  targetFile: hostPath,
  keep: fc.boolean(),
  commands: fc.array(
    fc.record(
      {
        type: fc.constantFrom("start", "stop", "kill", "pause", "STOP", "bogus"),
        timeout: numberish,
        signal: fc.constantFrom("KILL", 9, 1e21),
        extra: fc.boolean(),
      },
      { requiredKeys: ["type"] },
    ),
    { maxLength: 3 },
  ),
  conditions: fc.array(fc.constantFrom("running", "exited", "nope"), { maxLength: 2 }),
  interval: numberish,
  ref,
  all: fc.boolean(),
  bogus: fc.anything(),
} satisfies Record<string, fc.Arbitrary<unknown>>;
const shapedBody = fc.record(fields, { requiredKeys: [] });

/** The fields a route's body may carry, from the schemas themselves (a helper's new field included). */
const ROUTE_FIELDS: Record<string, readonly string[]> = {
  "POST /images": Object.keys(ImportImageBody.shape),
  "POST /images/pull": Object.keys(ImagePullBody.shape),
  "POST /images/prune": Object.keys(ImagePruneBody.shape),
  "POST /images/:ref/tag": Object.keys(ImageTagBody.shape),
  "POST /images/:ref/untag": Object.keys(ImageTagBody.shape),
  "POST /containers": Object.keys(CreateBody.shape),
  "POST /containers/:ref/stop": Object.keys(StopBody.shape),
  "POST /containers/:ref/restart": Object.keys(StopBody.shape),
  "POST /containers/:ref/kill": Object.keys(KillBody.shape),
  "POST /containers/:ref/checkpoint": Object.keys(CheckpointBody.shape),
  "POST /containers/:ref/restore": Object.keys(CheckpointBody.shape),
  "POST /containers/:ref/batch": Object.keys(BatchBody.shape),
};

/** A body with only fields the route knows (random values), so requests get past the field check. */
const fittingBody = (route: string): fc.Arbitrary<string> => {
  const named = ROUTE_FIELDS[route] ?? [];
  const known = fields as Record<string, fc.Arbitrary<unknown>>;
  const picked = Object.fromEntries(named.map((k) => [k, known[k] ?? fc.jsonValue()]));
  return fc.record(picked, { requiredKeys: [] }).map((b) => JSON.stringify(b));
};

const body: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  fc.constant(undefined),
  shapedBody.map((b) => JSON.stringify(b)),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc.constantFrom("{", "[]", "null", '{"a":', "\u0000", '{"labels":{"__proto__":{}}}'),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => JSON.stringify({ image: "x".repeat(n) })),
);

// ---------------------------------------------------------------- requests

const ROUTES = [
  "GET /_ping",
  "GET /status",
  "GET /health",
  "GET /events",
  "GET /audit/verify",
  "GET /audit/export",
  "GET /replay/verify",
  "POST /refresh",
  "POST /images",
  "GET /images",
  "GET /images/:ref",
  "POST /images/:ref/tag",
  "POST /images/:ref/untag",
  "DELETE /images/:ref",
  "POST /images/prune",
  // A pull is refused before any network use: references are random, tlsVerify rarely false.
  "POST /images/pull",
  "POST /containers",
  "GET /containers",
  "GET /containers/:ref",
  "GET /containers/:ref/at",
  "GET /containers/:ref/logs",
  "GET /containers/:ref/history",
  "GET /containers/:ref/export",
  "DELETE /containers/:ref",
  // Every operation name as a verb on a container (some are not routes: a 400 is the answer).
  ...[...OPERATION_NAMES, "attach", "resize"].map((verb) => `POST /containers/:ref/${verb}`),
  "PUT /containers/:ref/artifacts/:name",
  "GET /containers/:ref/artifacts/:name",
  "DELETE /containers/:ref/artifacts/:name",
];

/** A path segment: usually encoded, sometimes with raw (and bad) percent-encoding. */
const segment = fc.oneof(
  ref.map((r) => encodeURIComponent(r)),
  fc.constantFrom("%ZZ", "%", "%2F", "%2e%2e", "..", "%00", "%C0%AF"),
);
const path = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), segment, segment) },
  {
    weight: 1,
    arbitrary: fc
      .array(segment, { maxLength: 5 })
      .map((parts) => [`GET /${parts.join("/")}`, "", ""] as const),
  },
);
const QUERY_KEYS = [
  ...["timeout", "interval", "force", "all", "condition", "recursive", "stream", "logs"],
  ...["stdin", "stdout", "stderr", "detachKeys", "start", "h", "w", "since", "until"],
  ...["afterSeq", "after", "filter", "container", "at", "follow"],
];
const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 6 })),
      fc.oneof(
        fc.oneof(numberText, weirdText).map(encodeURIComponent),
        fc.constantFrom("%ZZ", "%", "1", "true", "1e21"),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) =>
    pairs.length === 0
      ? ""
      : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join("&")}`,
  );
/** Header values as HTTP carries them: visible ASCII. */
const headerText = fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, "_"));
const headers = fc.record(
  {
    "berth-actor": headerText,
    "if-match": fc.oneof(
      headerText,
      numberText.map((n) => n.replace(/[^\x20-\x7e]/g, "_")),
    ),
    "idempotency-key": headerText,
    "content-type": fc.constantFrom("application/json", "text/plain", "application/octet-stream"),
    connection: fc.constant("Upgrade"),
    upgrade: fc.constantFrom("tcp", "websocket"),
  },
  { requiredKeys: [] },
);

const request: fc.Arbitrary<RawRequest> = path
  .chain((p) =>
    fc.tuple(
      fc.constant(p),
      fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
      // Mostly the route's own method, so requests reach its handler.
      fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
      query,
      fc.oneof({ weight: 2, arbitrary: fittingBody(p[0]) }, { weight: 3, arbitrary: body }),
      headers,
    ),
  )
  .map(([[route, r, n], otherMethod, keepMethod, q, b, h]) => {
    const [method, template] = route.split(" ") as [string, string];
    const p = template.replace(":ref", r || "x").replace(":name", n || "a");
    // A GET has no body; a body on GET would make Node's client refuse the request.
    const m = keepMethod ? method : otherMethod;
    return {
      method: m,
      path: `${p}${q}`,
      headers: h,
      body: m === "GET" || m === "HEAD" ? undefined : b,
    };
  });

// ---------------------------------------------------------------- checks

interface Outcome {
  request: RawRequest;
  status: number | "timeout" | "cut" | "refused";
  code?: string;
}

/** One request with a deadline; a route still waiting at the deadline is let go. */
async function send(r: RawRequest): Promise<Outcome> {
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), REQUEST_MS);
  try {
    const answer = await rawRequest(berth.socket, { ...r, signal: timer.signal });
    let code: string | undefined;
    try {
      code = (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    return { request: r, status: answer.status, ...(code ? { code } : {}) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    // The daemon ends a refused upgrade at once ("Connection: close"), which may cut the client's writing short.
    const cut = code === "EPIPE" || code === "ECONNRESET";
    return { request: r, status: timer.signal.aborted ? "timeout" : cut ? "cut" : "refused", code };
  } finally {
    clearTimeout(t);
  }
}

const bad = (o: Outcome) =>
  o.status === "refused" ||
  (typeof o.status === "number" && o.status >= 500 && !DOCUMENTED_5XX.has(o.code ?? ""));

/** Files under `dir`, as relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

async function checkDaemon(outcomes: Outcome[]) {
  const ping = await send({ method: "GET", path: "/_ping" });
  expect(ping.status, `daemon answers _ping (seed ${SEED})`).toBe(200);
  const failures = outcomes
    .filter(bad)
    .map((o) => ({ ...describeRequest(o.request), status: o.status, code: o.code }));
  expect(failures, `answers outside the allowed set (seed ${SEED})`).toEqual([]);
  const verify = await rawRequest(berth.socket, { method: "GET", path: "/audit/verify" });
  expect(JSON.parse(verify.body), `audit verify (seed ${SEED})`).toMatchObject({ ok: true });
  // Export streams its tar to the client, so no request may leave a file in the sentinel.
  const written = await filesUnder(sentinel);
  expect(written, `host paths written by requests (seed ${SEED})`).toEqual([]);
}

/** A request as a failure message shows it: short enough to read, enough to replay by hand. */
const describeRequest = (r: RawRequest) => ({
  method: r.method,
  path: r.path.slice(0, 200),
  headers: r.headers,
  body: r.body === undefined ? undefined : String(r.body).slice(0, 200),
});

async function sendBatch(batch: RawRequest[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < batch.length; i += PARALLEL) {
    const slice = batch.slice(i, i + PARALLEL);
    outcomes.push(...(await Promise.all(slice.map(send))));
  }
  return outcomes;
}

// ---------------------------------------------------------------- NATS

const NATS_VERBS = ["ping", "status", ...OPERATION_NAMES];
const natsRequest = fc.record({
  verb: fc.oneof(
    fc.constantFrom(...NATS_VERBS),
    fc.stringMatching(/^[a-z]{1,8}$/),
    fc.constantFrom("constructor", "toString", "__proto__", "valueOf", "hasOwnProperty"),
  ),
  payload: fc.oneof(
    shapedBody.map((b) => JSON.stringify(b)),
    fc.json({ maxDepth: 2 }),
    fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a).toString("latin1")),
    fc.constant(""),
  ),
  actor: fc.option(
    headerText.filter((s) => s.trim() !== ""),
    { nil: undefined },
  ),
  /** Who signs: each role, a key not on the list, or nobody. */
  signer: fc.constantFrom("admin", "operator", "readOnly", "stranger", "unsigned"),
});

type Signer = "admin" | "operator" | "readOnly" | "stranger" | "unsigned";

/** A NATS API request on `verb`, signed by `signer`'s key (or unsigned). */
function natsCall(verb: string, payload: string, signer: Signer, actor?: string) {
  const subject = `berth.fuzzhost.api.v1.${verb}`;
  const data = new TextEncoder().encode(payload);
  const h = natsHeaders();
  if (actor) h.set("Berth-Actor", actor);
  if (signer !== "unsigned") {
    const signed = new RequestSigner(keys[signer].seed).headers(subject, data, (name) =>
      h.has(name) ? h.get(name) : undefined,
    );
    for (const [name, value] of Object.entries(signed)) h.set(name, value);
  }
  return nc.request(subject, data, { timeout: REQUEST_MS, headers: h });
}

async function natsBatch(
  reqs: { verb: string; payload: string; actor?: string; signer: Signer }[],
) {
  const failures: unknown[] = [];
  for (const r of reqs) {
    try {
      const msg = await natsCall(r.verb, r.payload, r.signer, r.actor);
      const { error } = msg.json<{ error?: { code: string; message: string } }>();
      if (error && errorFromWire(error).status >= 500 && !DOCUMENTED_5XX.has(error.code))
        failures.push({ ...r, error });
    } catch (err) {
      // A verb that waits (wait, stop) may outlast the deadline; "no responders" would mean the API is gone.
      if (String(err).includes("no responders")) failures.push({ ...r, err: String(err) });
    }
  }
  return failures;
}

// ---------------------------------------------------------------- the test

beforeAll(async () => {
  sentinel = await tempDir("berth-fuzz-sentinel-");
  nats = await startNats();
  keys = await testKeys();
  berth = await startBerth({ nats: nats.url, host: "fuzzhost", args: keys.args });
  await berth.ok("image", "import", busyboxTar(), "busybox");
  for (const [name, run] of [
    ["fuzz-a", true],
    ["fuzz-b", false],
  ] as const) {
    const id = (await berth.ok("create", "--name", name, "busybox", "sleep", "1000")).trim();
    if (run) await berth.ok("start", id);
    known.push(id);
  }
  nc = await connect({ servers: nats.url });
  // The API connects in the background: wait until it answers a signed ping.
  for (let i = 0; i < 50; i++) {
    const up = await natsCall("ping", "", "readOnly").then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  await nc?.close();
  // Requests the fuzzer let go of (a wait, a stop's grace) may still run: no graceful shutdown.
  await berth?.kill("SIGKILL");
  await berth?.stop();
  await nats?.stop();
  if (sentinel) await rm(sentinel, { recursive: true, force: true });
  await keys?.stop();
  known = [];
}, 60_000);

describe("random requests", () => {
  it("leave the daemon answering, with no undocumented 5xx, an intact chain and nothing written outside the root", async () => {
    let sent = 0;
    const tally: Record<string, number> = {};
    for (let i = 0; i < BATCHES; i++) {
      // One seed per batch, so a failing batch can be replayed alone.
      const [batch] = fc.sample(fc.array(request, { minLength: PER_BATCH, maxLength: PER_BATCH }), {
        seed: SEED + i,
        numRuns: 1,
      });
      const [natsReqs] = fc.sample(
        fc.array(natsRequest, { minLength: NATS_PER_BATCH, maxLength: NATS_PER_BATCH }),
        { seed: SEED + i, numRuns: 1 },
      );
      const outcomes = await sendBatch(batch!);
      for (const o of outcomes) tally[String(o.status)] = (tally[String(o.status)] ?? 0) + 1;
      const natsFailures = await natsBatch(natsReqs!);
      sent += outcomes.length + natsReqs!.length;
      await checkDaemon(outcomes);
      expect(natsFailures, `NATS answers with an undocumented 5xx code (seed ${SEED})`).toEqual([]);
    }
    expect(sent).toBe(BATCHES * (PER_BATCH + NATS_PER_BATCH));
    console.log(`fuzz seed ${SEED}: ${sent} requests; HTTP answers ${JSON.stringify(tally)}`);
  }, 180_000);

  it("refuses NATS verbs named like Object.prototype members as unknown verbs", async () => {
    for (const verb of ["__proto__", "valueOf", "hasOwnProperty", "constructor", "toString"]) {
      const msg = await natsCall(verb, "{}", "admin");
      expect(msg.json<{ error?: { code: string } }>().error?.code, verb).toBe("INVALID_ARG");
    }
  });
});
