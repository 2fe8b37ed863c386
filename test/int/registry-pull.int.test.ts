/**
 * Pulling from a real distribution registry (issue 11): Debian's
 * docker-registry on a loopback port, filled by skopeo from OCI layouts the
 * test builds; a counting, cutting proxy in front of it for the shared-layer
 * and dropped-connection cases.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DigestMismatchError,
  ManifestInvalidError,
  NoMatchingPlatformError,
  RegistryAuthError,
  RegistryNotFoundError,
  RegistryUnavailableError,
} from "../../src/errors.js";
import {
  layerTar,
  OciLayout,
  pushLayout,
  randomLayer,
  startProxy,
  startRegistry,
  tempDir,
  type BuiltImage,
  type Proxy,
  type Registry,
} from "../../src/harness/index.js";
import {
  BlobStore,
  digestOf,
  hostPlatform,
  pullImage,
  readAuthFile,
  type BlobProgress,
  type Digest,
  type PullOptions,
} from "../../src/images/index.js";

const insecure = { tlsVerify: false } as const;
let registry: Registry;
let layoutDir: string;
let base: BuiltImage;
let app: BuiltImage;
let big: BuiltImage;
let amd64: BuiltImage;
let arm64: BuiltImage;
let indexDigest: string;

let dir: string;
let store: BlobStore;
let proxy: Proxy | undefined;

beforeAll(async () => {
  registry = await startRegistry();
  layoutDir = await tempDir("berth-layout-");
  const layout = new OciLayout(layoutDir);
  const shared = [await layerTar({ "etc/os": "base\n" }), await randomLayer(64 * 1024)];
  base = await layout.image(shared, undefined, "base");
  app = await layout.image([...shared, await layerTar({ "app/run": "app\n" })], undefined, "app");
  big = await layout.image([await randomLayer(1024 * 1024)], undefined, "big");
  // One layer but no diff_id for it: nothing could verify the layer once unpacked.
  await layout.image([await layerTar({ "x/y": "z\n" })], undefined, "nodiff", {
    rootfs: { type: "layers", diff_ids: [] },
  });
  amd64 = await layout.image([await layerTar({ arch: "amd64\n" })]);
  arm64 = await layout.image([await layerTar({ arch: "arm64\n" })], {
    os: "linux",
    architecture: "arm64",
  });
  indexDigest = await layout.index(
    [
      { image: arm64, platform: { os: "linux", architecture: "arm64" } },
      { image: amd64, platform: { os: "linux", architecture: "amd64" } },
    ],
    "multi",
  );
  await layout.finish();
  for (const tag of ["base", "app", "big", "nodiff"])
    await pushLayout(layoutDir, tag, registry.host, `t/${tag}`);
  await pushLayout(layoutDir, "multi", registry.host, "t/multi", { all: true });
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (layoutDir) await rm(layoutDir, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = await tempDir("berth-pull-");
  store = new BlobStore(dir);
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Every file in the store, temp files included. */
const stored = () => readdir(join(dir, "sha256")).catch(() => [] as string[]);
/** Pulls t/big through the proxy `p`. */
const pullBig = (p: Proxy, options: PullOptions = {}) =>
  pullImage({ registry: p.host, repository: "t/big", tag: "big" }, store, {
    ...insecure,
    ...options,
  });
const blobGets = (p: Proxy, digest: string) =>
  p.requests.filter((r) => r.startsWith("GET ") && r.endsWith(`/blobs/${digest}`));

