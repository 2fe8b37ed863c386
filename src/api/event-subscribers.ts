/**
 * The subscribers of `GET /events` and the memory they hold. Each one is
 * admitted against a bound on their number, and accounts for its bytes: its
 * live queue, the batch in hand, and what waits in its response for the
 * socket. `GET /status` shows the totals, so the bound
 * on memory can be watched rather than trusted.
 */
import type { ServerResponse } from "node:http";
import { TooManySubscribersError } from "../errors.js";
import type { FeedMeter } from "../events/index.js";

/** One subscriber's account of the bytes held for it. */
export class Subscriber {
  /** Bytes of its live queue, kept up to date by the feed. */
  readonly meter: FeedMeter = { liveBytes: 0 };
  /** Bytes of the batch in hand: read for it and not yet taken by its socket. */
  inHand = 0;

  constructor(private readonly res: ServerResponse) {}

  /** Everything held for this subscriber now. */
  held(): number {
    return this.meter.liveBytes + this.inHand + this.res.writableLength;
  }
}

/** What `GET /status` reports about the event subscribers. */
export interface SubscriberStats {
  subscribers: number;
  maxSubscribers: number;
  /** Bytes held for all subscribers together (live queues, batches in hand, response buffers). */
  bufferedBytes: number;
  /** The bound on `bufferedBytes` per subscriber (one event larger than a fifth of it may add its size). */
  bufferBytesPerSubscriber: number;
}

/** The set of connected subscribers, at most `max` at once. */
export class EventSubscribers {
  private readonly live = new Set<Subscriber>();

  constructor(
    readonly max: number,
    readonly bufferBytes: number,
  ) {}

  /**
   * Admits the subscriber behind `res`, or throws TooManySubscribersError.
   * It leaves the set when its connection closes, not when its stream ends:
   * a cut-off subscriber still holds its unread bytes until then.
   */
  admit(res: ServerResponse): Subscriber {
    if (this.live.size >= this.max)
      throw new TooManySubscribersError(
        `the daemon already serves ${this.max} event subscribers (--events-max-subscribers); retry later`,
      );
    const s = new Subscriber(res);
    this.live.add(s);
    res.once("close", () => this.live.delete(s));
    return s;
  }

  stats(): SubscriberStats {
    let bufferedBytes = 0;
    for (const s of this.live) bufferedBytes += s.held();
    return {
      subscribers: this.live.size,
      maxSubscribers: this.max,
      bufferedBytes,
      bufferBytesPerSubscriber: this.bufferBytes,
    };
  }
}
