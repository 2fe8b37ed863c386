/**
 * Known answers for the event hash. Every journal on disk is chained with these
 * bytes and hashes: `audit verify` recomputes them from the stored events, so a
 * change of the canonical form or of the hash function would report every
 * existing journal as tampered with. If one of these tests fails, the change is
 * the bug, not the literal; a deliberate change needs a journal format version
 * and a migration, not a new literal.
 *
 * The canonical form, as specified: the event without its own `hash`, as JSON
 * with object keys sorted (by UTF-16 code unit, so "Zone" < "_x" < "exitCode"
 * < "exitedAt") at every depth, array order kept, attributes whose value is
 * undefined dropped (null kept), no whitespace, strings escaped as
 * JSON.stringify does (non-ASCII written as UTF-8, not \u escapes). The hash is
 * the lowercase hex SHA-256 of those UTF-8 bytes.
 *
 * The canonical strings below were written by hand from that rule, not printed
 * by the code, and each hash was computed once outside it with
 * `printf '%s' '<canonical>' | sha256sum`.
 */
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  eventHash,
  GENESIS_HASH,
  type CloudEvent,
  type UnplacedEvent,
} from "../../src/events/index.js";
import { MemoryJournal, verifyChain } from "../../src/store/index.js";

const SUBJECT = "5e1f0c9a7b3d2e8f6a4c1b0d9e7f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f";

/** A create with nested data, keys given out of order at every level. */
const create: Omit<CloudEvent, "hash"> = {
  type: "io.berth.container.create",
  version: 1,
  specversion: "1.0",
  subject: SUBJECT,
  source: "berth://h1",
  id: "0b9f3c6e-1d2a-4e5b-8c7d-9e0f1a2b3c4d",
  time: "2026-05-01T12:00:00.000Z",
  datacontenttype: "application/json",
  seq: 1,
  data: {
    restartPolicy: { name: "on-failure", maxRetries: 3 },
    outcome: "success",
    name: "web",
    labels: { tier: "front", Zone: "eu", _x: "1" },
    image: "busybox",
    command: ["sh", "-c", "echo hi"],
  },
  requestid: "req-1",
  prevhash: GENESIS_HASH,
  actor: "declared:uid=0(root)",
};
const CREATE_CANONICAL =
  '{"actor":"declared:uid=0(root)","data":{"command":["sh","-c","echo hi"],"image":"busybox","labels":{"Zone":"eu","_x":"1","tier":"front"},"name":"web","outcome":"success","restartPolicy":{"maxRetries":3,"name":"on-failure"}},"datacontenttype":"application/json","id":"0b9f3c6e-1d2a-4e5b-8c7d-9e0f1a2b3c4d","prevhash":"0000000000000000000000000000000000000000000000000000000000000000","requestid":"req-1","seq":1,"source":"berth://h1","specversion":"1.0","subject":"5e1f0c9a7b3d2e8f6a4c1b0d9e7f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f","time":"2026-05-01T12:00:00.000Z","type":"io.berth.container.create","version":1}';
const CREATE_HASH = "7769ae9eb34efe07cc32c55323103452f7c3ac3163ac415cd41c889d0df6c04f";

/** Unicode (two- to four-byte UTF-8), characters JSON escapes, an integer and a fraction. */
const died: Omit<CloudEvent, "hash"> = {
  specversion: "1.0",
  id: "7c4e2a10-5b3f-4d6e-9a8b-0c1d2e3f4a5b",
  source: "berth://h1",
  type: "io.berth.container.died",
  subject: SUBJECT,
  time: "2026-05-01T12:00:05.300Z",
  datacontenttype: "application/json",
  data: {
    uptime: 5.25,
    reason: 'café ☕ 🐳 said "bye"\n\t',
    outcome: "success",
    oomKilled: false,
    exitedAt: "2026-05-01T12:00:05.250Z",
    exitCode: 137,
  },
  seq: 7,
  version: 3,
  actor: "declared:uid=1000(zoë)",
  requestid: "req-2",
  prevhash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
};
const DIED_CANONICAL = String.raw`{"actor":"declared:uid=1000(zoë)","data":{"exitCode":137,"exitedAt":"2026-05-01T12:00:05.250Z","oomKilled":false,"outcome":"success","reason":"café ☕ 🐳 said \"bye\"\n\t","uptime":5.25},"datacontenttype":"application/json","id":"7c4e2a10-5b3f-4d6e-9a8b-0c1d2e3f4a5b","prevhash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","requestid":"req-2","seq":7,"source":"berth://h1","specversion":"1.0","subject":"5e1f0c9a7b3d2e8f6a4c1b0d9e7f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f","time":"2026-05-01T12:00:05.300Z","type":"io.berth.container.died","version":3}`;
const DIED_HASH = "f900490d2757535c704ae1c16bd457425e592bfeb2c1e757fd4ad932328d9507";