describe("pulling an image from a registry", () => {
  it("pulls by tag: the manifest, config and every layer are stored under digests their bytes hash to", async () => {
    const seen = new Map<string, BlobProgress>();
    const got = await pullImage(
      { registry: registry.host, repository: "t/app", tag: "app" },
      store,
      {
        ...insecure,
        onProgress: (p) => seen.set(p.digest, p),
      },
    );
    expect(got.manifestDigest).toBe(app.manifestDigest);
    expect(got.configDigest).toBe(app.configDigest);
    expect(got.layers.map((l) => l.digest)).toEqual(app.layers.map((l) => l.digest));
    expect(got.config).toMatchObject({ config: { Cmd: ["sh"] } });
    for (const d of [got.manifestDigest, got.configDigest, ...got.layers.map((l) => l.digest)])
      expect(digestOf(await store.read(d))).toBe(d);
    for (const l of app.layers) expect(seen.get(l.digest)?.received).toBe(l.size);
  });

  it("pulls by digest the exact manifest the digest names", async () => {
    const got = await pullImage(
      { registry: registry.host, repository: "t/base", digest: base.manifestDigest as Digest },
      store,
      insecure,
    );
    expect(got.manifestDigest).toBe(base.manifestDigest);
    expect(await store.has(got.manifestDigest)).toBe(true);
  });

  it("resolves a multi-platform index to the host's platform and keeps the index too", async () => {
    const got = await pullImage(
      { registry: registry.host, repository: "t/multi", tag: "multi" },
      store,
      insecure,
    );
    const want = hostPlatform().architecture === "arm64" ? arm64 : amd64;
    expect(got.manifestDigest).toBe(want.manifestDigest);
    expect(got.indexDigest).toBe(indexDigest);
    expect(await store.has(indexDigest as Digest)).toBe(true);
    const other = await pullImage(
      { registry: registry.host, repository: "t/multi", tag: "multi" },
      store,
      { ...insecure, platform: { os: "linux", architecture: "arm64" } },
    );
    expect(other.manifestDigest).toBe(arm64.manifestDigest);
  });

  it("refuses an image whose config lists no diff_id for its layer before fetching any layer", async () => {
    proxy = await startProxy(registry);
    const attempt = pullImage(
      { registry: proxy.host, repository: "t/nodiff", tag: "nodiff" },
      store,
      insecure,
    );
    await expect(attempt).rejects.toBeInstanceOf(ManifestInvalidError);
    await expect(attempt).rejects.toThrow(/0 diff_ids for 1 layers/);
    expect(proxy.requests.filter((r) => r.includes("/blobs/"))).toHaveLength(1);
    expect(await stored()).toEqual([]);
  });

  it("refuses an index with no image for the wanted platform, naming what it offers, and stores nothing", async () => {
    const attempt = pullImage(
      { registry: registry.host, repository: "t/multi", tag: "multi" },
      store,
      {
        ...insecure,
        platform: { os: "linux", architecture: "s390x" },
      },
    );
    await expect(attempt).rejects.toBeInstanceOf(NoMatchingPlatformError);
    await expect(attempt).rejects.toThrow(
      /t\/multi:multi has no image for linux\/s390x.*linux\/amd64/,
    );
    expect(await stored()).toEqual([]);
  });

  it("does not download again a layer already in the store from another image", async () => {
    proxy = await startProxy(registry);
    await pullImage({ registry: proxy.host, repository: "t/base", tag: "base" }, store, insecure);
    for (const l of base.layers) expect(blobGets(proxy, l.digest)).toHaveLength(1);
    proxy.requests.length = 0;
    const skipped: string[] = [];
    await pullImage({ registry: proxy.host, repository: "t/app", tag: "app" }, store, {
      ...insecure,
      onProgress: (p) => p.skipped && skipped.push(p.digest),
    });
    for (const l of base.layers) expect(blobGets(proxy, l.digest)).toEqual([]);
    expect(blobGets(proxy, app.layers[2]!.digest)).toHaveLength(1);
    expect(skipped.sort()).toEqual(base.layers.map((l) => l.digest).sort());
  });

  it("fetches an anonymous bearer token for the repository's pull scope when the registry asks for one", async () => {
    proxy = await startProxy(registry);
    proxy.bearer = "token-for-the-test";
    const got = await pullImage(
      { registry: proxy.host, repository: "t/base", tag: "base" },
      store,
      insecure,
    );
    expect(got.manifestDigest).toBe(base.manifestDigest);
    const tokens = proxy.requests
      .filter((r) => r.startsWith("GET /token?"))
      .map((r) => new URL(r.slice(4), "http://x").searchParams);
    expect(tokens.length).toBeGreaterThan(0);
    for (const q of tokens) {
      expect(q.get("scope")).toBe("repository:t/base:pull");
      expect(q.get("service")).toBe("berth-test");
    }
  });

  it("follows a blob redirect to another host without sending it the registry's token", async () => {
    proxy = await startProxy(registry);
    const cdn = await startProxy(registry);
    try {
      proxy.bearer = "token-for-the-test";
      proxy.redirectBlobsTo = cdn.host;
      const got = await pullImage(
        { registry: proxy.host, repository: "t/base", tag: "base" },
        store,
        insecure,
      );
      expect(digestOf(await store.read(got.layers[0]!.digest))).toBe(got.layers[0]!.digest);
      expect(cdn.requests.filter((r) => r.includes("/blobs/")).length).toBeGreaterThan(0);
      expect(proxy.authorized.some((r) => r.includes("/manifests/"))).toBe(true);
      expect(cdn.authorized).toEqual([]);
    } finally {
      await cdn.close();
    }
  });

  it("refuses an unknown repository or tag with a not-found error", async () => {
    await expect(
      pullImage({ registry: registry.host, repository: "t/nope", tag: "x" }, store, insecure),
    ).rejects.toBeInstanceOf(RegistryNotFoundError);
    await expect(
      pullImage({ registry: registry.host, repository: "t/app", tag: "nope" }, store, insecure),
    ).rejects.toBeInstanceOf(RegistryNotFoundError);
    expect(await stored()).toEqual([]);
  });

  it("refuses a reference that is not one before sending anything", async () => {
    for (const t of [
      { registry: "a/b", repository: "x" },
      { registry: registry.host, repository: "../x" },
      { registry: registry.host, repository: "x", tag: "a/../../b" },
    ])
      await expect(pullImage(t, store, insecure)).rejects.toMatchObject({ code: "INVALID_ARG" });
  });
});

