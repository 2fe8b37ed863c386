import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addHelp, helpAfter, VERB_HELP } from "../../src/cli/help-text.js";

const helpOf = (program: Command, ...path: string[]) => {
  let cmd = program;
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  // commander writes the added text through process.stdout, past configureOutput.
  let text = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (s: string) => ((text += s), true);
  try {
    cmd.outputHelp();
  } finally {
    process.stdout.write = write;
  }
  return text;
};

describe("verb help", () => {
  it("shows the stop timeout's default of 10 seconds and an example after stop's options", () => {
    const program = new Command("berth");
    program.command("stop").option("-t, --time <seconds>").argument("<containers...>");
    expect(addHelp(program)).toEqual([]);
    const text = helpOf(program, "stop");
    expect(text).toMatch(/Defaults:\n {2}-t, --time: .*10 seconds/);
    expect(text).toMatch(/Example:\n {2}berth stop -t 5 web\n/);
  });

  it("reaches verbs under a group and names the verbs it has no help for", () => {
    const program = new Command("berth");
    const image = program.command("image");
    image.command("ls");
    image.command("frobnicate");
    program.command("__complete");
    expect(addHelp(program)).toEqual(["image frobnicate"]);
    expect(helpOf(program, "image", "ls")).toContain("berth image ls");
  });

  it("gives every entry an example of its own verb", () => {
    for (const [path, help] of Object.entries(VERB_HELP)) {
      const text = helpAfter(path);
      expect(text, path).toContain("Example:");
      if (path !== "completion") expect(help.example.startsWith(`berth ${path}`), path).toBe(true);
    }
  });
});
