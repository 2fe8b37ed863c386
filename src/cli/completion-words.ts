/**
 * Shell completion, the pure part: given the CLI's command tree as plain data
 * and the words typed after `berth`, what may come next. Names that only the
 * daemon knows (containers, images) are asked for, not looked up here.
 */

/** What a positional argument or an option's value names. */
export type ValueKind = "container" | "image" | "other";

/** An option of a command, as completion needs it. */
export interface FlagSpec {
  /** `--long` and/or `-s`. */
  names: string[];
  /** Whether the next word is the option's value (`--name <name>`). */
  takesValue: boolean;
  valueKind: ValueKind;
  choices: string[];
}

/** A command, its options, its positional arguments and its subcommands. */
export interface CommandSpec {
  /** The name, then its aliases. */
  names: string[];
  flags: FlagSpec[];
  args: { kind: ValueKind; variadic: boolean; choices: string[] }[];
  subcommands: CommandSpec[];
}

/** Words to offer, or the daemon's names of one kind, each filtered by `prefix`. */
export type Completion =
  { words: string[] } | { lookup: Exclude<ValueKind, "other">; prefix: string };

const startsWith = (prefix: string) => (w: string) => w.startsWith(prefix);

/** The kind of a placeholder such as `<containers...>` or `[image]`. */
export function kindOfName(name: string): ValueKind {
  if (/^containers?$/.test(name)) return "container";
  if (/^images?$/.test(name)) return "image";
  return "other";
}

function findFlag(cmd: CommandSpec, word: string): FlagSpec | undefined {
  return cmd.flags.find((f) => f.names.includes(word));
}

function valueOf(kind: ValueKind, choices: string[], prefix: string): Completion {
  if (choices.length > 0) return { words: choices.filter(startsWith(prefix)) };
  if (kind === "other") return { words: [] };
  return { lookup: kind, prefix };
}

/**
 * What may complete the last of `words` (the word under the cursor, `""` after
 * a space), given the words before it. Flags are offered only when that word
 * starts with `-`, as Podman's completion does, so a bare TAB lists verbs or
 * names.
 */
export function completionFor(root: CommandSpec, words: string[]): Completion {
  const current = words[words.length - 1] ?? "";
  const before = words.slice(0, -1);
  let cmd = root;
  let positional = 0;
  for (let i = 0; i < before.length; i++) {
    const word = before[i]!;
    if (word === "--") {
      // Everything after `--` is positional; nothing more to offer for it.
      return { words: [] };
    }
    if (word.startsWith("-")) {
      const flag = findFlag(cmd, word) ?? findFlag(root, word);
      if (flag?.takesValue && !word.includes("=")) i++;
      continue;
    }
    const sub = positional === 0 ? cmd.subcommands.find((s) => s.names.includes(word)) : undefined;
    if (sub) cmd = sub;
    else positional++;
  }
  const previous = before[before.length - 1];
  const valueFlag = previous?.startsWith("-") ? findFlag(cmd, previous) : undefined;
  if (valueFlag?.takesValue && !previous!.includes("=")) {
    return valueOf(valueFlag.valueKind, valueFlag.choices, current);
  }
  if (current.startsWith("-")) {
    return { words: cmd.flags.flatMap((f) => f.names).filter(startsWith(current)) };
  }
  if (positional === 0 && cmd.subcommands.length > 0) {
    return { words: cmd.subcommands.flatMap((s) => s.names).filter(startsWith(current)) };
  }
  const last = cmd.args[cmd.args.length - 1];
  const arg = cmd.args[positional] ?? (last?.variadic ? last : undefined);
  return arg ? valueOf(arg.kind, arg.choices, current) : { words: [] };
}

/** A container record (`name`) or an image record (`names`), as far as completion reads it. */
export interface Named {
  id: string;
  name?: string;
  names?: string[];
}

/** The daemon's container names and short ids, or image names and short ids, that fit, sorted. */
export function namesFor(records: Named[], prefix: string): string[] {
  const words = records.flatMap((r) => [
    ...(r.name !== undefined ? [r.name] : []),
    ...(r.names ?? []),
    r.id.slice(0, 12),
  ]);
  // Sorted: the daemon lists newest first, and a shell may show them as given.
  return [...new Set(words)].filter(startsWith(prefix)).sort();
}
