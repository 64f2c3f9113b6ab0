// `Encoder`: frames from our pools (or plain bytes) in, encoded frames out
// through a callback and an async iterator, on the JS thread, in order.
import * as native from '@proj/native';
import type { Codec } from '@proj/gstreamer';
import {
  argumentError,
  ErrorCode,
  native as call,
  type Nanoseconds,
  ProjError,
  toNanoseconds,
  toProjError,
} from '@proj/gstreamer/internal';

import { SharedBuffer } from './buffers.js';
import { EncoderConfig } from './encoder-config.js';

/** One encoded frame, with the timestamps and id it was submitted with. */
export interface EncodedFrame {
  data: Uint8Array;
  ptsNs: bigint;
  dtsNs: bigint | null;
  durationNs: bigint | null;
  /** JPEG and PNG frames are all keyframes. */
  keyframe: boolean;
  codec: Codec;
  frameId: bigint | null;
}

export interface SubmitOptions {
  durationNs?: Nanoseconds;
  /** Comes back on the frame's output. */
  frameId?: bigint;
}

function fromNative(f: native.EncodedFrame): EncodedFrame {
  return {
    data: new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength),
    ptsNs: f.ptsNs,
    dtsNs: f.dtsNs ?? null,
    durationNs: f.durationNs ?? null,
    keyframe: f.keyframe,
    codec: f.codec as Codec,
    frameId: f.frameId ?? null,
  };
}

/**
 * Encodes frames with the best backend here: the CPU encoders for now
 * (`x264enc`, `x265enc`, `av1enc`, `jpegenc`, `pngenc`; NVENC is to come).
 * `submit()` resolves when the encoder has taken the frame and waits while
 * it is behind; it never blocks the event loop. Frames come out through the
 * callback and `for await (const frame of encoder)`, in order.
 */
export class Encoder implements AsyncDisposable {
  readonly #native: native.Encoder;
  readonly config: EncoderConfig;
  readonly #queue: EncodedFrame[] = [];
  #waiting: ((r: IteratorResult<EncodedFrame>) => void) | null = null;
  #failed: ProjError | null = null;
  #closed = false;
  readonly #closedWaiters: Array<() => void> = [];
  #iterating = false;
  readonly #zeroDelay: boolean;
  #lastOut = -1n;
  readonly #outWaiters: Array<{ pts: bigint; wake: () => void }> = [];

  constructor(config: EncoderConfig, onFrame?: (frame: EncodedFrame) => void) {
    if (!(config instanceof EncoderConfig)) throw argumentError('type', 'Encoder takes an EncoderConfig');
    if (onFrame !== undefined && typeof onFrame !== 'function') throw argumentError('type', 'onFrame must be a function');
    this.config = config;
    this.#native = call(
      () =>
        new native.Encoder(config.toNative(), (output) => {
          if (output.kind === 'frame' && output.frame) {
            const frame = fromNative(output.frame);
            if (onFrame) {
              try {
                onFrame(frame);
              } catch (error) {
                queueMicrotask(() => {
                  throw error;
                });
              }
            }
            if (this.#iterating) this.#push(frame);
            if (frame.ptsNs > this.#lastOut) this.#lastOut = frame.ptsNs;
            this.#wakeOut();
          } else if (output.kind === 'error') {
            this.#failed = new ProjError(ErrorCode.PIPELINE, output.message ?? 'the encoder failed');
            this.#wakeOut();
          } else if (output.kind === 'closed') {
            this.#close();
          }
        }),
    );
    this.#zeroDelay = call(() => this.#native.zeroDelay);
  }

  /** Whether each frame's output (callback, iterator) comes before its
   * `submit()` resolves: x264, AV1 (libaom realtime), JPEG, PNG. x265 may
   * hold one frame. */
  get zeroDelay(): boolean {
    return this.#zeroDelay;
  }

  #wakeOut(): void {
    for (let i = this.#outWaiters.length - 1; i >= 0; i--) {
      const waiter = this.#outWaiters[i]!;
      if (waiter.pts <= this.#lastOut || this.#closed || this.#failed) {
        this.#outWaiters.splice(i, 1);
        waiter.wake();
      }
    }
  }

