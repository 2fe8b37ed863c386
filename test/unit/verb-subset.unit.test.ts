/**
 * The CLI declares only the verb a command line names (src/cli/verb-subset.ts),
 * and everything when it names none, or one that is not declared by its name.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { only, verbWanted } from "../../src/cli/verb-subset.js";

describe("the verb a command line asks for", () => {
  it.each([
    [["ps", "-a"], "ps"],
    [["--socket", "/tmp/s.sock", "inspect", "web"], "inspect"],
    [["--socket=/tmp/s.sock", "rm", "-f", "web"], "rm"],
    [["image", "ls"], "image"],
    [["--help"], undefined],
    [["-v"], undefined],
    [[], undefined],
    [["--", "ps"], undefined],
    [["__complete", "st"], undefined],
  ])("in %j is %s", (args, verb) => {
    expect(verbWanted(args)).toBe(verb);
  });
});

/** A verb table in the shape of main.ts's: chained builders, a group with subcommands, an alias. */
function declare(program: Command): void {
  program
    .command("ps")
    .option("-a, --all", "all")
    .option("-q", "quiet")
    .action(() => undefined);
  const image = program.command("image").description("manage images");
  image.command("ls").option("--digests", "digests");
  program.command("images").option("--digests", "digests");
  program.command("volume").alias("vol").command("ls");
}

describe("declaring the verbs of one command line", () => {
  it("declares the named verb with its options and nothing else", () => {
    const program = new Command("berth");
    declare(only(program, "ps"));
    expect(program.commands.map((c) => c.name())).toEqual(["ps"]);
    expect(program.commands[0]!.options.map((o) => o.long)).toEqual(["--all", undefined]);
  });

  it("declares a group with its subcommands", () => {
    const program = new Command("berth");
    declare(only(program, "image"));
    expect(program.commands.map((c) => c.name())).toEqual(["image"]);
    expect(program.commands[0]!.commands.map((c) => c.name())).toEqual(["ls"]);
  });

  it("declares nothing for an alias, which the caller answers by declaring every verb", () => {
    const program = new Command("berth");
    declare(only(program, "vol"));
    expect(program.commands).toHaveLength(0);
    declare(program);
    expect(program.commands.map((c) => c.name())).toEqual(["ps", "image", "images", "volume"]);
  });

  it("leaves every other property of the program as it is", () => {
    const program = new Command("berth").option("--socket <path>", "socket");
    const narrowed = only(program, "ps");
    expect(narrowed.name()).toBe("berth");
    expect(narrowed.options).toBe(program.options);
  });
});