describe("a registry that misbehaves", () => {
  it("a layer whose bytes were tampered with fails the pull and stores nothing under its digest", async () => {
    // Its own repository, so the corruption touches no other test's image.
    const l = new OciLayout(await tempDir("berth-layout-"));
    try {
      const img = await l.image([await randomLayer(32 * 1024)], undefined, "bad");
      await l.finish();
      await pushLayout(l.dir, "bad", registry.host, "t/bad");
      const file = registry.blobPath(img.layers[0]!.digest);
      const bytes = await readFile(file);
      bytes[bytes.length - 100]! ^= 0xff;
      await writeFile(file, bytes);
      await expect(
        pullImage({ registry: registry.host, repository: "t/bad", tag: "bad" }, store, insecure),
      ).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await store.has(img.layers[0]!.digest as Digest)).toBe(false);
      expect(await stored()).toEqual([]);
    } finally {
      await rm(l.dir, { recursive: true, force: true });
    }
  });

  it("a manifest whose bytes do not hash to the digest it was asked by is refused", async () => {
    const l = new OciLayout(await tempDir("berth-layout-"));
    try {
      const img = await l.image([await layerTar({ f: "x" })], undefined, "badm");
      await l.finish();
      await pushLayout(l.dir, "badm", registry.host, "t/badm");
      const file = registry.blobPath(img.manifestDigest);
      await writeFile(
        file,
        (await readFile(file, "utf8")).replace('"schemaVersion":2', '"schemaVersion": 2'),
      );
      await expect(
        pullImage(
          { registry: registry.host, repository: "t/badm", digest: img.manifestDigest as Digest },
          store,
          insecure,
        ),
      ).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await stored()).toEqual([]);
    } finally {
      await rm(l.dir, { recursive: true, force: true });
    }
  });

  it("a connection dropped mid-layer is resumed with a Range request and the pull succeeds", async () => {
    proxy = await startProxy(registry);
    const layer = big.layers[0]!;
    const ranges: (string | undefined)[] = [];
    proxy.cut = (path, range) => {
      if (!path.endsWith(layer.digest)) return undefined;
      ranges.push(range);
      return ranges.length === 1 ? 300 * 1024 : undefined;
    };
    const got = await pullBig(proxy);
    expect(digestOf(await store.read(got.layers[0]!.digest))).toBe(layer.digest);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=[1-9][0-9]*-$/);
  });

  /** Pulls t/big through a proxy set up by `setup` that cuts the layer's first download only. */
  async function pullCutOnce(setup: (p: Proxy) => void) {
    proxy = await startProxy(registry);
    setup(proxy);
    const layer = big.layers[0]!;
    let cuts = 0;
    proxy.cut = (path) => (path.endsWith(layer.digest) && cuts++ === 0 ? 200 * 1024 : undefined);
    const got = await pullBig(proxy);
    expect(digestOf(await store.read(got.layers[0]!.digest))).toBe(layer.digest);
    expect(cuts).toBe(2);
  }

  it("a dropped layer is fetched whole again from a registry that ignores Range, and still verifies", () =>
    pullCutOnce((p) => (p.passRange = false)));

  it("a layer body that ends short without an error is fetched again, not stored short", () =>
    pullCutOnce((p) => (p.endEarly = true)));

  it("a registry that always drops the layer fails the pull cleanly after bounded attempts", async () => {
    proxy = await startProxy(registry);
    const layer = big.layers[0]!;
    proxy.cut = (path) => (path.endsWith(layer.digest) ? 100 * 1024 : undefined);
    await expect(pullBig(proxy, { attempts: 3 })).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(blobGets(proxy, layer.digest)).toHaveLength(3);
    expect(await stored()).toEqual([]);
  });

  it("an aborted pull stops and stores nothing", async () => {
    proxy = await startProxy(registry);
    const stop = new AbortController();
    const layer = big.layers[0]!;
    const pull = pullBig(proxy, {
      signal: stop.signal,
      onProgress: (p) => p.received > 0 && stop.abort(new Error("stopped by the test")),
    });
    await expect(pull).rejects.toThrow("stopped by the test");
    expect(await store.has(layer.digest as Digest)).toBe(false);
    expect(await stored()).toEqual([]);
  });
});

