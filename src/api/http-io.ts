/**
 * Small HTTP helpers: JSON bodies in and out, and errors as `{error:{code,message}}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { asBerthError, InvalidArgError } from "../errors.js";
import { errorAnswer, parseInput } from "./operation.js";

const MAX_BODY = 1 << 20;

/** Reads a raw body of at most `limit` bytes. */
export async function readBytes(req: IncomingMessage, limit = MAX_BODY * 16): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new InvalidArgError(`request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads and validates a JSON body; an empty body counts as `{}`. */
export async function readJson<T extends z.ZodType>(
  req: IncomingMessage,
  schema: T,
): Promise<z.infer<T>> {
  const text = (await readBytes(req, MAX_BODY)).toString("utf8");
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch (err) {
    throw new InvalidArgError(`malformed JSON body: ${(err as Error).message}`, { cause: err });
  }
  return parseInput(schema, value);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = asBerthError(err);
  if (res.headersSent) {
    res.destroy(e);
    return;
  }
  sendJson(res, e.status, errorAnswer(e));
}
