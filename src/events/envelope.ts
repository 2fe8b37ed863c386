/**
 * The event envelope: CloudEvents 1.0 JSON with berth's extension attributes.
 * Subscribers and the client library validate with these schemas.
 */
import { z } from "zod";

/** CloudEvents extension names must be lowercase alphanumeric, hence `requestid`, `prevhash`. */
export const CloudEventSchema = z.object({
  specversion: z.literal("1.0"),
  id: z.uuid(),
  source: z.string().regex(/^berth:\/\/[^/]+$/),
  type: z.string().regex(/^io\.berth\.(?:container|image|volume|audit)\.[a-z]+(?:_[a-z]+)*$/),
  subject: z.string().regex(/^[0-9a-f]{64}$/),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal("application/json"),
  data: z.record(z.string(), z.unknown()),
  seq: z.number().int().positive(),
  version: z.number().int().positive(),
  actor: z.string().min(1),
  requestid: z.string().min(1),
  prevhash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

export type CloudEvent = z.infer<typeof CloudEventSchema>;

/** An event before the journal placed it: no seq, version or hashes yet. */
export type UnplacedEvent = Omit<CloudEvent, "seq" | "version" | "prevhash" | "hash">;
