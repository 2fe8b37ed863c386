import { describe, expect, it } from "vitest";
import { answerOf } from "../../src/service/idempotency.js";
import { MemoryJournal, verifyChain } from "../../src/store/index.js";
import { RequestInterruptedError } from "../../src/errors.js";
import { streamId, unplaced } from "../support/journal-contract.js";

async function journalWith(n: number) {
  const journal = new MemoryJournal();
  const a = streamId(1);
  await journal.append({
    stream: a,
    expectedVersion: 0,
    events: Array.from({ length: n }, () => unplaced(a)),
    projection: {},
  });
  const raw: string[] = [];
  for await (const r of journal.readRaw()) raw.push(r);
  return { journal, raw };
}

async function* each(lines: string[]) {
  for (const l of lines) yield await Promise.resolve(l);
}

describe("hash chain verification", () => {
  it("accepts an untouched journal", async () => {
    const { journal, raw } = await journalWith(4);
    expect(await verifyChain(each(raw), journal.head())).toEqual({ ok: true, checked: 4 });
  });

  it("catches an attribute added to a stored event, though the schema ignores it", async () => {
    const { journal, raw } = await journalWith(4);
    const e = JSON.parse(raw[2]!) as Record<string, unknown>;
    raw[2] = JSON.stringify({ ...e, authenticatedactor: "mallory" });
    const report = await verifyChain(each(raw), journal.head());
    expect(report.firstBad).toEqual({
      position: 3,
      seq: 3,
      reason: "hash does not match the event's content",
    });
  });

  it("reports bytes that are not JSON at their position", async () => {
    const { journal, raw } = await journalWith(3);
    raw[1] = raw[1]!.slice(0, 20);
    const report = await verifyChain(each(raw), journal.head());
    expect(report.firstBad).toEqual({ position: 2, reason: "stored bytes are not valid JSON" });
  });
});

describe("idempotent answers from the journal", () => {
  it("refuses to call a request that left only its intent a success", async () => {
    const { journal } = await journalWith(1);
    const [create] = await journal.readStream(streamId(1));
    const intent = {
      ...create!,
      seq: 2,
      version: 2,
      type: "io.berth.container.request",
      requestid: "r-1",
      data: { outcome: "success", command: "START", args: {} },
    };
    expect(() => answerOf([create!, intent], "r-1")).toThrow(RequestInterruptedError);
  });
});
