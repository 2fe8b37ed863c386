/**
 * Resolving what a user types (id, name, id prefix) over live and removed
 * containers: an ambiguous prefix is an error everywhere, never a silent pick
 * of the one removed (or the one live) container among several matches.
 */
import { describe, expect, it } from "vitest";
import { isTombstone, Registry } from "../../src/service/registry.js";
import { recordIn } from "../support/given.js";

const idOf = (prefix: string) => prefix.padEnd(64, "0");
const live = (prefix: string, name = `live-${prefix}`) =>
  recordIn("running", { id: idOf(prefix), name });
const removed = (prefix: string, name = `gone-${prefix}`) =>
  recordIn("removed", { id: idOf(prefix), name });

function registry(lives: ReturnType<typeof live>[], tombs: ReturnType<typeof removed>[]) {
  const r = new Registry(() => lives);
  for (const t of tombs) r.bury(t);
  return r;
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return "no error";
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe("finding a container by what a user types", () => {
  it("refuses a prefix that fits five live containers and one removed one, on every lookup", () => {
    const r = registry(
      ["11", "12", "13", "14", "15"].map((p) => live(p)),
      [removed("16")],
    );
    expect(codeOf(() => r.find("1"))).toBe("NO_SUCH_CTR");
    expect(codeOf(() => r.live("1"))).toBe("NO_SUCH_CTR");
    expect(codeOf(() => r.removed("1"))).toBe("NO_SUCH_CTR");
  });

  it("refuses a prefix that fits one live and one removed container", () => {
    const r = registry([live("1a")], [removed("1b")]);
    expect(() => r.find("1")).toThrow(/more than one container matches "1"/);
  });

  it("finds a removed container by a prefix only it has, and says it was removed when a live one is wanted", () => {
    const r = registry([live("2a")], [removed("3a")]);
    expect(r.removed("3")?.id).toBe(idOf("3a"));
    expect(r.find("3")?.id).toBe(idOf("3a"));
    expect(codeOf(() => r.live("3"))).toBe("CTR_REMOVED");
    expect(r.removed("2")).toBeUndefined();
    expect(r.live("2").id).toBe(idOf("2a"));
  });

  it("prefers the live container when a removed one had the same name", () => {
    const r = registry([live("4a", "web")], [removed("4b", "web")]);
    expect(r.find("web")?.id).toBe(idOf("4a"));
    expect(r.live("web").id).toBe(idOf("4a"));
    expect(r.removed("web")).toBeUndefined();
  });

  it("takes an exact id or name before any prefix", () => {
    const r = registry([live("5a", "5")], [removed("5b")]);
    expect(r.find("5")?.id).toBe(idOf("5a"));
    expect(r.find(idOf("5b"))?.id).toBe(idOf("5b"));
    expect(codeOf(() => r.live("nosuch"))).toBe("NO_SUCH_CTR");
  });
});

describe("every container that carried a name", () => {
  const at = (r: ReturnType<typeof live>, createdAt: string) => ({ ...r, createdAt });

  it("lists the removed holders and the live one, oldest first, while the name alone finds the live one", () => {
    const first = at(removed("a1", "web"), "2026-01-01T00:00:00.000Z");
    const second = at(removed("a2", "web"), "2026-01-02T00:00:00.000Z");
    const now = at(live("a3", "web"), "2026-01-03T00:00:00.000Z");
    const r = registry([now], [second, first]);
    expect(r.holders("web").map((h) => h.id)).toEqual([first.id, second.id, now.id]);
    expect(r.find("web")?.id).toBe(now.id);
  });

  it("is the one container an id or id prefix names, even when others share its name", () => {
    const old = at(removed("b1", "db"), "2026-01-01T00:00:00.000Z");
    const now = at(live("b2", "db"), "2026-01-02T00:00:00.000Z");
    const r = registry([now], [old]);
    expect(r.holders(old.id).map((h) => h.id)).toEqual([old.id]);
    expect(r.holders("b1").map((h) => h.id)).toEqual([old.id]);
  });

  it("is an error for a name no container carried", () => {
    expect(codeOf(() => registry([], []).holders("nosuch"))).toBe("NO_SUCH_CTR");
  });
});

describe("what memory keeps of a removed container", () => {
  it("is its id, name, creation and last exit code, not its configuration", () => {
    const gone = { ...removed("c1", "job"), exitCode: 3 };
    const tomb = registry([], [gone]).removed("job");
    expect(tomb).toEqual({
      tombstone: true,
      id: gone.id,
      name: "job",
      createdAt: gone.createdAt,
      state: "removed",
      exitCode: 3,
    });
    expect(tomb && isTombstone(tomb)).toBe(true);
  });

  it("is replaced when the container is buried again, so its name lists it once", () => {
    const r = registry([], [removed("d1", "once")]);
    r.bury({ ...removed("d1", "once"), exitCode: 9 });
    expect(r.holders("once").map((h) => h.id)).toEqual([idOf("d1")]);
    expect(r.removed("once")?.exitCode).toBe(9);
  });

  it("finds the newest of many removed holders of a name, and each by its id", () => {
    const tombs = Array.from({ length: 500 }, (_, i) => ({
      ...removed(`e${i.toString(16).padStart(3, "0")}`, "batch"),
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    }));
    const r = registry([], [...tombs].reverse());
    expect(r.find("batch")?.id).toBe(tombs[499]?.id);
    expect(r.holders("batch").map((h) => h.id)).toEqual(tombs.map((t) => t.id));
    for (const t of tombs) expect(r.find(t.id)?.id).toBe(t.id);
  });
});