/** Undefined values (dropped, also nested), a null (kept), and a stale `hash` (not hashed). */
const stop: CloudEvent = {
  specversion: "1.0",
  id: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
  source: "berth://h1",
  type: "io.berth.container.stop",
  subject: SUBJECT,
  time: "2026-05-01T12:00:06.000Z",
  datacontenttype: "application/json",
  data: {
    signal: "SIGTERM",
    timeout: 10,
    escalated: false,
    exit: undefined,
    pid: null,
    policy: { name: "no", maxRetries: undefined },
    outcome: "success",
  },
  seq: 8,
  version: 4,
  actor: "declared:uid=0(root)",
  requestid: "req-3",
  prevhash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  hash: "f".repeat(64),
};
const STOP_CANONICAL =
  '{"actor":"declared:uid=0(root)","data":{"escalated":false,"outcome":"success","pid":null,"policy":{"name":"no"},"signal":"SIGTERM","timeout":10},"datacontenttype":"application/json","id":"d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6","prevhash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","requestid":"req-3","seq":8,"source":"berth://h1","specversion":"1.0","subject":"5e1f0c9a7b3d2e8f6a4c1b0d9e7f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f","time":"2026-05-01T12:00:06.000Z","type":"io.berth.container.stop","version":4}';
const STOP_HASH = "027c3cad684d1695cca6dfcca366017661536920703df939a6a4ca7b93d52e14";

/** The canonical form covers every attribute but `hash`, so the hash input leaves it out. */
const withoutHash = (e: CloudEvent): Omit<CloudEvent, "hash"> => {
  const { hash: _hash, ...rest } = e;
  return rest;
};

describe("the event hash, against known answers", () => {
  it("writes a create with nested data in canonical form: keys sorted at every depth, arrays in order, no whitespace", () => {
    expect(canonicalJson(create)).toBe(CREATE_CANONICAL);
    expect(eventHash(create)).toBe(CREATE_HASH);
  });

  it("writes unicode as UTF-8 and numbers as JSON does, and hashes those bytes", () => {
    expect(canonicalJson(died)).toBe(DIED_CANONICAL);
    // Strings compare as UTF-16; the hash is over bytes, so pin the byte count too
    // (`printf '%s' '<canonical>' | wc -c`: ë and é two bytes, ☕ three, 🐳 four).
    expect(Buffer.byteLength(canonicalJson(died), "utf8")).toBe(577);
    expect(eventHash(died)).toBe(DIED_HASH);
  });

  it("drops undefined attributes at every depth, keeps null, and leaves the event's own hash out", () => {
    expect(canonicalJson(withoutHash(stop))).toBe(STOP_CANONICAL);
    expect(eventHash(stop)).toBe(STOP_HASH);
    expect(eventHash(withoutHash(stop))).toBe(STOP_HASH);
  });

  it("gives the same hash for the event as stored, parsed back from its JSON", () => {
    // audit verify hashes what it reads from disk: a stored event must hash as it did when placed.
    for (const [event, hash] of [
      [create, CREATE_HASH],
      [died, DIED_HASH],
      [stop, STOP_HASH],
    ] as const) {
      expect(eventHash(JSON.parse(JSON.stringify(event)) as CloudEvent)).toBe(hash);
    }
  });

  it("hashes a value that JSON changes on its way to disk as it will be read back: a Date as its ISO string, undefined in an array as null, NaN as null", () => {
    // Data written with such values was hashed one way and verified another: a chain broken by its writer.
    const odd = {
      ...died,
      data: { ...died.data, at: new Date("2026-05-01T12:00:04.000Z"), list: [1, undefined, NaN] },
    };
    const stored = JSON.parse(JSON.stringify(odd)) as CloudEvent;
    expect(stored.data).toMatchObject({ at: "2026-05-01T12:00:04.000Z", list: [1, null, null] });
    expect(eventHash(odd as unknown as CloudEvent)).toBe(eventHash(stored));
    expect(canonicalJson([undefined, () => 1])).toBe("[null,null]");
  });
});

