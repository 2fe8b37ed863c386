/**
 * `berth ps` as people read it and scripts select from it: Podman's words
 * for status and age at a fixed clock (a golden table), its filters, its
 * `--last` and `--sort`, newest first.
 */
import { describe, expect, it } from "vitest";
import { psView } from "../../src/cli/container-views.js";
import { psTable, statusOf } from "../../src/cli/format.js";
import { selectContainers } from "../../src/cli/ps-query.js";
import { parseGoTemplate } from "../../src/cli/go-template.js";
import { recordIn } from "../support/given.js";

const now = Date.parse("2026-01-01T01:00:00Z");
const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();

const web = recordIn("running", {
  id: "a".repeat(64),
  name: "web",
  image: "localhost/shop:1",
  command: ["httpd", "-f", "-p", "8080", "-h", "/srv/www"],
  createdAt: at(90),
  startedAt: at(3),
  labels: { tier: "front" },
  healthcheck: {
    test: ["CMD", "true"],
    intervalMs: 30_000,
    timeoutMs: 30_000,
    retries: 3,
    startPeriodMs: 0,
    onFailure: "none",
  },
  health: { status: "healthy", failingStreak: 0 },
  networkAttachment: {
    mode: "bridge",
    etcDir: "/x",
    ports: [{ hostPort: 8080, containerPort: 8080, protocol: "tcp" }],
  },
});
const job = recordIn("exited", {
  id: "b".repeat(64),
  name: "job",
  command: ["true"],
  createdAt: at(3 * 3600),
  startedAt: at(3 * 3600),
  finishedAt: at(150),
  exitCode: 0,
});
const fresh = recordIn("configured", {
  id: "c".repeat(64),
  name: "fresh",
  createdAt: at(30),
  labels: { tier: "back" },
});
const records = [job, web, fresh];

describe("the ps table", () => {
  it("reads as Podman's: ages, Up and Exited times, Created, health, ports, cut command", () => {
    const newestFirst = selectContainers(records, { all: true });
    expect(psTable(newestFirst, { now })).toBe(
      [
        "CONTAINER ID  IMAGE             COMMAND            CREATED             STATUS                    PORTS                   NAMES",
        "cccccccccccc  busybox           sleep 1000         30 seconds ago      Created                                           fresh",
        "aaaaaaaaaaaa  localhost/shop:1  httpd -f -p 8080…  About a minute ago  Up 3 seconds (healthy)    0.0.0.0:8080->8080/tcp  web",
        "bbbbbbbbbbbb  busybox           true               3 hours ago         Exited (0) 2 minutes ago                          job",
        "",
      ].join("\n"),
    );
  });

  it("shows whole ids and commands with --no-trunc", () => {
    const out = psTable([web], { now, noTrunc: true });
    expect(out).toContain("a".repeat(64));
    expect(out).toContain("httpd -f -p 8080 -h /srv/www");
    expect(out).not.toContain("…");
  });

  it("says Paused for a paused container", () => {
    expect(statusOf(recordIn("paused"), now)).toBe("Paused");
  });
});

describe("ps's selection", () => {
  const names = (q: Parameters<typeof selectContainers>[1]) =>
    selectContainers(records, q).map((r) => r.name);

  it("lists running and paused containers newest first unless -a", () => {
    expect(names({})).toEqual(["web"]);
    expect(names({ all: true })).toEqual(["fresh", "web", "job"]);
  });

  it.each([
    [["status=exited"], ["job"]],
    [["status=created"], ["fresh"]],
    [
      ["status=created", "status=running"],
      ["fresh", "web"],
    ],
    [["name=^we"], ["web"]],
    [["id=bbb"], ["job"]],
    [["label=tier"], ["fresh", "web"]],
    [["label=tier=back"], ["fresh"]],
    [["label=tier", "status=running"], ["web"]],
    [["ancestor=localhost/shop"], ["web"]],
    [["ancestor=busybox"], ["fresh", "job"]],
    [["health=healthy"], ["web"]],
    [["health=none"], ["fresh", "job"]],
  ])("with --filter %j lists %j", (filter, expected) => {
    expect(names({ filter })).toEqual(expected);
  });

  it("keeps the n newest with --last, and orders by --sort", () => {
    expect(names({ last: 2 })).toEqual(["fresh", "web"]);
    expect(names({ all: true, sort: "names" })).toEqual(["fresh", "job", "web"]);
    expect(names({ last: 2, sort: "names" })).toEqual(["fresh", "web"]);
  });

  it.each([
    [{ filter: ["colour=red"] }, "invalid --filter colour"],
    [{ filter: ["status=sleeping"] }, "invalid --filter status=sleeping"],
    [{ filter: ["health=fine"] }, "invalid --filter health=fine"],
    [{ filter: ["name"] }, "use key=value"],
    [{ sort: "size" }, "invalid --sort size"],
  ])("refuses %j", (q, message) => {
    expect(() => selectContainers(records, q)).toThrow(message);
  });
});

describe("ps templates", () => {
  it("see Podman's field names", () => {
    const t = parseGoTemplate(
      "{{.ID}} {{.Names}} {{.State}} {{.Status}} {{.CreatedAt}} {{.Labels.tier}} {{.Ports}}",
    );
    expect(t.render([psView(web, now), psView(fresh, now)])).toBe(
      "aaaaaaaaaaaa web running Up 3 seconds (healthy) 2026-01-01 00:58:30 +0000 UTC front 0.0.0.0:8080->8080/tcp\n" +
        "cccccccccccc fresh created Created 2026-01-01 00:59:30 +0000 UTC back \n",
    );
  });
});
