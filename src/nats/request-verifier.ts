/**
 * The daemon's side of signed requests: from a request's subject, headers and
 * payload to the allowed identity that sent it, or UnauthenticatedError.
 */
import type { KeyObject } from "node:crypto";
import { UnauthenticatedError } from "../errors.js";
import type { ApiKey } from "./api-keys.js";
import { ReplayGuard } from "./replay-guard.js";
import {
  SIGNATURE_HEADERS,
  signedText,
  userVerifyKey,
  verifySignature,
} from "./request-signature.js";

/** How far a request's clock may be from the daemon's, either way. */
export const DEFAULT_SKEW_MS = 60_000;
/** Nonces remembered at most: a flood beyond this within one window is refused. */
export const DEFAULT_NONCE_CAPACITY = 100_000;

export class RequestVerifier {
  private readonly replay: ReplayGuard;
  /** Each allowed key's verifying key, made once. */
  private readonly verifyKeys = new Map<string, KeyObject>();

  constructor(
    private readonly keys: ReadonlyMap<string, ApiKey>,
    options: { skewMs?: number; nonceCapacity?: number; now?: () => number } = {},
  ) {
    for (const key of keys.keys()) this.verifyKeys.set(key, userVerifyKey(key));
    this.replay = new ReplayGuard(
      options.skewMs ?? DEFAULT_SKEW_MS,
      options.nonceCapacity ?? DEFAULT_NONCE_CAPACITY,
      options.now,
    );
  }

  /** The allowed key that signed this request; throws UnauthenticatedError otherwise. */
  verify(
    subject: string,
    header: (name: string) => string | undefined,
    payload: Uint8Array,
  ): ApiKey {
    const key = header(SIGNATURE_HEADERS.key);
    const time = header(SIGNATURE_HEADERS.time);
    const nonce = header(SIGNATURE_HEADERS.nonce);
    const signature = header(SIGNATURE_HEADERS.signature);
    if (!key || !time || !nonce || !signature)
      throw new UnauthenticatedError(
        `unsigned request: sign it with an allowed NKey (headers ${Object.values(SIGNATURE_HEADERS).join(", ")})`,
      );
    const allowed = this.keys.get(key);
    const verifyKey = this.verifyKeys.get(key);
    if (!allowed || !verifyKey)
      throw new UnauthenticatedError(`key ${key.slice(0, 12)}... is not allowed`);
    const text = signedText({ subject, time, nonce, meta: header, payload });
    if (!verifySignature(verifyKey, text, signature))
      throw new UnauthenticatedError("bad signature: the request was not signed by its key");
    // Only after the signature holds: an unsigned flood must not fill the nonce memory.
    const verdict = this.replay.check(/^\d{1,16}$/.test(time) ? Number(time) : NaN, nonce);
    if (verdict === "stale")
      throw new UnauthenticatedError("stale request: its time is too far from the daemon's clock");
    if (verdict === "replayed")
      throw new UnauthenticatedError("replayed request: nonce seen before");
    if (verdict === "full")
      throw new UnauthenticatedError("too many recent requests to check for replays; retry later");
    return allowed;
  }
}
