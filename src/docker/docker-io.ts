/**
 * Answers as the Docker Engine API shapes them: JSON bodies, errors as
 * `{"message": …}` with the status dockerd uses for the same failure (the
 * docker CLI pulls an image only on a 404 from create, and dockerode accepts
 * only the codes each endpoint documents).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { asBerthError, InvalidArgError } from "../errors.js";
import { readBytes } from "../api/index.js";
import { DOCKER_API_VERSION } from "./api-version.js";

/** The headers dockerd puts on every answer; the CLI negotiates from `Api-Version`. */
export function dockerHeaders(res: ServerResponse): void {
  res.setHeader("Api-Version", DOCKER_API_VERSION);
  res.setHeader("Ostype", "linux");
  res.setHeader("Server", "berth");
  res.setHeader("Docker-Experimental", "false");
}

export function sendDockerJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** No body: 204, as dockerd answers start, stop, kill, pause and rm. */
export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/**
 * berth's typed error as Docker's: the same status (404 for a missing
 * container or image, 409 for a conflict, 400 for bad input) and the message.
 */
export function sendDockerError(res: ServerResponse, err: unknown): void {
  const e = asBerthError(err);
  if (res.headersSent) {
    res.destroy(e);
    return;
  }
  sendDockerJson(res, e.status, { message: e.message });
}

const MAX_BODY = 1 << 20;

/** A JSON body of at most 1 MiB, unchecked (the caller maps it); empty is `{}`. */
export async function readDockerJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBytes(req, MAX_BODY)).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidArgError(`malformed JSON body: ${(err as Error).message}`, { cause: err });
  }
}

/** moby's boolean query words: absent, "", "0", "no", "false" and "none" are false; anything else true. */
export const queryBool = (v: string | null | undefined): boolean =>
  v !== undefined &&
  v !== null &&
  !["", "0", "no", "false", "none"].includes(v.trim().toLowerCase());

/** A boolean query parameter, read as moby reads it. */
export const queryFlag = (url: URL, name: string): boolean => queryBool(url.searchParams.get(name));
