/**
 * A shared/exclusive gate for the image store. Pulls, loads and creates hold
 * it shared for as long as they rely on blobs or layers that no image may yet
 * reference; removals and prunes hold it alone, so they can never delete a
 * blob a pull just stored or a layer a create is about to pin.
 */
export class ImageGate {
  private readers = 0;
  private writer: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  /** Runs `task` alongside other shared holders, after any exclusive one. */
  async shared<T>(task: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    this.readers++;
    try {
      return await task();
    } finally {
      this.readers--;
      if (this.readers === 0) this.drained?.();
    }
  }

  /** Runs `task` alone: new shared holders wait, current ones finish first. */
  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    let release = () => {};
    this.writer = new Promise<void>((resolve) => (release = resolve));
    try {
      while (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      return await task();
    } finally {
      this.drained = undefined;
      this.writer = undefined;
      release();
    }
  }
}
