/**
 * The CLI's human output never hands a terminal the control characters a
 * caller put into a command, name, label or actor (issue 10, defect 12).
 */
import { describe, expect, it } from "vitest";
import { eventLine } from "../../src/cli/event-line.js";
import { printable, psTable } from "../../src/cli/format.js";
import { historyTable } from "../../src/cli/history-format.js";
import type { CloudEvent } from "../../src/events/index.js";
import { recordIn } from "../support/given.js";

const ESC = "\x1b";
// Any control character, C1 or bidi override left in the output is a failure.
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const event = (extra: Partial<CloudEvent>): CloudEvent =>
  ({
    specversion: "1.0",
    id: "e1",
    source: "berth://host",
    type: "io.berth.container.start",
    subject: "c".repeat(64),
    time: "2026-01-01T00:00:00.000Z",
    data: { outcome: "success" },
    seq: 7,
    version: 3,
    actor: "uid:0",
    requestid: "r1",
    prevhash: "",
    hash: "",
    ...extra,
  }) as CloudEvent;

describe("human output", () => {
  it("shows an escape sequence in a command or name as text in ps", () => {
    const record = recordIn("configured", {
      command: ["sh", `${ESC}[2J${ESC}]0;pwned\x07`],
      name: `web${ESC}[31m`,
    });
    const out = psTable([record]);
    expect(out).not.toMatch(RAW);
    expect(out).toContain("\\x1b[2J");
    expect(out).toContain("web\\x1b[31m");
  });

  it("shows an escape sequence in an actor or failure message as text in history and events", () => {
    const e = event({
      actor: `declared:${ESC}[8mroot`,
      data: { outcome: "failure", error: { message: `bad\r\u202eevil` } },
    });
    for (const out of [historyTable([e]), eventLine(e)]) {
      expect(out).not.toMatch(RAW);
      expect(out).toContain("declared:\\x1b[8mroot");
      expect(out).toContain("bad\\x0d\\u202eevil");
    }
  });

  it("leaves printable text, including non-ASCII letters, as it is", () => {
    expect(printable("naïve café 日本 ok")).toBe("naïve café 日本 ok");
  });
});

describe("image events in the events table", () => {
  it("are labelled image and show the names they touched", () => {
    const id = "ab".repeat(32);
    const tag = eventLine(
      event({ type: "io.berth.image.tag", subject: id, data: { name: "localhost/web:1" } }),
    );
    expect(tag).toContain(" image tag ");
    expect(tag).toContain("name=localhost/web:1");
    const removed = eventLine(
      event({
        type: "io.berth.image.remove",
        subject: id,
        data: { force: true, names: ["localhost/a:1", "localhost/b:2"] },
      }),
    );
    expect(removed).toContain(" image remove ");
    expect(removed).toContain("name=localhost/a:1,localhost/b:2");
  });

  it("strip control characters from a name as from any other field", () => {
    const out = eventLine(
      event({ type: "io.berth.image.tag", subject: "x", data: { name: "a\x1b[8mb" } }),
    );
    expect(out).not.toMatch(RAW);
  });
});