describe("the hash chain, against known answers", () => {
  const unplaced = (id: string, type: string, time: string, data: Record<string, unknown>) =>
    ({
      specversion: "1.0",
      id,
      source: "berth://h1",
      type,
      subject: SUBJECT,
      time,
      datacontenttype: "application/json",
      data,
      actor: "declared:uid=0(root)",
      requestid: "req-c",
    }) satisfies UnplacedEvent;

  // Placed by the journal as seq 1 and 2, versions 1 and 2; the first follows the genesis hash.
  const FIRST_CANONICAL =
    '{"actor":"declared:uid=0(root)","data":{"name":"a","outcome":"success"},"datacontenttype":"application/json","id":"11111111-2222-4333-8444-555555555555","prevhash":"0000000000000000000000000000000000000000000000000000000000000000","requestid":"req-c","seq":1,"source":"berth://h1","specversion":"1.0","subject":"5e1f0c9a7b3d2e8f6a4c1b0d9e7f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f","time":"2026-05-01T13:00:00.000Z","type":"io.berth.container.create","version":1}';
  const FIRST_HASH = "763ac0ba6caf7bfe1f2d72bd8f50a4e6e715ef8663f87bd974aa6518d6a4a984";
  // Its prevhash is FIRST_HASH, written out.
  const SECOND_CANONICAL =
    '{"actor":"declared:uid=0(root)","data":{"outcome":"success"},"datacontenttype":"application/json","id":"66666666-7777-4888-9999-aaaaaaaaaaaa","prevhash":"763ac0ba6caf7bfe1f2d72bd8f50a4e6e715ef8663f87bd974aa6518d6a4a984","requestid":"req-c","seq":2,"source":"berth://h1","specversion":"1.0","subject":"5e1f0c9a7b3d2e8f6a4c1b0d9e7f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f","time":"2026-05-01T13:00:01.000Z","type":"io.berth.container.start","version":2}';
  const SECOND_HASH = "0d7283c443b3cb538a381c88638c7ab0000bad8c35a6f55f2754740ceeba73d7";

  it("starts at the genesis hash of 64 zeros", () => {
    expect(GENESIS_HASH).toBe("0000000000000000000000000000000000000000000000000000000000000000");
  });

  it("chains two events placed by the journal: the second's prevhash is the first's known hash", async () => {
    const journal = new MemoryJournal();
    const placed = await journal.append({
      stream: SUBJECT,
      expectedVersion: 0,
      events: [
        unplaced(
          "11111111-2222-4333-8444-555555555555",
          "io.berth.container.create",
          "2026-05-01T13:00:00.000Z",
          { outcome: "success", name: "a" },
        ),
        unplaced(
          "66666666-7777-4888-9999-aaaaaaaaaaaa",
          "io.berth.container.start",
          "2026-05-01T13:00:01.000Z",
          { outcome: "success" },
        ),
      ],
      projection: {},
    });
    const [first, second] = placed;
    expect(canonicalJson(withoutHash(first!))).toBe(FIRST_CANONICAL);
    expect(first?.hash).toBe(FIRST_HASH);
    expect(canonicalJson(withoutHash(second!))).toBe(SECOND_CANONICAL);
    expect(second?.prevhash).toBe(FIRST_HASH);
    expect(second?.hash).toBe(SECOND_HASH);
    expect(journal.head()).toEqual({ seq: 2, hash: SECOND_HASH });

    // The verifier accepts exactly this chain, from the stored bytes.
    const stored: string[] = [];
    for await (const raw of journal.readRaw()) stored.push(raw);
    const each = async function* () {
      for (const s of stored) yield await Promise.resolve(s);
    };
    expect(await verifyChain(each(), { seq: 2, hash: SECOND_HASH })).toEqual({
      ok: true,
      checked: 2,
    });
  });
});
