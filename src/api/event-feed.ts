/**
 * The journal as a feed: history from a sequence, then live, with no gap and
 * no duplicate at the seam. Live events are buffered from before the history
 * read starts, and only those past the last sent sequence are delivered.
 */
import type { CloudEvent } from "../events/index.js";
import type { Journal } from "../store/index.js";

export interface FeedOptions {
  afterSeq: number;
  /** Keep going with live events after the history. */
  follow: boolean;
  signal: AbortSignal;
}

export async function* eventFeed(
  journal: Journal,
  options: FeedOptions,
): AsyncGenerator<CloudEvent> {
  const buffered: CloudEvent[] = [];
  let wake: (() => void) | undefined;
  const off = options.follow
    ? journal.subscribe((events) => {
        buffered.push(...events);
        wake?.();
      })
    : () => undefined;
  const aborted = () => wake?.();
  options.signal.addEventListener("abort", aborted);
  try {
    let last = options.afterSeq;
    const end = journal.head().seq;
    for await (const e of journal.read({ afterSeq: last })) {
      if (!options.follow && e.seq > end) break;
      last = e.seq;
      yield e;
    }
    while (options.follow && !options.signal.aborted) {
      const next = buffered.shift();
      if (next) {
        if (next.seq > last) {
          last = next.seq;
          yield next;
        }
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    off();
    options.signal.removeEventListener("abort", aborted);
  }
}
