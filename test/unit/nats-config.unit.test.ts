/**
 * How berth reaches NATS and what it asks of the stream: serve flags to daemon
 * options, daemon options to nats.js connection options, and the stream check.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageType, type StreamConfig } from "@nats-io/jetstream";
import { nanos, nkeys } from "@nats-io/transport-node";
import { describe, expect, it, onTestFinished } from "vitest";
import { daemonOptions } from "../../src/cli/serve-options.js";
import { InvalidArgError, StreamConfigError } from "../../src/errors.js";
import {
  connectionOptions,
  DUPLICATE_WINDOW_MS,
  natsServers,
  newStreamConfig,
  RETRY_HORIZON_MS,
  streamChanges,
} from "../../src/nats/index.js";

const base = { root: "/r", prefix: "berth" };
const rest = { socket: "/s.sock", version: "0.1.0" };

describe("serve flags", () => {
  it("map user, password, TLS files, stream and replicas onto the daemon's options", () => {
    const o = daemonOptions(
      {
        ...base,
        nats: ["nats://a:4222,nats://b:4222"],
        host: "h1",
        stream: "EVENTS",
        streamReplicas: 3,
        natsApi: true,
        natsApiKeys: "/keys",
        natsApiMaxInflight: 8,
        hostLeaseTtl: 5,
        natsUser: "berth",
        natsPass: "secret",
        natsTlsCa: "/ca.pem",
        natsTlsCert: "/cert.pem",
        natsTlsKey: "/key.pem",
      },
      rest,
    );
    expect(o).toMatchObject({
      nats: ["nats://a:4222,nats://b:4222"],
      host: "h1",
      stream: "EVENTS",
      streamReplicas: 3,
      natsApi: true,
      natsApiKeys: "/keys",
      natsApiMaxInFlight: 8,
      hostLeaseTtlMs: 5_000,
      natsAuth: {
        user: "berth",
        pass: "secret",
        tls: { caFile: "/ca.pem", certFile: "/cert.pem", keyFile: "/key.pem" },
      },
    });
  });

  it("leave the NATS API off without --nats-api and refuse impossible replica counts and bounds", () => {
    expect(daemonOptions(base, rest).natsApi).toBe(false);
    expect(() => daemonOptions({ ...base, natsApiMaxInflight: 0 }, rest)).toThrow(
      /--nats-api-max-inflight 0/,
    );
    expect(daemonOptions({ ...base, natsToken: "t" }, rest).natsAuth).toEqual({ token: "t" });
    expect(() => daemonOptions({ ...base, streamReplicas: 0 }, rest)).toThrow(
      /--stream-replicas 0/,
    );
  });
});

describe("serve flags for GET /events", () => {
  it("map the stall limit, keep-alive interval and live buffer onto the events route's options", () => {
    expect(
      daemonOptions(
        { ...base, eventsStallMs: 300, eventsHeartbeatMs: 100, eventsLiveBuffer: 32 },
        rest,
      ).events,
    ).toEqual({ stallMs: 300, heartbeatMs: 100, liveBuffer: 32 });
    expect(daemonOptions({ ...base, eventsLiveBuffer: 8 }, rest).events).toEqual({ liveBuffer: 8 });
    expect(daemonOptions(base, rest)).not.toHaveProperty("events");
  });

  it("refuse values that are not whole numbers of at least 1, naming the flag", () => {
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      expect(() => daemonOptions({ ...base, eventsStallMs: bad }, rest)).toThrow(
        new RegExp(`^invalid --events-stall-ms ${bad}: use a whole number of milliseconds`),
      );
    }
    expect(() => daemonOptions({ ...base, eventsHeartbeatMs: 0 }, rest)).toThrow(
      /--events-heartbeat-ms 0/,
    );
    expect(() => daemonOptions({ ...base, eventsLiveBuffer: 0 }, rest)).toThrow(
      /--events-live-buffer 0: use a whole number of events/,
    );
  });
});

describe("serve flags bounding GET /events memory", () => {
  it("map the subscriber limit and the per-subscriber bytes, and refuse a buffer under 64 KiB", () => {
    expect(
      daemonOptions({ ...base, eventsMaxSubscribers: 16, eventsBufferBytes: 65_536 }, rest).events,
    ).toEqual({ maxSubscribers: 16, bufferBytes: 65_536 });
    expect(() => daemonOptions({ ...base, eventsBufferBytes: 65_535 }, rest)).toThrow(
      /--events-buffer-bytes 65535: use 65536 or more/,
    );
    expect(() => daemonOptions({ ...base, eventsMaxSubscribers: 0 }, rest)).toThrow(
      /--events-max-subscribers 0: use a whole number of subscribers/,
    );
  });
});

describe("serve flag --log-size-max", () => {
  it("maps a size in bytes or -1 (no limit), and refuses sizes too small to hold a few lines", () => {
    expect(daemonOptions({ ...base, logSizeMax: 1_048_576 }, rest).logSizeMax).toBe(1_048_576);
    expect(daemonOptions({ ...base, logSizeMax: -1 }, rest).logSizeMax).toBe(-1);
    expect(daemonOptions(base, rest)).not.toHaveProperty("logSizeMax");
    for (const bad of [0, 100, 1.5, Number.NaN, -2]) {
      expect(() => daemonOptions({ ...base, logSizeMax: bad }, rest)).toThrow(
        new RegExp(`^invalid --log-size-max ${bad}: use a whole number of bytes`),
      );
    }
  });
});

describe("serve flag --network-state", () => {
  it("maps the host-wide network state folder, and leaves the daemon's default when not given", () => {
    expect(daemonOptions({ ...base, networkState: "/run/b2" }, rest).networkState).toBe("/run/b2");
    expect(daemonOptions(base, rest)).not.toHaveProperty("networkState");
  });
});

describe("NATS connection options", () => {
  it("split server lists given with commas or repeated flags", () => {
    expect(natsServers(["nats://a:1,nats://b:2", "nats://c:3"])).toEqual([
      "nats://a:1",
      "nats://b:2",
      "nats://c:3",
    ]);
    expect(() => natsServers([" , "])).toThrow(InvalidArgError);
  });

  it("carry user and password, or a token, and TLS files", () => {
    expect(
      connectionOptions({ servers: "nats://a:1", user: "u", pass: "p" }, { timeout: 5 }),
    ).toEqual({
      servers: ["nats://a:1"],
      user: "u",
      pass: "p",
      timeout: 5,
    });
    expect(connectionOptions({ servers: "nats://a:1", token: "t" })).toMatchObject({ token: "t" });
    expect(
      connectionOptions({
        servers: "nats://a:1",
        tls: { caFile: "/ca", certFile: "/c", keyFile: "/k" },
      }).tls,
    ).toEqual({ caFile: "/ca", certFile: "/c", keyFile: "/k" });
    expect(connectionOptions({ servers: "nats://a:1", tls: {} }).tls).toBeUndefined();
  });

  it("read a credentials file at each connect, so a rotated file is picked up", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-creds-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "user.creds");
    const creds = (jwt: string) =>
      [
        "-----BEGIN NATS USER JWT-----",
        jwt,
        "------END NATS USER JWT------",
        "",
        "-----BEGIN USER NKEY SEED-----",
        new TextDecoder().decode(nkeys.createUser().getSeed()),
        "------END USER NKEY SEED------",
        "",
      ].join("\n");
    const o = connectionOptions({ servers: "nats://a:1", credsFile: file });
    const sign = o.authenticator as unknown as (nonce?: string) => Record<string, string>;
    await writeFile(file, creds("first.jwt.token"));
    const first = sign("nonce");
    expect(first.jwt).toBe("first.jwt.token");
    expect(first.nkey).toMatch(/^U[A-Z0-9]{55}$/);
    expect(typeof first.sig).toBe("string");
    await writeFile(file, creds("second.jwt.token"));
    expect(sign("nonce").jwt).toBe("second.jwt.token");
  });

  it("refuse two ways to authenticate, a user without password, a certificate without key", () => {
    expect(() => connectionOptions({ servers: "x", user: "u", pass: "p", token: "t" })).toThrow(
      /use one of user\/password, token, not several/,
    );
    expect(() => connectionOptions({ servers: "x", user: "u" })).toThrow(/needs a password/);
    expect(() => connectionOptions({ servers: "x", tls: { certFile: "/c" } })).toThrow(
      /needs its key/,
    );
  });
});

describe("event stream", () => {
  const spec = { name: "BERTH", prefix: "berth" };
  const existing = (over: Partial<StreamConfig>): StreamConfig =>
    ({ ...newStreamConfig(spec), ...over }) as StreamConfig;

  it("is created on four-token event subjects with file storage and a long duplicate window", () => {
    expect(newStreamConfig({ ...spec, replicas: 3 })).toEqual({
      name: "BERTH",
      subjects: ["berth.*.*.*"],
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: 3,
    });
  });

  it("keeps its duplicate window longer than the relay's retry horizon", () => {
    expect(DUPLICATE_WINDOW_MS).toBeGreaterThan(RETRY_HORIZON_MS * 10);
  });

  it("is left alone when it already fits", () => {
    expect(streamChanges(existing({}), spec)).toBeUndefined();
  });

  it("loses a catch-all subject that would capture the NATS API, and gets the window and replicas it needs", () => {
    const changes = streamChanges(
      existing({
        subjects: ["berth.>", "other.>"],
        duplicate_window: nanos(120_000),
        num_replicas: 1,
      }),
      { ...spec, replicas: 3 },
    );
    expect(changes).toEqual({
      subjects: ["other.>", "berth.*.*.*"],
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: 3,
    });
  });

  it("is refused with memory storage, which cannot be changed in place", () => {
    expect(() => streamChanges(existing({ storage: StorageType.Memory }), spec)).toThrow(
      StreamConfigError,
    );
  });
});
