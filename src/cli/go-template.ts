/**
 * The part of Go's text/template that `--format` users write to Podman:
 * fields with dots (`{{.State.Status}}`), the functions `json`, `upper`,
 * `lower` and `join`, pipes (`{{.Names | upper}}`), `{{range}}...{{end}}` and
 * the `{{-`/`-}}` trim markers. Anything else is refused when parsed, so a
 * script learns of a typo instead of getting a table it did not ask for.
 */
import { FormatInvalidError } from "../errors.js";

type Arg = { kind: "field"; path: string[] } | { kind: "string"; value: string };
interface Call {
  fn?: string;
  args: Arg[];
}
type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Call[] }
  | { kind: "range"; pipe: Call[]; body: Node[] };

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => JSON.stringify(v, goJson),
  upper: (v) => show(v).toUpperCase(),
  lower: (v) => show(v).toLowerCase(),
  join: (list, sep) => (Array.isArray(list) ? list.map(show).join(show(sep)) : show(list)),
};

/** Maps in views are JS Maps, so a missing key reads as Go's `<no value>`; JSON shows them as objects. */
function goJson(_key: string, value: unknown): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}

/** A value as Go's `fmt.Print` writes it. */
export function show(value: unknown): string {
  if (value === undefined || value === null) return "<no value>";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(show).join(" ")}]`;
  if (value instanceof Map)
    return `map[${[...(value as Map<string, unknown>).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}:${show(v)}`)
      .join(" ")}]`;
  if (typeof value === "object") return `{${Object.values(value).map(show).join(" ")}}`;
  return typeof value === "function" ? "<func>" : `${value as number | boolean}`;
}

const fail = (format: string, why: string) =>
  new FormatInvalidError(`template ${JSON.stringify(format)}: ${why}`);

function parseArg(format: string, word: string): Arg {
  if (word === ".") return { kind: "field", path: [] };
  if (/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(word))
    return { kind: "field", path: word.slice(1).split(".") };
  if (/^"(?:[^"\\]|\\.)*"$/.test(word))
    return { kind: "string", value: JSON.parse(word) as string };
  throw fail(format, `unsupported argument ${word}`);
}

/** Splits on blanks, keeping a quoted string whole. */
const wordsOf = (text: string) => text.match(/"(?:[^"\\]|\\.)*"|[^\s"]+/g) ?? [];

function parsePipe(format: string, text: string): Call[] {
  const stages = text.split("|").map((s) => s.trim());
  if (stages.some((s) => s === "")) throw fail(format, `empty command in {{${text}}}`);
  return stages.map((stage) => {
    const [first, ...rest] = wordsOf(stage);
    if (first === undefined) throw fail(format, "empty action");
    if (first.startsWith(".") || first.startsWith('"')) {
      if (rest.length > 0) throw fail(format, `${first} is not a function`);
      return { args: [parseArg(format, first)] };
    }
    if (!(first in FUNCTIONS)) throw fail(format, `function ${JSON.stringify(first)} not defined`);
    return { fn: first, args: rest.map((w) => parseArg(format, w)) };
  });
}

function parse(format: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const open: Extract<Node, { kind: "range" }>[] = [];
  let rest = format;
  let trimNext = false;
  while (rest.length > 0) {
    const at = rest.indexOf("{{");
    let text = at < 0 ? rest : rest.slice(0, at);
    if (trimNext) text = text.trimStart();
    const close = at < 0 ? -1 : rest.indexOf("}}", at);
    if (at >= 0 && close < 0) throw fail(format, "unclosed action");
    let inner = at < 0 ? "" : rest.slice(at + 2, close);
    if (inner.startsWith("-")) {
      text = text.trimEnd();
      inner = inner.slice(1);
    }
    trimNext = inner.endsWith("-");
    if (trimNext) inner = inner.slice(0, -1);
    if (text !== "") stack[stack.length - 1]!.push({ kind: "text", text });
    if (at < 0) break;
    rest = rest.slice(close + 2);
    const action = inner.trim();
    if (action === "end") {
      if (open.pop() === undefined) throw fail(format, "unexpected {{end}}");
      stack.pop();
    } else if (action.startsWith("range ")) {
      const node = { kind: "range" as const, pipe: parsePipe(format, action.slice(6)), body: [] };
      stack[stack.length - 1]!.push(node);
      open.push(node);
      stack.push(node.body);
    } else {
      stack[stack.length - 1]!.push({ kind: "action", pipe: parsePipe(format, action) });
    }
  }
  if (open.length > 0) throw fail(format, "missing {{end}}");
  return root;
}

