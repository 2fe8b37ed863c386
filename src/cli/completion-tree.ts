/**
 * The CLI's command tree, read from commander, as the plain data completion
 * walks: completion then follows every verb and flag main.ts declares, with
 * no second list to keep in step.
 */
import type { Command, Option } from "commander";
import { kindOfName, type CommandSpec, type FlagSpec } from "./completion-words.js";

/** Hidden commands (`__complete`) are named with a leading `__`. */
const isHidden = (cmd: Command) => cmd.name().startsWith("__");

function flagOf(option: Option): FlagSpec {
  const placeholder = /<([^>.]+)(?:\.\.\.)?>/.exec(option.flags)?.[1] ?? "";
  return {
    names: [option.long, option.short].filter((n): n is string => n !== undefined),
    // An optional value (`--stream [bool]`) is written `--stream=false`, never as the next word.
    takesValue: option.required,
    valueKind: kindOfName(placeholder),
    choices: option.argChoices ?? [],
  };
}

const HELP: FlagSpec = { names: ["--help"], takesValue: false, valueKind: "other", choices: [] };

/** `cmd` and every visible command under it. */
export function commandSpec(cmd: Command): CommandSpec {
  return {
    names: [cmd.name(), ...cmd.aliases()],
    flags: [...cmd.options.filter((o) => !o.hidden).map(flagOf), HELP],
    args: cmd.registeredArguments.map((a) => ({
      kind: kindOfName(a.name()),
      variadic: a.variadic,
      choices: a.argChoices ?? [],
    })),
    subcommands: cmd.commands.filter((c) => !isHidden(c)).map(commandSpec),
  };
}
