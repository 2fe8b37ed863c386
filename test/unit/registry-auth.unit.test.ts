/**
 * The pure parts of the registry client (issue 11): credentials, auth files,
 * `WWW-Authenticate` challenges and Content-Type headers. Manifest parsing
 * and platform choice are manifest.ts's, tested in manifest.unit.test.ts.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import { tempDir } from "../../src/harness/index.js";
import { MediaType } from "../../src/images/index.js";
import { parseChallenge, parseCreds, readAuthFile } from "../../src/images/registry/auth.js";
import { mediaTypeOf } from "../../src/images/registry/http.js";

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

describe("a manifest response's Content-Type", () => {
  it("gives its media type without parameters, lowercased, so it can be compared", () => {
    expect(mediaTypeOf(`${MediaType.ociManifest}; charset=utf-8`)).toBe(MediaType.ociManifest);
    expect(mediaTypeOf(" Application/VND.OCI.Image.Index.v1+JSON ")).toBe(MediaType.ociIndex);
  });

  it("gives nothing for a missing or empty header, so the manifest's own type decides", () => {
    expect(mediaTypeOf(undefined)).toBeUndefined();
    expect(mediaTypeOf("")).toBeUndefined();
    expect(mediaTypeOf("; charset=utf-8")).toBeUndefined();
  });
});
