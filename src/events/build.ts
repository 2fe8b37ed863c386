/**
 * Turning facts into envelopes. The journal then places them (seq, version, hashes).
 */
import { randomUUID } from "node:crypto";
import type { Fact, RequestMeta } from "../machines/index.js";
import { eventType } from "../machines/index.js";
import type { UnplacedEvent } from "./envelope.js";

export interface EnvelopeContext {
  /** Host id; the source is berth://<host>. */
  host: string;
  subject: string;
  time: string;
  meta: RequestMeta;
}

export function envelope(fact: Fact, ctx: EnvelopeContext): UnplacedEvent {
  return envelopeOf(eventType(fact.action), fact.data as Record<string, unknown>, ctx);
}

/** An envelope of any event type: containers' facts and the image stream's alike. */
export function envelopeOf(
  type: string,
  data: Record<string, unknown>,
  ctx: EnvelopeContext,
): UnplacedEvent {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: `berth://${ctx.host}`,
    type,
    subject: ctx.subject,
    time: ctx.time,
    datacontenttype: "application/json",
    data,
    actor: ctx.meta.actor,
    requestid: ctx.meta.requestId,
  };
}
