/**
 * The caller's side of signed requests: the headers that prove a request
 * came from the holder of a user NKey seed (see request-signature.ts).
 */
import { readFile } from "node:fs/promises";
import { InvalidArgError } from "../errors.js";
import { newNonce, seedSigner, SIGNATURE_HEADERS, signedText } from "./request-signature.js";

/** Signs requests with one user seed. */
export class RequestSigner {
  private readonly signer: ReturnType<typeof seedSigner>;

  constructor(seed: string) {
    try {
      this.signer = seedSigner(seed);
    } catch (err) {
      throw new InvalidArgError(`invalid NKey seed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The signer from `file`, or from BERTH_NKEY_SEED when no file is given; none when neither is. */
  static async fromFileOrEnv(file: string | undefined): Promise<RequestSigner | undefined> {
    if (file !== undefined) {
      const seed = await readFile(file, "utf8").catch((err: unknown) => {
        throw new InvalidArgError(`cannot read NKey seed file ${file}: ${(err as Error).message}`, {
          cause: err,
        });
      });
      return new RequestSigner(seed);
    }
    const env = process.env.BERTH_NKEY_SEED;
    return env ? new RequestSigner(env) : undefined;
  }

  get publicKey(): string {
    return this.signer.publicKey;
  }

  /**
   * The signature headers for a request on `subject` with this payload and
   * these metadata headers (read by name from `meta`), to add to the request.
   */
  headers(
    subject: string,
    payload: Uint8Array,
    meta: (name: string) => string | undefined,
  ): Record<string, string> {
    const time = String(Date.now());
    const nonce = newNonce();
    const text = signedText({ subject, time, nonce, meta, payload });
    return {
      [SIGNATURE_HEADERS.key]: this.signer.publicKey,
      [SIGNATURE_HEADERS.time]: time,
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.signature]: this.signer.sign(text),
    };
  }
}
