/**
 * Declares only the verb a command line asks for.
 *
 * Why: commander builds every command and option before it parses, and
 * berth has about 70 verbs with 300 options; building them all was a fifth
 * of what `berth ps` spent in node before it asked the daemon anything
 * (bench/cli.ts). The verb table in main.ts stays one function that declares
 * everything; run against `only(program, verb)`, every other top-level verb
 * it declares goes to a stand-in that accepts any call and keeps nothing.
 */
import type { Command } from "commander";

/** Verbs that read the whole tree: completion walks every verb and flag. */
const NEED_EVERY_VERB = new Set(["__complete"]);

/**
 * The top-level verb in `args` (argv without node and the script), or
 * undefined when there is none (`--help`, `--version`) or it needs every verb.
 * `--socket` is the one global option that takes a value.
 */
export function verbWanted(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return undefined;
    if (arg === "--socket") i++;
    else if (!arg.startsWith("-")) return NEED_EVERY_VERB.has(arg) ? undefined : arg;
  }
  return undefined;
}

/** A command builder that accepts any chain of calls and declares nothing. */
const inert: Command = new Proxy(function inertCommand() {}, {
  get: () => () => inert,
}) as unknown as Command;

/**
 * `program` as a verb table sees it, but `command(name)` declares only
 * `verb`. An alias is not known until its command is declared: when nothing
 * was declared, the caller declares every verb (see main.ts).
 */
export function only(program: Command, verb: string): Command {
  return new Proxy(program, {
    get(target, key, receiver) {
      if (key !== "command") return Reflect.get(target, key, receiver) as unknown;
      return (nameAndArgs: string, ...rest: unknown[]) =>
        nameAndArgs.split(" ")[0] === verb
          ? (target.command as (...a: unknown[]) => Command)(nameAndArgs, ...rest)
          : inert;
    },
  });
}
