/**
 * Signed NATS API requests, without a network: what the allow-list accepts,
 * what the verifier lets through, and how the nonce memory stays bounded.
 */
import { nkeys } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { InvalidArgError, UnauthenticatedError } from "../../src/errors.js";
import {
  parseApiKeys,
  ReplayGuard,
  RequestSigner,
  RequestVerifier,
  roleAllows,
  signedText,
} from "../../src/nats/index.js";

const user = () => {
  const pair = nkeys.createUser();
  return { key: pair.getPublicKey(), seed: new TextDecoder().decode(pair.getSeed()) };
};

describe("the NATS API allow-list", () => {
  it("reads JSON and line forms, and refuses bad keys, roles, duplicates and empty lists", () => {
    const a = user();
    const b = user();
    const lines = parseApiKeys(
      `# comment\n${a.key} alice operator\n\n${b.key} bob admin # x\n`,
      "f",
    );
    expect([...lines.values()]).toEqual([
      { key: a.key, name: "alice", role: "operator" },
      { key: b.key, name: "bob", role: "admin" },
    ]);
    const json = parseApiKeys(
      JSON.stringify([{ key: a.key, name: "alice", role: "read-only" }]),
      "f",
    );
    expect(json.get(a.key)?.role).toBe("read-only");
    const account = nkeys.createAccount().getPublicKey();
    for (const bad of [
      `${account} acct admin`,
      `${a.key} alice root`,
      `${a.key} alice`,
      `${a.key} alice admin\n${a.key} again admin`,
      "# nobody",
      "[{",
    ])
      expect(() => parseApiKeys(bad, "f"), bad).toThrow(InvalidArgError);
  });

  it("ranks roles: admin may do what operator may, operator what read-only may, not the reverse", () => {
    expect(roleAllows("admin", "operator")).toBe(true);
    expect(roleAllows("operator", "read-only")).toBe(true);
    expect(roleAllows("read-only", "operator")).toBe(false);
    expect(roleAllows("operator", "admin")).toBe(false);
  });
});

describe("the request verifier", () => {
  const alice = user();
  const keys = parseApiKeys(`${alice.key} alice operator`, "f");
  const subject = "berth.h1.api.v1.create";
  const payload = new TextEncoder().encode('{"image":"busybox"}');

  it("accepts a request signed by a listed key once, with its metadata headers as signed", () => {
    const verifier = new RequestVerifier(keys);
    const meta: Record<string, string> = { "Berth-Request-Id": "r1", "If-Match": "3" };
    const signed = new RequestSigner(alice.seed).headers(subject, payload, (n) => meta[n]);
    const read = (all: Record<string, string>) => (n: string) => all[n];
    expect(verifier.verify(subject, read({ ...meta, ...signed }), payload).name).toBe("alice");
    expect(() => verifier.verify(subject, read({ ...meta, ...signed }), payload)).toThrow(
      /replayed/,
    );
    const again = new RequestSigner(alice.seed).headers(subject, payload, (n) => meta[n]);
    // Another If-Match than the one signed, or another subject, breaks the signature.
    expect(() =>
      verifier.verify(subject, read({ ...meta, "If-Match": "4", ...again }), payload),
    ).toThrow(/bad signature/);
    expect(() =>
      verifier.verify("berth.h1.api.v1.rm", read({ ...meta, ...again }), payload),
    ).toThrow(UnauthenticatedError);
  });

  it("signs as NATS's own nkeys library does, so any NKey tool can sign or check a request", () => {
    const pair = nkeys.fromSeed(new TextEncoder().encode(alice.seed));
    const signed = new RequestSigner(alice.seed).headers(subject, payload, () => undefined);
    const text = signedText({
      subject,
      time: signed["Berth-Time"]!,
      nonce: signed["Berth-Nonce"]!,
      meta: () => undefined,
      payload,
    });
    expect(pair.verify(text, Buffer.from(signed["Berth-Signature"]!, "base64url"))).toBe(true);
    const byNkeys: Record<string, string> = { ...signed, "Berth-Nonce": "n2" };
    const text2 = signedText({
      subject,
      time: byNkeys["Berth-Time"]!,
      nonce: "n2",
      meta: () => undefined,
      payload,
    });
    byNkeys["Berth-Signature"] = Buffer.from(pair.sign(text2)).toString("base64url");
    expect(new RequestVerifier(keys).verify(subject, (n) => byNkeys[n], payload).key).toBe(
      alice.key,
    );
  });

  it("refuses a request whose clock is more than the allowed skew away", () => {
    let now = Date.now();
    const verifier = new RequestVerifier(keys, { skewMs: 1_000, now: () => now });
    const signed = new RequestSigner(alice.seed).headers(subject, payload, () => undefined);
    now += 5_000;
    expect(() => verifier.verify(subject, (n) => signed[n], payload)).toThrow(/stale/);
  });
});

describe("the replay guard", () => {
  it("forgets nonces once their window has passed and refuses new ones when full of live ones", () => {
    let now = 1_000_000;
    const guard = new ReplayGuard(100, 2, () => now);
    expect(guard.check(now, "a")).toBe("fresh");
    expect(guard.check(now, "a")).toBe("replayed");
    expect(guard.check(now, "b")).toBe("fresh");
    expect(guard.check(now, "c")).toBe("full");
    now += 101;
    expect(guard.check(now, "c")).toBe("fresh");
    expect(guard.check(now - 500, "d")).toBe("stale");
  });
});
