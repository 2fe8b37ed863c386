/**
 * Shell completion's word generator: verbs, a verb's flags, and where the
 * daemon's container or image names are asked for, read from a commander
 * tree shaped like the CLI's.
 */
import { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { commandSpec } from "../../src/cli/completion-tree.js";
import { completionFor, namesFor } from "../../src/cli/completion-words.js";

function cli(): Command {
  const program = new Command("berth").version("0.1.0", "-v, --version");
  program.option("--socket <path>", "daemon socket");
  program
    .command("create")
    .option("--name <name>")
    .option("--requires <container>")
    .option("-t, --tty")
    .argument("<image>")
    .argument("[command...]");
  program.command("start").option("-a, --attach").argument("<containers...>");
  program.command("stop").argument("<containers...>");
  program
    .command("kill")
    .addOption(new Option("-s, --signal <signal>").choices(["SIGKILL", "SIGTERM"]))
    .argument("<containers...>");
  program.command("events").option("--stream [bool]");
  program.command("status");
  const image = program.command("image");
  image.command("inspect").argument("<images...>");
  image.command("import <tar> [name]");
  program.command("images").alias("image-ls");
  program.command("__complete", { hidden: true }).argument("[words...]");
  return program;
}

const spec = commandSpec(cli());
const complete = (...words: string[]) => completionFor(spec, words);

describe("completion words", () => {
  it("offers every visible verb and alias that starts with the typed prefix", () => {
    expect(complete("")).toEqual({
      words: ["create", "start", "stop", "kill", "events", "status", "image", "images", "image-ls"],
    });
    expect(complete("st")).toEqual({ words: ["start", "stop", "status"] });
    expect(complete("__")).toEqual({ words: [] });
  });

  it("offers a verb's flags only once the word starts with a dash", () => {
    expect(complete("start", "-")).toEqual({ words: ["--attach", "-a", "--help"] });
    expect(complete("create", "--r")).toEqual({ words: ["--requires"] });
    expect(complete("--", "")).toEqual({ words: [] });
    expect(complete("--v")).toEqual({ words: ["--version"] });
  });

  it("asks the daemon for containers at every position of a variadic container argument", () => {
    expect(complete("start", "we")).toEqual({ lookup: "container", prefix: "we" });
    expect(complete("stop", "a", "b", "")).toEqual({ lookup: "container", prefix: "" });
    expect(complete("start", "-a", "x")).toEqual({ lookup: "container", prefix: "x" });
  });

  it("asks for an image as create's first argument and offers nothing for the command after it", () => {
    expect(complete("create", "--name", "web", "-t", "bu")).toEqual({
      lookup: "image",
      prefix: "bu",
    });
    expect(complete("create", "busybox", "")).toEqual({ words: [] });
  });

  it("completes an option's value by what the option names, and nothing for free text", () => {
    expect(complete("create", "--requires", "d")).toEqual({ lookup: "container", prefix: "d" });
    expect(complete("create", "--name", "")).toEqual({ words: [] });
    expect(complete("kill", "-s", "SIGT")).toEqual({ words: ["SIGTERM"] });
    // An optional value is written --stream=false: the next word is not its value.
    expect(complete("events", "--stream", "-")).toEqual({
      words: ["--stream", "--help"],
    });
  });

  it("walks into subcommands, past the global --socket and its value", () => {
    expect(complete("image", "")).toEqual({ words: ["inspect", "import"] });
    expect(complete("--socket", "/run/x.sock", "image", "inspect", "lo")).toEqual({
      lookup: "image",
      prefix: "lo",
    });
    expect(complete("--socket", "/run/x.sock", "sta")).toEqual({ words: ["start", "status"] });
    expect(complete("image", "import", "")).toEqual({ words: [] });
  });

  it("offers names and short ids of the daemon's records that start with the prefix, once each", () => {
    const id = "ab".repeat(32);
    const records = [
      { id, name: "web" },
      { id: "cd".repeat(32), name: "worker" },
      { id: "ef".repeat(32), names: ["localhost/busybox:latest", "localhost/web:1"] },
    ];
    expect(namesFor(records, "w")).toEqual(["web", "worker"]);
    expect(namesFor(records, "ab")).toEqual([id.slice(0, 12)]);
    expect(namesFor(records, "localhost/")).toEqual([
      "localhost/busybox:latest",
      "localhost/web:1",
    ]);
    expect(namesFor([...records, { id, name: "web" }], "web")).toEqual(["web"]);
  });
});