describe("registry authentication and transport security", () => {
  let secured: Registry;
  const user = { name: "berth", password: "s3cret:with-colon" };

  beforeAll(async () => {
    secured = await startRegistry({ user, tls: true });
    await pushLayout(layoutDir, "base", secured.host, "t/base", {
      creds: `${user.name}:${user.password}`,
    });
  }, 60_000);
  afterAll(() => secured?.stop());

  const target = () => ({ registry: secured.host, repository: "t/base", tag: "base" });
  const ca = async () => ({ ca: await readFile(secured.ca!) });

  it("pulls with the right basic credentials over TLS verified against the registry's CA", async () => {
    const got = await pullImage(target(), store, {
      ...(await ca()),
      credentials: { username: user.name, password: user.password },
    });
    expect(got.manifestDigest).toBe(base.manifestDigest);
  });

  it("pulls with the credentials a Docker-style auth file holds for the registry", async () => {
    const path = join(dir, "auth.json");
    const auth = Buffer.from(`${user.name}:${user.password}`).toString("base64");
    await writeFile(path, JSON.stringify({ auths: { [secured.host]: { auth } } }));
    const credentials = await readAuthFile(path, secured.host);
    const got = await pullImage(target(), store, { ...(await ca()), credentials });
    expect(got.manifestDigest).toBe(base.manifestDigest);
  });

  it("refuses wrong or missing credentials with an auth error and stores nothing", async () => {
    await expect(
      pullImage(target(), store, {
        ...(await ca()),
        credentials: { username: user.name, password: "wrong" },
      }),
    ).rejects.toBeInstanceOf(RegistryAuthError);
    await expect(pullImage(target(), store, await ca())).rejects.toBeInstanceOf(RegistryAuthError);
    expect(await stored()).toEqual([]);
  });

  it("refuses a certificate it cannot verify unless TLS verification is turned off", async () => {
    const credentials = { username: user.name, password: user.password };
    await expect(pullImage(target(), store, { credentials })).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
    const got = await pullImage(target(), store, { credentials, tlsVerify: false });
    expect(got.manifestDigest).toBe(base.manifestDigest);
  });

  it("does not fall back to plain HTTP unless TLS verification is turned off", async () => {
    await expect(
      pullImage({ registry: registry.host, repository: "t/base", tag: "base" }, store),
    ).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(await stored()).toEqual([]);
  });
});
