/**
 * Serializes work per key: commands on one container run one at a time, in
 * arrival order, while different containers proceed in parallel.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after everything queued before it, whatever their outcome. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
