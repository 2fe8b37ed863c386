/**
 * The image configuration (issue 11): its fields are read from OCI and Docker
 * config blobs, and combined with create's overrides as Docker does.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgError, ManifestInvalidError } from "../../src/errors.js";
import {
  digestOf,
  parseImageConfig,
  resolveRunConfig,
  type ImageConfig,
  type RunOverrides,
} from "../../src/images/index.js";

const diff = digestOf("layer");

describe("parseImageConfig", () => {
  it("reads the fields a container's process needs", () => {
    const config = parseImageConfig(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: {
          Entrypoint: ["/entry.sh"],
          Cmd: ["serve", "--port", "80"],
          Env: ["PATH=/usr/bin:/bin", "A=1"],
          WorkingDir: "/srv",
          User: "1000:1000",
          StopSignal: "SIGQUIT",
          Labels: { maintainer: "me" },
          ExposedPorts: { "80/tcp": {}, "53/udp": {} },
          Healthcheck: { Test: ["NONE"] },
        },
        rootfs: { type: "layers", diff_ids: [diff] },
        history: [{ created_by: "test" }],
      }),
    );
    expect(config).toEqual({
      architecture: "amd64",
      os: "linux",
      entrypoint: ["/entry.sh"],
      cmd: ["serve", "--port", "80"],
      env: ["PATH=/usr/bin:/bin", "A=1"],
      workingDir: "/srv",
      user: "1000:1000",
      stopSignal: "SIGQUIT",
      labels: { maintainer: "me" },
      exposedPorts: ["80/tcp", "53/udp"],
      // Kept as the image says it; ["NONE"] disables a healthcheck at create.
      healthcheck: { test: ["NONE"] },
      diffIds: [diff],
    });
  });

  it("reads null fields, as Docker writes them, as empty", () => {
    const config = parseImageConfig(
      JSON.stringify({
        architecture: "arm64",
        os: "linux",
        config: { Entrypoint: null, Cmd: null, Env: null, Labels: null },
        rootfs: { type: "layers", diff_ids: [] },
      }),
    );
    expect(config.entrypoint).toEqual([]);
    expect(config.cmd).toEqual([]);
    expect(config.labels).toEqual({});
    expect(config.workingDir).toBe("");
  });

  const refused: [string, string][] = [
    ["text that is not JSON", "{"],
    ["a config without rootfs", JSON.stringify({ architecture: "amd64", os: "linux" })],
    ["a bad diff_id", JSON.stringify({ rootfs: { type: "layers", diff_ids: ["sha256:1"] } })],
    [
      "a Cmd that is a string",
      JSON.stringify({ config: { Cmd: "sh" }, rootfs: { type: "layers", diff_ids: [] } }),
    ],
    ["a config over 4 MiB", " ".repeat(4 * 1024 * 1024 + 1)],
  ];
  it.each(refused)("refuses %s with ManifestInvalidError", (_name, text) => {
    expect(() => parseImageConfig(text)).toThrow(ManifestInvalidError);
  });
});

describe("resolveRunConfig", () => {
  const image: ImageConfig = {
    architecture: "amd64",
    os: "linux",
    entrypoint: ["/entry.sh"],
    cmd: ["serve"],
    env: ["PATH=/bin", "MODE=prod"],
    workingDir: "/srv",
    user: "app",
    stopSignal: "SIGQUIT",
    labels: { a: "image", b: "image" },
    exposedPorts: ["8080/tcp"],
    diffIds: [],
  };
  const plain: ImageConfig = { ...image, entrypoint: [], cmd: ["sh"], workingDir: "", user: "" };
  delete plain.stopSignal;

  const argv: [string, ImageConfig, RunOverrides, string[]][] = [
    ["the image's entrypoint and cmd by default", image, {}, ["/entry.sh", "serve"]],
    ["a command replacing only Cmd", image, { command: ["debug"] }, ["/entry.sh", "debug"]],
    ["an entrypoint dropping the image's Cmd", image, { entrypoint: ["/bin/sh"] }, ["/bin/sh"]],
    [
      "an entrypoint and a command together",
      image,
      { entrypoint: ["/bin/sh"], command: ["-c", "x"] },
      ["/bin/sh", "-c", "x"],
    ],
    ["an empty entrypoint clearing it and keeping Cmd", image, { entrypoint: [] }, ["serve"]],
    ["an empty command clearing Cmd", image, { command: [] }, ["/entry.sh"]],
    ["a Cmd-only image", plain, {}, ["sh"]],
  ];
  it.each(argv)("runs %s", (_name, img, overrides, args) => {
    expect(resolveRunConfig(img, overrides).args).toEqual(args);
  });

  it("merges Env by key with create winning, and keeps the image's other keys", () => {
    const env = resolveRunConfig(image, { env: ["MODE=dev", "EXTRA=1"] }).env;
    expect(env).toEqual(["MODE=dev", "EXTRA=1", "PATH=/bin"]);
  });

  it("drops image Env entries that are no variable and reads a relative WorkingDir from /", () => {
    const odd = {
      ...image,
      env: ["PATH=/bin", "LONELY", "=empty", "A=1"],
      workingDir: "srv/../app",
    };
    const run = resolveRunConfig(odd);
    expect(run.env).toEqual(["PATH=/bin", "A=1"]);
    expect(run.workingDir).toBe("/app");
  });

  it("keeps the image's exposed ports for the container", () => {
    expect(resolveRunConfig(image).exposedPorts).toEqual(["8080/tcp"]);
  });

  it("takes WorkingDir, User and StopSignal from the image unless overridden", () => {
    expect(resolveRunConfig(image)).toMatchObject({
      workingDir: "/srv",
      user: "app",
      stopSignal: "SIGQUIT",
    });
    expect(
      resolveRunConfig(image, { workingDir: "/tmp", user: "0", stopSignal: "SIGINT" }),
    ).toMatchObject({
      workingDir: "/tmp",
      user: "0",
      stopSignal: "SIGINT",
    });
  });

  it("defaults to / , the runtime's user and SIGTERM when neither names them", () => {
    expect(resolveRunConfig(plain)).toMatchObject({
      workingDir: "/",
      user: "",
      stopSignal: "SIGTERM",
    });
  });

  it("merges labels with create winning", () => {
    expect(resolveRunConfig(image, { labels: { b: "create", c: "create" } }).labels).toEqual({
      a: "image",
      b: "create",
      c: "create",
    });
  });

  it("refuses when neither the image nor create names a command", () => {
    const none = { ...plain, cmd: [] };
    expect(() => resolveRunConfig(none)).toThrow(InvalidArgError);
    expect(() => resolveRunConfig(image, { entrypoint: [], command: [] })).toThrow(/no command/);
  });
});
