/**
 * Image references (issue 11): normalised as Docker and Podman do, and bad
 * ones refused with the rule they break.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgError } from "../../src/errors.js";
import { digestOf, parseReference, referenceString } from "../../src/images/index.js";

const sha = digestOf("image");

describe("parseReference", () => {
  const accepted: [string, string][] = [
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/busybox", "docker.io/library/busybox:latest"],
    ["user/app", "docker.io/user/app:latest"],
    ["localhost/app", "localhost/app:latest"],
    ["localhost:5000/app:v1", "localhost:5000/app:v1"],
    ["quay.io/org/team/app:1.2.3", "quay.io/org/team/app:1.2.3"],
    ["registry.example.com:443/a/b", "registry.example.com:443/a/b:latest"],
    ["Registry.Example.com/app", "Registry.Example.com/app:latest"],
    ["MyHost/app", "MyHost/app:latest"],
    ["[::1]:5000/app", "[::1]:5000/app:latest"],
    [`busybox@${sha}`, `docker.io/library/busybox@${sha}`],
    [`busybox:1.36@${sha}`, `docker.io/library/busybox:1.36@${sha}`],
    ["a.b-c/d__e---f/g_h.i:Tag_1.x-y", "a.b-c/d__e---f/g_h.i:Tag_1.x-y"],
    ["my-app_2.x", "docker.io/library/my-app_2.x:latest"],
  ];
  it.each(accepted)("normalises %s to %s", (text, canonical) => {
    const ref = parseReference(text);
    expect(referenceString(ref)).toBe(canonical);
    // Normalising is idempotent: the canonical form parses to itself.
    expect(parseReference(canonical)).toEqual(ref);
  });

  it("splits the parts of a full reference", () => {
    expect(parseReference(`localhost:5000/x/y:t@${sha}`)).toEqual({
      registry: "localhost:5000",
      repository: "x/y",
      tag: "t",
      digest: sha,
    });
    expect(parseReference(`busybox@${sha}`).tag).toBeUndefined();
  });

  const refused: [string, string, RegExp][] = [
    ["an empty string", "", /empty/],
    ["uppercase in the repository", "Busybox", /lowercase/],
    ["uppercase after a host", "quay.io/Org/app", /lowercase/],
    ["a tag starting with a dot", "busybox:.x", /tag/],
    ["a tag of 129 characters", `busybox:${"a".repeat(129)}`, /tag/],
    ["an empty tag", "busybox:", /tag/],
    ["a digest that is not sha256", "busybox@md5:abc", /digest/],
    ["a short digest", "busybox@sha256:abc", /digest/],
    ["a 64-hex name", "a".repeat(64), /image id/],
    ["a double slash", "a//b", /path component/],
    ["a trailing separator", "app-", /path component/],
    ["a leading separator", "_app", /path component/],
    ["three underscores", "a___b", /path component/],
    ["a space", "bad name", /path component/],
    ["a host with a bad port", "localhost:port/app", /registry host/],
    ["a host with nothing after it", "quay.io/", /empty/],
    ["a name over 255 characters", `quay.io/${"a".repeat(250)}`, /longer than 255/],
    ["text over 512 characters", "a".repeat(600), /longer than 512/],
  ];
  it.each(refused)("refuses %s with InvalidArgError", (_name, text, message) => {
    const attempt = () => parseReference(text);
    expect(attempt).toThrow(InvalidArgError);
    expect(attempt).toThrow(message);
  });
});
