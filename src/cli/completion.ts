/**
 * `berth completion SHELL` and the hidden `berth __complete -- WORDS...` its
 * scripts call on each TAB.
 */
import type { Command } from "commander";
import { BerthClient } from "../client/index.js";
import { InvalidArgError } from "../errors.js";
import { completionScripts, SHELLS, type Shell } from "./completion-scripts.js";
import { commandSpec } from "./completion-tree.js";
import { completionFor, namesFor, type Named } from "./completion-words.js";

/** A TAB must not hang on a daemon that accepts but does not answer. */
const LOOKUP_TIMEOUT_MS = 2000;

/** Prints the completion script for `shell`. */
export function completion(_socket: string, shell: string): void {
  if (!(SHELLS as readonly string[]).includes(shell))
    throw new InvalidArgError(`unsupported shell ${shell}: use ${SHELLS.join(", ")}`);
  process.stdout.write(completionScripts[shell as Shell]);
}

/** The socket a command line names with `--socket PATH` or `--socket=PATH`, if any. */
function socketIn(words: string[]): string | undefined {
  for (let i = 0; i < words.length - 1; i++) {
    const word = words[i]!;
    if (word === "--socket" && i < words.length - 2) return words[i + 1];
    if (word.startsWith("--socket=")) return word.slice("--socket=".length);
  }
  return undefined;
}

async function lookup(socket: string, kind: "container" | "image"): Promise<Named[]> {
  const client = new BerthClient({ socketPath: socket });
  const path = kind === "container" ? "/containers?all=1" : "/images";
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Named[]>((resolve) => {
    timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([client.call<Named[]>("GET", path), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Prints, one per line, what may complete the last of `words`. With the
 * daemon down (or slow) it prints no names and exits 0: a TAB never shows
 * an error.
 */
export async function complete(program: Command, words: string[], socket: string) {
  const found = completionFor(commandSpec(program), words.length > 0 ? words : [""]);
  let candidates: string[];
  if ("words" in found) candidates = found.words;
  else {
    const records = await lookup(socketIn(words) ?? socket, found.lookup).catch(() => []);
    candidates = namesFor(records, found.prefix);
  }
  if (candidates.length > 0) process.stdout.write(`${candidates.join("\n")}\n`);
  // An unanswered request would otherwise hold the process open.
  process.exit(0);
}