  /** Resolves once the frame with `pts` was delivered, nothing more comes,
   * or (a frame the encoder dropped) 10 s have passed, as the native wait. */
  #delivered(pts: bigint): Promise<void> {
    if (pts <= this.#lastOut || this.#closed || this.#failed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => wake(), 10_000);
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#outWaiters.push({ pts, wake });
    });
  }

  /** The element that encodes (`x264enc`…). */
  get backend(): string {
    return call(() => this.#native.backend);
  }
  /** Fields of the config's property set the backend cannot honour. */
  get unmapped(): string[] {
    return call(() => this.#native.unmapped);
  }

  /** Queues one frame: a `SharedBuffer` of the config's format and size,
   * or its bytes tightly packed. PTS must increase. */
  async submit(frame: SharedBuffer | Uint8Array, ptsNs: Nanoseconds, options: SubmitOptions = {}): Promise<void> {
    const pts = toNanoseconds('ptsNs', ptsNs);
    const duration = options.durationNs === undefined ? undefined : toNanoseconds('durationNs', options.durationNs);
    if (options.frameId !== undefined && typeof options.frameId !== 'bigint') throw argumentError('type', 'frameId must be a bigint');
    try {
      if (frame instanceof SharedBuffer) await call(() => this.#native.submitBuffer(frame.native, pts, duration, options.frameId));
      else if (frame instanceof Uint8Array) await call(() => this.#native.submit(frame, pts, duration, options.frameId));
      else throw argumentError('type', 'submit takes a SharedBuffer or a Uint8Array');
    } catch (error) {
      throw toProjError(error);
    }
    // The native encoder emitted the frame before it returned; it reaches
    // this thread through another queue than the Promise: wait for it.
    if (this.#zeroDelay) await this.#delivered(pts);
  }

  /** The next frame is a keyframe (IDR with its headers); `false` where the
   * backend cannot force one (AV1 on the CPU: GStreamer 1.22's av1enc). */
  requestKeyframe(): boolean {
    return call(() => this.#native.requestKeyframe());
  }

  /** Encodes every submitted frame out; resolves once each was delivered. */
  async finish(timeoutMs = 60_000): Promise<void> {
    try {
      await call(() => this.#native.finish(timeoutMs));
    } catch (error) {
      throw toProjError(error);
    }
    await this.#closedPromise();
  }

  /** Stops at once; frames not out yet are dropped. */
  async shutdown(): Promise<void> {
    await call(() => this.#native.shutdown());
    await this.#closedPromise();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.shutdown();
  }

  /** Encoded frames from now on, until `finish()`/`shutdown()`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<EncodedFrame> {
    this.#iterating = true;
    const self = this;
    return {
      next(): Promise<IteratorResult<EncodedFrame>> {
        const frame = self.#queue.shift();
        if (frame) return Promise.resolve({ value: frame, done: false });
        if (self.#failed) return Promise.reject(self.#failed);
        if (self.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (self.#waiting = resolve));
      },
      return(): Promise<IteratorResult<EncodedFrame>> {
        self.#iterating = false;
        self.#queue.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  #push(frame: EncodedFrame): void {
    const wake = this.#waiting;
    if (wake) {
      this.#waiting = null;
      wake({ value: frame, done: false });
    } else this.#queue.push(frame);
  }

  #close(): void {
    this.#closed = true;
    this.#wakeOut();
    const wake = this.#waiting;
    this.#waiting = null;
    wake?.({ value: undefined, done: true });
    for (const w of this.#closedWaiters.splice(0)) w();
  }

  #closedPromise(): Promise<void> {
    return this.#closed ? Promise.resolve() : new Promise((resolve) => this.#closedWaiters.push(resolve));
  }
}
