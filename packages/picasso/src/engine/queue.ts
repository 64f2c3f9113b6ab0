// One source's bounded queue: frames count against its capacity, control
// messages (a new spec, end-of-stream) never wait but keep their place
// behind the frames sent before them.
import { ErrorCode, ProjError } from '@proj/gstreamer/internal';
import type { Rect, SharedBuffer, VideoFrame } from '@proj/deepstream';
import type { SourceSpec } from './specs.js';

export interface FrameItem {
  kind: 'frame';
  frame: VideoFrame;
  buffer: SharedBuffer;
  /** Gives the buffer back (the engine's copy of the caller's). */
  release: () => void;
  /** The engine owns the picture (a `SharedBuffer` given to it) and may
   * draw on it; a caller's `SurfaceView` is only read. */
  owned: boolean;
  srcRect: Rect | undefined;
  /** `performance.now()` at `sendFrame`. */
  sentAt: number;
}

export type Item =
  | FrameItem
  | { kind: 'eos' }
  | { kind: 'spec'; spec: SourceSpec }
  /** End the worker: after the frames before it (drained), or at once. */
  | { kind: 'stop'; immediate: boolean };

interface Waiter {
  item: Item;
  admit: () => void;
  fail: (error: ProjError) => void;
}

export class SourceQueue {
  readonly #capacity: number;
  readonly #items: Item[] = [];
  #frames = 0;
  readonly #waiters: Waiter[] = [];
  #taker: ((item: Item | null) => void) | null = null;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Frames in the queue. */
  get queued(): number {
    return this.#frames;
  }
  /** Senders waiting for room. */
  get waiting(): number {
    return this.#waiters.length;
  }
  get full(): boolean {
    return this.#frames >= this.#capacity;
  }

  #put(item: Item): void {
    if (item.kind === 'frame') this.#frames++;
    this.#items.push(item);
    const taker = this.#taker;
    if (taker) {
      this.#taker = null;
      taker(this.#shift());
    }
  }

  #shift(): Item | null {
    const item = this.#items.shift() ?? null;
    if (item?.kind === 'frame') this.#frames--;
    return item;
  }

  /** Moves waiting items in, oldest first, while there is room. */
  #admit(): void {
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0]!;
      if (head.item.kind === 'frame' && this.full) return;
      this.#waiters.shift();
      this.#put(head.item);
      head.admit();
    }
  }

  /** A control message: in at once, behind any waiting frames. */
  pushControl(item: Item): void {
    if (this.#waiters.length > 0) this.#waiters.push({ item, admit: () => {}, fail: () => {} });
    else this.#put(item);
  }

  /** A frame in now if there is room (and nobody waits ahead of it). */
  tryPush(item: FrameItem): boolean {
    if (this.full || this.#waiters.length > 0) return false;
    this.#put(item);
    return true;
  }

  /** The oldest queued frame, taken out (for `drop_oldest`). */
  dropOldest(): FrameItem | null {
    const i = this.#items.findIndex((item) => item.kind === 'frame');
    if (i < 0) return null;
    const [item] = this.#items.splice(i, 1);
    this.#frames--;
    return item as FrameItem;
  }

  /** Waits for room: resolves once the frame is in. */
  waitToPush(item: FrameItem, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const leave = (error: ProjError): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        cleanup();
        reject(error);
        this.#admit();
      };
      const onAbort = (): void => leave(new ProjError(ErrorCode.ABORTED, 'sendFrame was aborted while the source queue was full'));
      const waiter: Waiter = {
        item,
        admit: () => {
          cleanup();
          resolve();
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      if (signal?.aborted) {
        reject(new ProjError(ErrorCode.ABORTED, 'sendFrame was aborted'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => leave(new ProjError(ErrorCode.TIMEOUT, `the source queue stayed full for ${timeoutMs} ms`)), timeoutMs);
      }
      this.#waiters.push(waiter);
    });
  }

  /** The next item; null after `timeoutMs` without one. One taker at a time. */
  take(timeoutMs: number): Promise<Item | null> {
    const item = this.#shift();
    if (item !== null) {
      this.#admit();
      return Promise.resolve(item);
    }
    return new Promise((resolve) => {
      // An idle source is not work: its timer never keeps the process up.
      const timer = setTimeout(() => {
        this.#taker = null;
        resolve(null);
      }, timeoutMs);
      timer.unref();
      this.#taker = (taken) => {
        clearTimeout(timer);
        resolve(taken);
        queueMicrotask(() => this.#admit());
      };
      this.#admit();
    });
  }

  /** Empties the queue: the frames (queued and waiting) to account for;
   * waiting senders are failed with `error`. */
  clear(error: ProjError): FrameItem[] {
    const frames: FrameItem[] = [];
    for (const item of this.#items.splice(0)) if (item.kind === 'frame') frames.push(item);
    this.#frames = 0;
    for (const w of this.#waiters.splice(0)) {
      if (w.item.kind === 'frame') frames.push(w.item);
      w.fail(error);
    }
    return frames;
  }
}
