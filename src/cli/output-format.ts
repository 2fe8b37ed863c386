/**
 * What `--format` asks for: the verb's own table, JSON, or a Go template.
 * Anything else is refused (exit 125), never answered with the table.
 */
import { FormatInvalidError } from "../errors.js";
import { parseGoTemplate, type GoTemplate } from "./go-template.js";

/** A verb's reading of its `--format` value. */
export type OutputFormat =
  { kind: "table" } | { kind: "json" } | { kind: "template"; template: GoTemplate };

/**
 * Reads `--format`: `json`, `table` (where the verb has one), or a Go template
 * (Podman reads any value with `{{` as one). `headers` names the columns of a
 * `table {{...}}` template where Podman's titles differ from the field names.
 */
export function outputFormat(
  format: string,
  opts: { table?: boolean; headers?: Record<string, string> } = {},
): OutputFormat {
  const hasTable = opts.table ?? true;
  if (format === "json") return { kind: "json" };
  if (format === "table" && hasTable) return { kind: "table" };
  if (format.includes("{{"))
    return { kind: "template", template: parseGoTemplate(format, opts.headers) };
  const choices = hasTable ? "table, json or a Go template" : "json or a Go template";
  throw new FormatInvalidError(`unsupported --format ${JSON.stringify(format)}: use ${choices}`);
}
