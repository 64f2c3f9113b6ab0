// `Encoder`: frames from our pools (or plain bytes) in, encoded frames out
// through a callback and async iterators, on the JS thread, in order.
import * as native from '@proj/native';
import type { Codec } from '@proj/gstreamer';
import {
  argumentError,
  ErrorCode,
  native as call,
  type Nanoseconds,
  optionsObject,
  ProjError,
  toNanoseconds,
  toProjError,
} from '@proj/gstreamer/internal';

import { SharedBuffer } from './buffers.js';
import { EncoderConfig } from './encoder-config.js';
import { openIterator, type OutputIterator, type OutputsOptions } from '@proj/gstreamer/internal';

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

/** Another backend took over: `nvh264enc` → `x264enc` where NVENC is
 * missing or opens no session. No frame is lost: the frames `from` had
 * taken (`replayed`) were encoded by `to`, in order. */
export interface BackendChange {
  from: string;
  to: string;
  /** Why `from` did not encode. */
  reason: string;
  /** Fields of the config's property set `to` cannot honour. */
  unmapped: string[];
  replayed: number;
}

export interface SubmitOptions {
  durationNs?: Nanoseconds;
  /** Comes back on the frame's output. */
  frameId?: bigint;
}

export interface EncoderOptions {
  /** Each change of backend, including those while the encoder was built
   * (a dGPU set on a machine without NVENC). */
  onBackendChange?: (change: BackendChange) => void;
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

/** Calls a user callback without letting its throw reach the native side. */
function notify<T>(callback: ((value: T) => void) | undefined, value: T): void {
  if (!callback) return;
  try {
    callback(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

const done = (): void => {};

/**
 * Encodes frames with the best backend that opens here: NVENC
 * (`nvh264enc`/`nvh265enc`) on a GPU that has it, a Jetson's `nvv4l2*enc`,
 * else the CPU (`x264enc`, `x265enc`, `av1enc`, `jpegenc`, `pngenc`;
 * `openh264enc` on request). A backend that does not open hands over to
 * the next without losing a frame (`onBackendChange`, `backendChanges`).
 * `submit()` resolves when the encoder has taken the frame and waits while
 * it is behind; it never blocks the event loop. Frames come out through the
 * callback and `for await (const frame of encoder)`, in order.
 */
export class Encoder implements AsyncDisposable {
  readonly #native: native.Encoder;
  readonly config: EncoderConfig;
  readonly #iterators = new Set<OutputIterator<EncodedFrame>>();
  #failed: ProjError | null = null;
  #closed = false;
  readonly #closedWaiters: Array<() => void> = [];
  #lastOut = -1n;
  readonly #outWaiters: Array<{ pts: bigint; wake: () => void }> = [];

  constructor(config: EncoderConfig, onFrame?: (frame: EncodedFrame) => void, options?: EncoderOptions) {
    if (!(config instanceof EncoderConfig)) throw argumentError('type', 'Encoder takes an EncoderConfig');
    if (onFrame !== undefined && typeof onFrame !== 'function') throw argumentError('type', 'onFrame must be a function');
    const o = optionsObject('Encoder options', options);
    if (o.onBackendChange !== undefined && typeof o.onBackendChange !== 'function') {
      throw argumentError('type', 'onBackendChange must be a function');
    }
    const onBackendChange = o.onBackendChange;
    this.config = config;
    this.#native = call(
      () =>
        new native.Encoder(config.toNative(), (output) => {
          if (output.kind === 'frame' && output.frame) {
            const frame = fromNative(output.frame);
            notify(onFrame, frame);
            for (const iterator of this.#iterators) iterator.push(frame, done);
            if (frame.ptsNs > this.#lastOut) this.#lastOut = frame.ptsNs;
            this.#wakeOut();
          } else if (output.kind === 'backend' && output.change) {
            notify(onBackendChange, { ...output.change });
          } else if (output.kind === 'error') {
            this.#failed = new ProjError(ErrorCode.PIPELINE, output.message ?? 'the encoder failed');
            this.#wakeOut();
          } else if (output.kind === 'closed') {
            this.#close();
          }
        }),
    );
  }

  /** Whether each frame's output (callback, iterator) comes before its
   * `submit()` resolves: x264, openh264, AV1 (libaom realtime), JPEG, PNG
   * on the CPU. x265 may hold one frame; NVENC is not waited for. */
  get zeroDelay(): boolean {
    return call(() => this.#native.zeroDelay);
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

  /** The element that encodes now (`x264enc`, `nvh264enc`…). */
  get backend(): string {
    return call(() => this.#native.backend);
  }
  /** Fields of the config's property set the backend cannot honour. */
  get unmapped(): string[] {
    return call(() => this.#native.unmapped);
  }
  /** Every change of backend so far, oldest first. */
  get backendChanges(): BackendChange[] {
    return call(() => this.#native.backendChanges);
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
    if (this.zeroDelay) await this.#delivered(pts);
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

  /** Stops at once; frames not out yet are dropped (and named in an
   * error). */
  async shutdown(): Promise<void> {
    await call(() => this.#native.shutdown());
    await this.#closedPromise();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closed) await this.shutdown();
  }

  /** Encoded frames from now on, until `finish()`/`shutdown()`. An
   * iterator `maxQueued` frames behind (default 1024) is ended: its next
   * `next()` rejects with `ERR_PROJ_QUEUE_FULL` (the callback still gets
   * every frame); at 64 unread it warns once (`PROJ_OUTPUTS_UNREAD`). The
   * encoder's failure rejects `next()` once the frames before it are read. */
  outputs(options?: OutputsOptions): AsyncIterableIterator<EncodedFrame> {
    const iterator = openIterator('encoder', options, this.#iterators);
    if (this.#closed) this.#endIterator(iterator);
    else this.#iterators.add(iterator);
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<EncodedFrame> {
    return this.outputs();
  }

  #endIterator(iterator: OutputIterator<EncodedFrame>): void {
    if (this.#failed) iterator.fail(this.#failed);
    else iterator.end();
  }

  #close(): void {
    this.#closed = true;
    this.#wakeOut();
    for (const iterator of this.#iterators) this.#endIterator(iterator);
    for (const w of this.#closedWaiters.splice(0)) w();
  }

  #closedPromise(): Promise<void> {
    return this.#closed ? Promise.resolve() : new Promise((resolve) => this.#closedWaiters.push(resolve));
  }
}
