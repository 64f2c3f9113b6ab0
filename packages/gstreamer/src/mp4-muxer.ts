import * as native from '@proj/native';

import { Codec } from './codec.js';
import { argumentError, native as call, toProjError } from './errors.js';
import { type Nanoseconds, toNanoseconds, toOptionalNanoseconds } from './timestamp.js';

export interface Mp4MuxerOptions {
  /** Frame rate numerator (default 30). */
  fpsNum?: number;
  /** Frame rate denominator (default 1). */
  fpsDen?: number;
  /**
   * Media time per MP4 fragment in ms (default 500). The file is a
   * fragmented MP4 that holds every completed fragment at every moment, so
   * it survives the process being killed, even during `finish()`. 0 writes
   * a regular (unfragmented) MP4 that is valid only after `finish()`.
   */
  fragmentDurationMs?: number;
  /**
   * Queued bytes from which `push()` returns `false`: the output (a slow
   * disk, a network filesystem) is behind, so wait for `drained()` before
   * pushing more (default 16 MiB).
   */
  highWaterBytes?: number;
  /**
   * Queued bytes that `push()` never goes past: a frame that would is
   * refused with `ERR_PROJ_QUEUE_FULL` and frames accepted before are kept
   * (default 64 MiB). `push()` never blocks the event loop.
   */
  maxQueuedBytes?: number;
  /**
   * How long `finish()` waits for the file to complete before it rejects
   * with `ERR_PROJ_TIMEOUT` (default 60 000 ms): on a hung disk it gives up
   * instead of never returning.
   */
  finishTimeoutMs?: number;
}

export interface Mp4MuxerStats {
  /** Frames accepted by `push`. */
  frames: number;
  /** Bytes accepted by `push`. */
  bytes: number;
  /** Bytes accepted but not yet taken by the pipeline. */
  queuedBytes: number;
}

/** The options the native muxer takes, checked here so that a wrong type
 * is a coded error, never napi's own. */
function checkArguments(outputPath: unknown, options: Mp4MuxerOptions | null): native.Mp4MuxerOptions {
  if (typeof outputPath !== 'string' || outputPath.length === 0) {
    throw argumentError('type', 'outputPath must be a non-empty string');
  }
  const native_options: native.Mp4MuxerOptions = {};
  if (options === null || typeof options !== 'object') {
    throw argumentError('type', 'options must be an object');
  }
  for (const key of ['highWaterBytes', 'maxQueuedBytes'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw argumentError('range', `${key} must be a positive integer, got ${value}`);
    }
    native_options[key] = value;
  }
  for (const key of ['fpsNum', 'fpsDen', 'fragmentDurationMs', 'finishTimeoutMs'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const min = key === 'fragmentDurationMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min || value > 0x7fff_ffff) {
      throw argumentError('range', `${key} must be an integer between ${min} and 2^31-1, got ${value}`);
    }
    native_options[key] = value;
  }
  return native_options;
}

/** A native muxer `open()` made, handed to the constructor it calls next
 * (synchronously: nothing runs in between). */
let pending: native.Mp4Muxer | null = null;

/**
 * Writes encoded frames into an MP4 file through GStreamer
 * (`appsrc → parser → qtmux → filesink`).
 *
 * - H.264/HEVC: one Annex-B access unit per `push`; AV1: one temporal unit;
 *   JPEG/PNG: one whole image. The first frame must be a random access point.
 * - Streams with B-frames must pass `dtsNs`; decode timestamps must increase.
 * - Bad frames are rejected with a `ProjError` and the muxer stays usable.
 */
export class Mp4Muxer implements AsyncDisposable {
  readonly #inner: native.Mp4Muxer;
  readonly outputPath: string;

  /** Opens `outputPath` on the calling thread: quick for a file on a local
   * disk. Where opening can block (a FIFO until its reader comes, a network
   * filesystem), use `await Mp4Muxer.open(…)`, which opens it elsewhere. */
  constructor(codec: Codec | string, outputPath: string, options: Mp4MuxerOptions = {}) {
    const checked = checkArguments(outputPath, options);
    this.outputPath = outputPath;
    this.#inner =
      pending ?? call(() => new native.Mp4Muxer(Codec.fromName(codec), outputPath, checked));
    pending = null;
  }

  /** The constructor's work off the JS thread: resolves with the muxer once
   * its output is open, or rejects with the constructor's errors. */
  static async open(codec: Codec | string, outputPath: string, options: Mp4MuxerOptions = {}): Promise<Mp4Muxer> {
    const checked = checkArguments(outputPath, options);
    let inner: native.Mp4Muxer;
    try {
      inner = await call(() => native.Mp4Muxer.open(Codec.fromName(codec), outputPath, checked));
    } catch (error) {
      throw toProjError(error);
    }
    pending = inner;
    return new Mp4Muxer(codec, outputPath, options);
  }

  /** The canonical name of the codec being muxed. */
  get codec(): Codec {
    return this.#inner.codec as Codec;
  }

  /** Whether `finish()` has been called. */
  get isFinished(): boolean {
    return this.#inner.isFinished;
  }

  /** Progress counters. */
  get stats(): Mp4MuxerStats {
    return this.#inner.stats();
  }

  /**
   * Pushes one encoded frame. `dtsNs` defaults to `ptsNs`; `durationNs`
   * defaults to one frame at the configured rate. The data is copied, so the
   * caller may reuse its buffer at once.
   *
   * Never blocks. Returns `false` when `highWaterBytes` are queued (the
   * output is slower than the input, as `stream.write()` does): wait for
   * `drained()` before pushing more, or use `write()`. Past
   * `maxQueuedBytes` the frame is refused with `ERR_PROJ_QUEUE_FULL`.
   */
  push(data: Uint8Array, ptsNs: Nanoseconds, dtsNs?: Nanoseconds | null, durationNs?: Nanoseconds | null): boolean {
    if (!(data instanceof Uint8Array)) {
      throw argumentError('type', 'data must be a Uint8Array or a Buffer');
    }
    const pts = toNanoseconds('ptsNs', ptsNs);
    const dts = toOptionalNanoseconds('dtsNs', dtsNs);
    const duration = toOptionalNanoseconds('durationNs', durationNs);
    return call(() => this.#inner.push(data, pts, dts, duration));
  }

  /**
   * Resolves when the queue is down to half of `highWaterBytes` (or the
   * stream has ended); rejects with the pipeline's error, or with
   * `ERR_PROJ_TIMEOUT` after `timeoutMs`. Without a timeout a stalled output
   * is logged (`PROJ_LOG=warn`) every 5 s.
   */
  async drained(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      throw argumentError('range', `timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
    }
    try {
      await call(() => this.#inner.drained(timeoutMs === undefined ? undefined : { timeoutMs }));
    } catch (error) {
      throw toProjError(error);
    }
  }

  /** `push()`, then waits for `drained()` when the output is behind. */
  async write(data: Uint8Array, ptsNs: Nanoseconds, dtsNs?: Nanoseconds | null, durationNs?: Nanoseconds | null): Promise<void> {
    if (!this.push(data, ptsNs, dtsNs, durationNs)) await this.drained();
  }

  /** Ends the stream at once (`push` after it throws `ERR_PROJ_FINISHED`) and
   * resolves when the file is complete. Calling it again gives the first
   * call's outcome. */
  async finish(): Promise<void> {
    try {
      await call(() => this.#inner.finish());
    } catch (error) {
      throw toProjError(error);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.finish();
  }
}
