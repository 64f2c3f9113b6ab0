// One bounded async iterator over outputs (a decoder's, an encoder's,
// Picasso's), shared by the packages through `@proj/gstreamer/internal`.
import { integerArgument, optionsObject } from './enum.js';
import { ErrorCode, ProjError } from './errors.js';

/** Options of `outputs()`. */
export interface OutputsOptions {
  /** Outputs this iterator may hold unread (default 1024). One more ends
   * it: what it held is released and its next `next()` rejects with
   * `ERR_PROJ_QUEUE_FULL` (the result callback still gets every output). */
  maxQueued?: number;
  /** Ends the iterator (as `return()` does) when aborted. */
  signal?: AbortSignal;
}

/** Unread outputs past which an iterator warns (once) that nobody reads
 * it, and how long it may hold an unread output before it warns. */
const UNREAD_WARNING = 64;
const UNREAD_WARNING_MS = 5000;

/** Outputs as an async iterator. Each output is released (`done`) when
 * `next()` is called again (or the loop ends), so hold on to what you need
 * (take a decoder's delivery) before moving on. A decoder's unconsumed
 * outputs hold pool buffers, which makes it wait: that is the
 * back-pressure. An iterator that falls
 * `maxQueued` behind is ended with `ERR_PROJ_QUEUE_FULL` rather than queue
 * for ever; at 64 unread outputs, or one unread for 5 s (its pool buffer
 * makes the decoder wait), it warns once (`PROJ_OUTPUTS_UNREAD`). */
export class OutputIterator<T> implements AsyncIterableIterator<T> {
  readonly #queue: Array<[T, () => void]> = [];
  #waiting: ((result: IteratorResult<T>) => void) | null = null;
  #current: (() => void) | null = null;
  #ended = false;
  #overflow: ProjError | null = null;
  #failure: ProjError | null = null;
  #waitingFail: ((error: ProjError) => void) | null = null;
  #warned = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** `decoder`, `encoder` or `picasso`, for the messages. */
    private readonly what: string,
    private readonly detach: () => void,
    private readonly maxQueued: number,
  ) {}

  push(output: T, done: () => void): void {
    if (!this.#waiting && this.#queue.length >= this.maxQueued) {
      done();
      this.#overflow = new ProjError(
        ErrorCode.QUEUE_FULL,
        `an outputs() iterator fell ${this.maxQueued} outputs behind and was ended; what it held was released (read it, or raise maxQueued)`,
      );
      this.#release();
      return;
    }
    if (this.#queue.length + 1 >= UNREAD_WARNING) this.#warn(`${UNREAD_WARNING} unread ${this.what} outputs`);
    if (this.#waiting) {
      const wake = this.#waiting;
      this.#waiting = null;
      this.#current = done;
      wake({ value: output, done: false });
    } else {
      this.#queue.push([output, done]);
      this.#armTimer();
    }
  }

  end(): void {
    this.#ended = true;
    if (this.#waiting && this.#queue.length === 0) {
      const wake = this.#waiting;
      this.#waiting = null;
      if (this.#failure) {
        const failure = this.#failure;
        this.#failure = null;
        this.#waitingFail?.(failure);
      } else wake({ value: undefined, done: true });
    }
  }

  /** Ends with `error`: `next()` rejects with it once the outputs before
   * it are read. */
  fail(error: ProjError): void {
    this.#failure = error;
    this.end();
  }

  #finishCurrent(): void {
    this.#current?.();
    this.#current = null;
  }

  next(): Promise<IteratorResult<T>> {
    this.#finishCurrent();
    this.#stopTimer();
    if (this.#overflow) {
      const error = this.#overflow;
      this.#overflow = null;
      return Promise.reject(error);
    }
    const next = this.#queue.shift();
    if (next) {
      this.#current = next[1];
      this.#armTimer();
      return Promise.resolve({ value: next[0], done: false });
    }
    if (this.#ended) {
      this.detach();
      const failure = this.#failure;
      this.#failure = null;
      return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#waitingFail = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#finishCurrent();
    this.#release();
    const wake = this.#waiting;
    this.#waiting = null;
    wake?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  #warn(what: string): void {
    this.#stopTimer();
    if (this.#warned || this.#queue.length === 0) return;
    this.#warned = true;
    process.emitWarning(`an outputs() iterator holds ${what} (a decoder's hold pool buffers, which makes it wait): read it or call return()`, {
      code: 'PROJ_OUTPUTS_UNREAD',
    });
  }

  /** Warns if an output stays unread for `UNREAD_WARNING_MS`. */
  #armTimer(): void {
    if (this.#warned || this.#timer || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => this.#warn(`unread ${this.what} outputs for ${UNREAD_WARNING_MS / 1000} s`), UNREAD_WARNING_MS);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Releases what this iterator holds and stops it receiving. */
  #release(): void {
    this.#stopTimer();
    for (const [, done] of this.#queue.splice(0)) done();
    this.#ended = true;
    this.detach();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}


/** An iterator for `outputs(options)`: `maxQueued` checked (default 1024),
 * ended by `signal` (at once if it has aborted); `iterators` holds it until
 * it ends. */
export function openIterator<T>(what: string, options: OutputsOptions | null | undefined, iterators: Set<OutputIterator<T>>): OutputIterator<T> {
  const o = optionsObject('outputs() options', options);
  const maxQueued = o.maxQueued === undefined ? 1024 : integerArgument('maxQueued', o.maxQueued, 1, 1 << 24);
  const iterator: OutputIterator<T> = new OutputIterator<T>(what, () => iterators.delete(iterator), maxQueued);
  if (o.signal) {
    if (o.signal.aborted) iterator.end();
    else o.signal.addEventListener('abort', () => void iterator.return(), { once: true });
  }
  return iterator;
}
