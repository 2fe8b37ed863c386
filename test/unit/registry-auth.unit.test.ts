/**
 * The pure parts of the registry client (issue 11): credentials, auth files,
 * `WWW-Authenticate` challenges, manifest documents and platform choice.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import { tempDir } from "../../src/harness/index.js";
import type { Digest } from "../../src/images/index.js";
import { parseChallenge, parseCreds, readAuthFile } from "../../src/images/registry/auth.js";
import { choosePlatform, MEDIA, parseManifestDocument } from "../../src/images/registry/wire.js";

const d = (c: string): Digest => `sha256:${c.repeat(64)}`;

describe("registry credentials", () => {
  it("splits user:password at the first colon, so a password may hold colons", () => {
    expect(parseCreds("ann:pa:ss")).toEqual({ username: "ann", password: "pa:ss" });
  });

  it("refuses credentials without a user name or a colon", () => {
    for (const bad of ["", ":pw", "nocolon"])
      expect(() => parseCreds(bad)).toThrow(InvalidArgError);
  });
});

describe("a Docker-style auth file", () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir("berth-authfile-")));
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const file = async (json: unknown) => {
    const path = join(dir, "auth.json");
    await writeFile(path, typeof json === "string" ? json : JSON.stringify(json));
    return path;
  };
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  it("gives the credentials filed under the registry's host", async () => {
    const path = await file({ auths: { "r.example:5000": { auth: b64("ann:pw") } } });
    expect(await readAuthFile(path, "r.example:5000")).toEqual({ username: "ann", password: "pw" });
    expect(await readAuthFile(path, "other.example")).toBeUndefined();
  });

  it("finds Docker Hub's credentials under its historical index address", async () => {
    const path = await file({ auths: { "https://index.docker.io/v1/": { auth: b64("bo:pw") } } });
    expect(await readAuthFile(path, "docker.io")).toEqual({ username: "bo", password: "pw" });
  });

  it("refuses a file that is not JSON with a clear error", async () => {
    await expect(readAuthFile(await file("{nope"), "r")).rejects.toBeInstanceOf(InvalidArgError);
  });
});

describe("WWW-Authenticate challenges", () => {
  it("reads a bearer challenge's quoted parameters, commas inside quotes included", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.example/token",
        service: "reg",
        scope: "repository:a/b:pull,push",
      },
    });
  });

  it("reads a basic challenge and ignores schemes it does not speak", () => {
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: "basic", params: { realm: "x" } });
    expect(parseChallenge('Digest realm="x"')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe("manifest documents", () => {
  const manifest = {
    schemaVersion: 2,
    config: { mediaType: "c", digest: d("a"), size: 2 },
    layers: [{ mediaType: "l", digest: d("b"), size: 3 }],
  };

  it("reads an OCI manifest that leaves out its mediaType by the response's Content-Type", () => {
    const doc = parseManifestDocument(
      Buffer.from(JSON.stringify(manifest)),
      `${MEDIA.ociManifest}; charset=utf-8`,
    );
    expect(doc).toMatchObject({ kind: "manifest", manifest: { layers: manifest.layers } });
  });

  it("refuses Docker schema 1 and a layer with a digest berth cannot verify", () => {
    const v1 = {
      schemaVersion: 1,
      mediaType: "application/vnd.docker.distribution.manifest.v1+json",
    };
    expect(typeof parseManifestDocument(Buffer.from(JSON.stringify(v1)), undefined)).toBe("string");
    const md5 = { ...manifest, layers: [{ mediaType: "l", digest: "md5:abc", size: 1 }] };
    expect(typeof parseManifestDocument(Buffer.from(JSON.stringify(md5)), MEDIA.ociManifest)).toBe(
      "string",
    );
  });
});

describe("platform choice in an index", () => {
  const entry = (architecture: string, c: string, variant?: string) => ({
    mediaType: MEDIA.ociManifest,
    digest: d(c),
    size: 1,
    platform: { os: "linux", architecture, ...(variant && { variant }) },
  });
  const index = {
    schemaVersion: 2 as const,
    manifests: [entry("arm", "1", "v7"), entry("arm64", "2", "v8"), entry("amd64", "3")],
  };

  it("chooses the entry for the wanted OS and architecture", () => {
    expect(choosePlatform(index, { os: "linux", architecture: "amd64" })?.digest).toBe(d("3"));
    expect(choosePlatform(index, { os: "linux", architecture: "arm64" })?.digest).toBe(d("2"));
  });

  it("chooses nothing when no entry fits, rather than another architecture", () => {
    expect(choosePlatform(index, { os: "linux", architecture: "s390x" })).toBeUndefined();
    expect(
      choosePlatform(index, { os: "linux", architecture: "arm", variant: "v6" }),
    ).toBeUndefined();
  });
});
