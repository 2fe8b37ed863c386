/**
 * The Go text/template subset behind `--format`: what Podman users write to
 * scripts, printed as Podman prints it, and refused when it is anything else.
 */
import { describe, expect, it } from "vitest";
import { FormatInvalidError } from "../../src/errors.js";
import { alignTabs, parseGoTemplate } from "../../src/cli/go-template.js";
import { outputFormat } from "../../src/cli/output-format.js";

const row = {
  ID: "0123456789ab",
  Names: "web",
  State: { Status: "running", ExitCode: 0 },
  Labels: new Map([["app", "shop"]]),
  Args: ["-c", "sleep 1"],
};
const render = (format: string, rows: unknown[] = [row]) => parseGoTemplate(format).render(rows);

describe("a Go template", () => {
  it("prints fields, nested fields and literal text, one line per row", () => {
    expect(render("{{.Names}} is {{.State.Status}}", [row, { ...row, Names: "db" }])).toBe(
      "web is running\ndb is running\n",
    );
  });

  it("prints json of a field or of the whole row, with maps as objects", () => {
    expect(render("{{json .Names}}")).toBe('"web"\n');
    expect(JSON.parse(render("{{json .}}"))).toEqual({
      ...row,
      Labels: { app: "shop" },
    });
  });

  it("applies upper, lower and join, called or piped", () => {
    expect(render('{{upper .Names}} {{.State.Status | upper}} {{lower "AB"}}')).toBe(
      "WEB RUNNING ab\n",
    );
    expect(render('{{join .Args ","}}')).toBe("-c,sleep 1\n");
  });

  it("prints lists and maps as Go does, and a missing map key as <no value>", () => {
    expect(render("{{.Args}} {{.Labels}} {{.Labels.app}} {{.Labels.nope}}")).toBe(
      "[-c sleep 1] map[app:shop] shop <no value>\n",
    );
  });

  it("repeats a range body for each element, and trims blanks beside a dash", () => {
    expect(render("{{range .Args}}<{{.}}>{{end}}")).toBe("<-c><sleep 1>\n");
    expect(render("a  {{- .Names -}}  b")).toBe("awebb\n");
  });

  it("puts a header row over a table, titles from the field names or the verb's own", () => {
    const t = parseGoTemplate("table {{.ID}}\\t{{.Names}}\\t{{.CreatedAt}}", {
      ID: "CONTAINER ID",
    });
    expect(t.render([{ ID: "0123456789ab", Names: "web", CreatedAt: "now" }])).toBe(
      "CONTAINER ID  NAMES       CREATED AT\n0123456789ab  web         now\n",
    );
  });

  it("aligns tab-separated cells as Podman's tabwriter does: at least 12 wide, 2 apart", () => {
    expect(alignTabs("a\tbb\tc\nlonger-than-twelve\tb\tc\n")).toBe(
      "a                   bb          c\nlonger-than-twelve  b           c\n",
    );
  });

  it.each([
    ["{{.Nope}}", "can't evaluate field Nope"],
    ["{{.State.Nope}}", "can't evaluate field Nope"],
  ])("fails on a field the row does not have: %s", (format, message) => {
    expect(() => render(format)).toThrow(message);
  });

  it.each([
    "{{printf .Names}}",
    "{{.Names",
    "{{end}}",
    "{{range .Args}}x",
    "{{.Names x}}",
    "{{|}}",
  ])("refuses %s when parsed, as FORMAT_INVALID", (format) => {
    let thrown: unknown;
    try {
      parseGoTemplate(format);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FormatInvalidError);
    expect((thrown as FormatInvalidError).code).toBe("FORMAT_INVALID");
  });
});

describe("a --format value", () => {
  it("is the table, JSON, or a template", () => {
    expect(outputFormat("table").kind).toBe("table");
    expect(outputFormat("json").kind).toBe("json");
    expect(outputFormat("{{.ID}}").kind).toBe("template");
  });

  it("is refused when it is none of them, or a table where the verb has none", () => {
    expect(() => outputFormat("yaml")).toThrow(FormatInvalidError);
    expect(() => outputFormat("{{.ID")).toThrow(FormatInvalidError);
    expect(() => outputFormat("table", { table: false })).toThrow("use json or a Go template");
  });
});