function field(format: string, dot: unknown, path: string[]): unknown {
  let value = dot;
  for (const name of path) {
    if (value instanceof Map) value = (value as Map<string, unknown>).get(name);
    else if (value !== null && typeof value === "object" && Object.hasOwn(value, name))
      value = (value as Record<string, unknown>)[name];
    else throw fail(format, `can't evaluate field ${name}`);
  }
  return value;
}

function evalPipe(format: string, pipe: Call[], dot: unknown): unknown {
  let piped: unknown[] = [];
  for (const call of pipe) {
    const args = [
      ...call.args.map((a) => (a.kind === "string" ? a.value : field(format, dot, a.path))),
      ...piped,
    ];
    piped = [call.fn === undefined ? args[0] : FUNCTIONS[call.fn]!(...args)];
  }
  return piped[0];
}

function run(format: string, nodes: Node[], dot: unknown): string {
  return nodes
    .map((node) => {
      if (node.kind === "text") return node.text;
      const value = evalPipe(format, node.pipe, dot);
      if (node.kind === "action") return show(value);
      const items =
        value instanceof Map ? [...(value as Map<string, unknown>).values()] : (value ?? []);
      if (!Array.isArray(items)) throw fail(format, "range can't iterate over a non-list");
      return items.map((item) => run(format, node.body, item)).join("");
    })
    .join("");
}

/** A header cell for a field: `CreatedAt` -> `CREATED AT`, unless the command names it. */
function headerOf(path: string[], names: Record<string, string>): string {
  const last = path[path.length - 1];
  if (last === undefined) return "";
  return names[last] ?? last.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toUpperCase();
}

function headerRow(nodes: Node[], names: Record<string, string>): string {
  return nodes
    .map((node) => {
      if (node.kind === "text") return node.text;
      const arg = node.pipe[0]?.args.find((a) => a.kind === "field");
      return arg?.kind === "field" ? headerOf(arg.path, names) : "";
    })
    .join("");
}

/** A parsed `--format` template; `table` adds a header row. */
export interface GoTemplate {
  /** The rows as Podman prints them: header first with `table`, `\t` cells aligned. */
  render(rows: unknown[]): string;
  /** One row, unaligned, for output that streams (`events`). */
  line(row: unknown): string;
  /** The header line of a `table` template, else undefined. */
  header(): string | undefined;
}

/**
 * Parses a Go template as Podman reads `--format`: `\t` and `\n` written as
 * two characters become a tab and a line break, each row ends with one line
 * break, and a leading `table` asks for a header row. `names` gives a
 * field's column title where Podman's differs from the field name
 * (`ID` -> `CONTAINER ID`).
 */
export function parseGoTemplate(format: string, names: Record<string, string> = {}): GoTemplate {
  const table = /^table(\s|$)/.test(format);
  let body = (table ? format.slice(5) : format).trim().replaceAll("\\t", "\t");
  body = body.replaceAll("\\n", "\n");
  if (!body.endsWith("\n")) body += "\n";
  const nodes = parse(body);
  const header = table ? headerRow(nodes, names) : undefined;
  return {
    render: (rows) =>
      alignTabs(
        [...(header !== undefined ? [header] : []), ...rows.map((r) => run(format, nodes, r))].join(
          "",
        ),
      ),
    line: (row) => run(format, nodes, row),
    header: () => header,
  };
}

/**
 * Go's tabwriter as Podman sets it up (minimum width 12, padding 2, spaces):
 * a tab ends a cell, a column is as wide as its widest cell plus 2, at least
 * 12; the last cell of a line is left as it is.
 */
export function alignTabs(text: string): string {
  const lines = text.split("\n").map((l) => l.split("\t"));
  const widths: number[] = [];
  for (const cells of lines)
    cells.slice(0, -1).forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 12, c.length + 2);
    });
  return lines
    .map((cells) =>
      cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join(""),
    )
    .join("\n");
}
