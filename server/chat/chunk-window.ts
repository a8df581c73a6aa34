/**
 * The chunks a generation keeps for resumption: the JSON text of its latest chunks, about
 * `maxBytes` at most, however long the upstream's stream. Chunk indexes are the generation's own
 * (they never shift): the window covers `[start, end)`, and what fell out before `start` is gone.
 */
export class ChunkWindow {
  readonly #maxBytes: number;
  // texts[head] is chunk `start`; dropped entries before `head` are compacted away now and then.
  #texts: string[] = [];
  #head = 0;
  #start = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The first chunk still kept. */
  get start(): number {
    return this.#start;
  }

  /** One past the last chunk: the number of chunks the generation has made. */
  get end(): number {
    return this.#start + this.#texts.length - this.#head;
  }

  /** True while the kept text is over the cap (a `trim` is due). */
  get full(): boolean {
    return this.#bytes > this.#maxBytes;
  }

  /** Appends the next chunk's JSON. */
  push(json: string): void {
    this.#texts.push(json);
    this.#bytes += json.length;
  }

  /** The JSON of chunk `index`, which must be within `[start, end)`. */
  text(index: number): string {
    return this.#texts[this.#head + index - this.#start] as string;
  }

  /**
   * Over the cap, drops the oldest chunks down to three quarters of it (so drops come in bulk, not
   * one per chunk), but never chunk `keepFrom` or later (a follower still needs those). Returns
   * true when `start` moved.
   */
  trim(keepFrom: number): boolean {
    if (!this.full) return false;
    const before = this.#start;
    const target = Math.floor((this.#maxBytes * 3) / 4);
    while (this.#bytes > target && this.#start < keepFrom && this.#start < this.end) {
      this.#bytes -= (this.#texts[this.#head] as string).length;
      this.#texts[this.#head] = "";
      this.#head++;
      this.#start++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#texts.length) {
      this.#texts = this.#texts.slice(this.#head);
      this.#head = 0;
    }
    return this.#start !== before;
  }
}
