/**
 * Names over time against the real daemon: a name reused after `rm` means the
 * current container in `history`, `inspect --at` and `events --filter
 * container=NAME`, and every container that carried it with `--all`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudEvent } from "../../src/events/index.js";
import { busyboxTar, startBerth, type Berth } from "../../src/harness/index.js";

let berth: Berth;
let first = "";
let second = "";
let whileFirst = "";

const parsed = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CloudEvent);
const subjects = (es: CloudEvent[]) => [...new Set(es.map((e) => e.subject))];
const pause = () => new Promise((r) => setTimeout(r, 30));

beforeAll(async () => {
  berth = await startBerth();
  await berth.ok("image", "import", busyboxTar(), "busybox");
  first = (await berth.ok("create", "--name", "web", "busybox", "true")).trim();
  await pause();
  whileFirst = new Date().toISOString();
  await pause();
  await berth.ok("rm", "web");
  second = (await berth.ok("create", "--name", "web", "busybox", "true")).trim();
});
afterAll(async () => {
  await berth?.stop();
});

describe("a name reused after rm", () => {
  it("names the current container in history, and every holder, oldest first, with --all", async () => {
    const current = JSON.parse(
      await berth.ok("history", "web", "--format", "json"),
    ) as CloudEvent[];
    expect(subjects(current)).toEqual([second]);
    const all = JSON.parse(
      await berth.ok("history", "--all", "web", "--format", "json"),
    ) as CloudEvent[];
    expect(subjects(all)).toEqual([first, second]);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b));

    const table = await berth.ok("history", "--all", "web");
    expect(table).toContain(`web ${first.slice(0, 12)} created `);
    expect(table).toMatch(new RegExp(`web ${first.slice(0, 12)} created \\S+ \\(removed\\)`));
    expect(table).toContain(`web ${second.slice(0, 12)} created `);
    expect(table.indexOf(first.slice(0, 12))).toBeLessThan(table.indexOf(second.slice(0, 12)));
  });

  it("draws the current container's timeline by default and each holder's with --all", async () => {
    const one = await berth.ok("history", "--timeline", "web");
    expect(one).toContain(`web  ${second.slice(0, 12)}  busybox`);
    expect(one).not.toContain(first.slice(0, 12));
    const both = await berth.ok("history", "--timeline", "--all", "web");
    expect(both).toContain(`web  ${first.slice(0, 12)}`);
    expect(both).toMatch(/created ─+ removed/);
    expect(both).toContain(`web  ${second.slice(0, 12)}`);
  });

  it("inspects the current container --at a time, and says to use --all when it did not exist then", async () => {
    const failed = await berth.cli("inspect", "--at", whileFirst, "web");
    expect(failed.code).toBe(125);
    expect(failed.stderr).toContain("did not exist yet at that point");
    expect(failed.stderr).toContain("use --all");
    const then = JSON.parse(await berth.ok("inspect", "--at", whileFirst, "--all", "web")) as {
      id: string;
      state: string;
    }[];
    expect(then.map((r) => [r.id, r.state])).toEqual([[first, "configured"]]);
    const now = JSON.parse(
      await berth.ok("inspect", "--at", new Date().toISOString(), "--all", "web"),
    ) as { id: string; state: string }[];
    expect(now.map((r) => [r.id, r.state])).toEqual([
      [first, "removed"],
      [second, "configured"],
    ]);
  });

  it("filters events by the current container, and by every holder with --all", async () => {
    const args = ["events", "--stream=false", "--format", "json", "--filter", "container=web"];
    expect(subjects(parsed(await berth.ok(...args)))).toEqual([second]);
    expect(subjects(parsed(await berth.ok(...args, "--all")))).toEqual([first, second]);
  });

  it("gives a removed container's event lines its name and image, though its create came before --since", async () => {
    const lines = await berth.ok("events", "--stream=false", "--since", whileFirst);
    const removal = lines.split("\n").find((l) => l.includes(` remove ${first.slice(0, 12)} `));
    expect(removal).toContain("(image=busybox, name=web, success");
    const created = lines.split("\n").find((l) => l.includes(` create ${second.slice(0, 12)} `));
    expect(created).toContain("(image=busybox, name=web, success");
  });
});
