import * as native from '@proj/native';
import {
  argumentError,
  type EnumValue,
  ErrorCode,
  makeEnum,
  native as call,
  predicates,
  ProjError,
  toProjError,
} from '@proj/gstreamer/internal';

import { type SharedBuffer, wrapBuffer } from './buffers.js';
import { DecoderConfig, type FlexibleDecoderConfig, type FlexibleDecoderPoolConfig } from './decoder-config.js';
import { frameFromNative, VideoFrame } from './video-frame.js';
import { openIterator, type OutputIterator, type OutputsOptions } from '@proj/gstreamer/internal';

const skipReasons = {
  NO_PAYLOAD: 'no_payload',
  SOURCE_ID_MISMATCH: 'source_id_mismatch',
  UNSUPPORTED_CODEC: 'unsupported_codec',
  INVALID_PAYLOAD: 'invalid_payload',
  WAITING_FOR_KEYFRAME: 'waiting_for_keyframe',
  DETECTION_BUFFER_OVERFLOW: 'detection_buffer_overflow',
  DECODER_CREATION_FAILED: 'decoder_creation_failed',
  /** The decoder took the frame but produced no picture for it (corrupt
   * data, a lost reference, or its session ended first). */
  DECODE_FAILED: 'decode_failed',
} as const;

/** Why a frame was not decoded; `SkipReason.isNoPayload(reason)` and the
 * other `is…` checks are the seed's `is_*` properties. */
export const SkipReason = makeEnum('skipReason', skipReasons, undefined, predicates(skipReasons));
export type SkipReason = EnumValue<typeof SkipReason>;

const evictionDecisions = { KEEP: 'keep', EVICT: 'evict' } as const;

/** What an eviction callback answers for an idle stream;
 * `EvictionDecision.isKeep(d)` / `isEvict(d)` are the seed's checks. */
export const EvictionDecision = makeEnum('evictionDecision', evictionDecisions, undefined, predicates(evictionDecisions));
export type EvictionDecision = EnumValue<typeof EvictionDecision>;

/** Codec and size of a decoder session. */
export interface DecoderParameters {
  codec: string;
  width: number;
  height: number;
}

/** Scalar facts about a decoded picture. */
export interface DecodedFrame {
  /** The uuid of the frame it was submitted with (null for an orphan). */
  frameId: string | null;
  ptsNs: bigint;
  dtsNs: bigint | null;
  durationNs: bigint | null;
  codec: string;
  /** The output buffer's format: `RGBA`. */
  format: string;
  width: number;
  height: number;
  /** Whether the output still holds the buffer (not yet taken). */
  hasBuffer: boolean;
}

/** A decoded frame and its buffer, sealed until the output that carried
 * them is released (when the result callback returns, or when an output
 * iterator moves on): a consumer elsewhere cannot touch the buffer while
 * the callback still can. */
export class SealedDelivery {
  #released = false;
  #consumed = false;
  readonly #waiters: Array<() => void> = [];

  constructor(
    private readonly frame: VideoFrame,
    private readonly buffer: SharedBuffer,
  ) {}

  /** @internal */
  release(): void {
    this.#released = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  isReleased(): boolean {
    return this.#released;
  }

  #take(): [VideoFrame, SharedBuffer] {
    if (this.#consumed) throw argumentError('range', 'the delivery was already unsealed');
    this.#consumed = true;
    return [this.frame, this.buffer];
  }

  /** The pair if the seal is released, else null. */
  tryUnseal(): [VideoFrame, SharedBuffer] | null {
    return this.#released ? this.#take() : null;
  }

  /** Resolves with the pair once the seal is released; with `timeoutMs`,
   * rejects with `ERR_PROJ_TIMEOUT` if it is not by then. */
  async unseal(options: { timeoutMs?: number } = {}): Promise<[VideoFrame, SharedBuffer]> {
    if (!this.#released) {
      await new Promise<void>((resolve, reject) => {
        this.#waiters.push(resolve);
        if (options.timeoutMs !== undefined) {
          setTimeout(() => {
            if (!this.#released) reject(Object.assign(new Error(`still sealed after ${options.timeoutMs} ms`), { code: 'ERR_PROJ_TIMEOUT' }));
          }, options.timeoutMs).unref();
        }
      });
    }
    return this.#take();
  }
}

/** One output of a decoder; `kind` (or the `is…` getters) says which. */
export abstract class FlexibleDecoderOutput {
  abstract readonly kind: 'frame' | 'parameter_change' | 'skipped' | 'orphan_frame' | 'source_eos' | 'event' | 'error';
  get isFrame(): boolean {
    return this.kind === 'frame';
  }
  get isParameterChange(): boolean {
    return this.kind === 'parameter_change';
  }
  get isSkipped(): boolean {
    return this.kind === 'skipped';
  }
  get isOrphanFrame(): boolean {
    return this.kind === 'orphan_frame';
  }
  get isSourceEos(): boolean {
    return this.kind === 'source_eos';
  }
  get isEvent(): boolean {
    return this.kind === 'event';
  }
  get isError(): boolean {
    return this.kind === 'error';
  }
  asFrame(): FrameOutput | null {
    return this instanceof FrameOutput ? this : null;
  }
  asParameterChange(): ParameterChangeOutput | null {
    return this instanceof ParameterChangeOutput ? this : null;
  }
  asSkipped(): SkippedOutput | null {
    return this instanceof SkippedOutput ? this : null;
  }
  asOrphanFrame(): OrphanFrameOutput | null {
    return this instanceof OrphanFrameOutput ? this : null;
  }
  asSourceEos(): SourceEosOutput | null {
    return this instanceof SourceEosOutput ? this : null;
  }
  asEvent(): EventOutput | null {
    return this instanceof EventOutput ? this : null;
  }
  asError(): ErrorOutput | null {
    return this instanceof ErrorOutput ? this : null;
  }
  /** Ends this output's hold: opens its seal and, if nobody took the
   * buffer, gives it back to the pool. The decoder calls it when the
   * callback returns or the iterator moves on; idempotent. */
  release(): void {}
  [Symbol.dispose](): void {
    this.release();
  }
}

function decoded(js: native.DecodedFrame, hasBuffer: boolean): DecodedFrame {
  return {
    frameId: js.frameId ?? null,
    ptsNs: js.ptsNs,
    dtsNs: js.dtsNs ?? null,
    durationNs: js.durationNs ?? null,
    codec: js.codec,
    format: js.format,
    width: js.width,
    height: js.height,
    hasBuffer,
  };
}

/** A decoded picture (RGBA, in the decoder's pool) with the frame it was
 * submitted with. */
export class FrameOutput extends FlexibleDecoderOutput {
  readonly kind = 'frame';
  readonly frame: VideoFrame;
  #buffer: SharedBuffer | null;
  #delivery: SealedDelivery | null = null;
  #decoded: native.DecodedFrame;

  /** @internal */
  constructor(frame: VideoFrame, buffer: SharedBuffer, decodedFrame: native.DecodedFrame) {
    super();
    this.frame = frame;
    this.#buffer = buffer;
    this.#decoded = decodedFrame;
  }
  get decodedFrame(): DecodedFrame {
    return decoded(this.#decoded, this.#buffer !== null);
  }
  /**
   * The sealed `(frame, buffer)` pair, on the first call; null after. Take
   * it inside the result callback (or while iterating): once the callback
   * has returned, an output nobody took is released and this throws
   * `ERR_PROJ_CONSUMED` instead of losing the picture silently.
   */
  takeDelivery(): SealedDelivery | null {
    if (this.#released && this.#delivery === null) {
      throw new ProjError(
        ErrorCode.CONSUMED,
        'this output was released when its callback returned: call takeDelivery() inside the callback (or while iterating outputs())',
      );
    }
    if (this.#buffer === null) return null;
    this.#delivery = new SealedDelivery(this.frame, this.#buffer);
    this.#buffer = null;
    return this.#delivery;
  }
  #released = false;
  override release(): void {
    this.#released = true;
    this.#delivery?.release();
    this.#buffer?.release();
    this.#buffer = null;
  }
}

export class ParameterChangeOutput extends FlexibleDecoderOutput {
  readonly kind = 'parameter_change';
  readonly old: DecoderParameters;
  readonly new: DecoderParameters;
  /** @internal */
  constructor(before: DecoderParameters, after: DecoderParameters) {
    super();
    this.old = before;
    this.new = after;
  }
}

/** A frame that was not decoded, and why. */
export class SkippedOutput extends FlexibleDecoderOutput {
  readonly kind = 'skipped';
  /** @internal */
  constructor(
    readonly frame: VideoFrame,
    readonly reason: SkipReason,
    readonly detail: string | null,
    readonly data: Uint8Array | null,
  ) {
    super();
  }
}

/** A decoded picture no submitted frame matched. */
export class OrphanFrameOutput extends FlexibleDecoderOutput {
  readonly kind = 'orphan_frame';
  #buffer: SharedBuffer | null;
  #decoded: native.DecodedFrame;
  /** @internal */
  constructor(buffer: SharedBuffer, decodedFrame: native.DecodedFrame) {
    super();
    this.#buffer = buffer;
    this.#decoded = decodedFrame;
  }
  get decodedFrame(): DecodedFrame {
    return decoded(this.#decoded, this.#buffer !== null);
  }
  /** The picture's buffer (first call), now owned by the caller. */
  takeBuffer(): SharedBuffer | null {
    const buffer = this.#buffer;
    this.#buffer = null;
    return buffer;
  }
  override release(): void {
    this.#buffer?.release();
    this.#buffer = null;
  }
}

/** The source's stream ended: every output of its earlier frames came
 * before this one. */
export class SourceEosOutput extends FlexibleDecoderOutput {
  readonly kind = 'source_eos';
  /** @internal */
  constructor(readonly sourceId: string) {
    super();
  }
}

/** A GStreamer event seen at the decoder's output (caps, end of stream). */
export class EventOutput extends FlexibleDecoderOutput {
  readonly kind = 'event';
  /** @internal */
  constructor(readonly summary: string) {
    super();
  }
}

/** The decoder failed (and restarted) or was shut down with frames in
 * flight: `frames` are those frames, which get no other output. */
export class ErrorOutput extends FlexibleDecoderOutput {
  readonly kind = 'error';
  /** @internal */
  constructor(
    readonly message: string,
    readonly frames: VideoFrame[],
  ) {
    super();
  }
}

function toOutput(js: native.DecoderOutput): FlexibleDecoderOutput | null {
  const frame = js.frame ? frameFromNative(js.frame) : null;
  switch (js.kind) {
    case 'frame':
      return frame && js.buffer && js.decoded ? new FrameOutput(frame, wrapBuffer(js.buffer), js.decoded) : null;
    case 'parameter_change':
      return js.oldParams && js.newParams ? new ParameterChangeOutput(js.oldParams, js.newParams) : null;
    case 'skipped':
      return frame ? new SkippedOutput(frame, js.reason as SkipReason, js.detail ?? null, js.data ? new Uint8Array(js.data) : null) : null;
    case 'orphan_frame':
      return js.buffer && js.decoded ? new OrphanFrameOutput(wrapBuffer(js.buffer), js.decoded) : null;
    case 'source_eos':
      return new SourceEosOutput(js.sourceId ?? '');
    case 'event':
      return new EventOutput(js.summary ?? '');
    case 'error':
      return new ErrorOutput(js.message ?? '', (js.frames ?? []).map(frameFromNative));
    default:
      return null;
  }
}

export type ResultCallback = (output: FlexibleDecoderOutput) => void;

/** Fans outputs out to the result callback and to async iterators, and
 * releases each output once everyone is done with it. */
class Outputs {
  readonly #iterators = new Set<OutputIterator<FlexibleDecoderOutput>>();
  #closed = false;
  readonly #closedWaiters: Array<() => void> = [];

  constructor(private readonly callback: ResultCallback | undefined) {}

  /** Native entry point: never throws (a throw would reach Node's
   * uncaught-exception handler from a native callback). */
  readonly receive = (js: native.DecoderOutput): void => {
    if (js.kind === 'closed') {
      this.#close();
      return;
    }
    const output = toOutput(js);
    if (!output) return;
    // A decoder waiting on buffers its consumer holds says so loudly, as a
    // pool wait does (`PROJ_POOL_STALL`), besides the event output.
    if (output instanceof EventOutput && output.summary.startsWith('stalled:')) {
      process.emitWarning(output.summary, { code: 'PROJ_POOL_STALL' });
    }
    if (this.callback) {
      try {
        this.callback(output);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    if (this.#iterators.size === 0) {
      output.release();
      return;
    }
    let holders = this.#iterators.size;
    const done = () => {
      holders -= 1;
      if (holders === 0) output.release();
    };
    for (const iterator of this.#iterators) iterator.push(output, done);
  };

  #close(): void {
    this.#closed = true;
    for (const iterator of this.#iterators) iterator.end();
    for (const wake of this.#closedWaiters.splice(0)) wake();
  }

  /** Resolves after the last output was delivered. */
  closed(): Promise<void> {
    return this.#closed ? Promise.resolve() : new Promise((resolve) => this.#closedWaiters.push(resolve));
  }

  iterate(options?: OutputsOptions | null): AsyncIterableIterator<FlexibleDecoderOutput> {
    const iterator = openIterator('decoder', options, this.#iterators);
    if (this.#closed) iterator.end();
    else this.#iterators.add(iterator);
    return iterator;
  }
}

/** Starts a native call that returns a Promise: a refusal (shut down,
 * queue full) rejects rather than throws. */
async function settle(start: () => Promise<void>): Promise<void> {
  try {
    await call(start);
  } catch (error) {
    throw toProjError(error);
  }
}

function configFn(cb: FlexibleDecoderConfig['decoderConfigCallback']) {
  if (!cb) return undefined;
  return (config: native.DecoderConfig, frame: native.VideoFrame): native.DecoderConfig => {
    const result = cb(DecoderConfig.fromNative(config), frameFromNative(frame));
    if (!(result instanceof DecoderConfig)) throw argumentError('type', 'the decoder config callback must return a DecoderConfig');
    return result.toNative();
  };
}

function payload(frame: VideoFrame, data: Uint8Array | null | undefined): Uint8Array | undefined {
  if (!(frame instanceof VideoFrame)) throw argumentError('type', 'submit() takes a VideoFrame');
  if (data === null || data === undefined) return undefined;
  if (!(data instanceof Uint8Array)) throw argumentError('type', 'data must be a Uint8Array or Buffer');
  return data;
}

/** The calls a native decoder and a native pool share. */
interface NativeDecoder {
  submit(frame: native.VideoFrame, data?: Uint8Array | null): Promise<void>;
  sourceEos(sourceId: string): Promise<void>;
  gracefulShutdown(): Promise<void>;
  shutdown(): Promise<void>;
}

/** What `FlexibleDecoder` and `FlexibleDecoderPool` have in common. */
abstract class DecoderFront {
  readonly #outputs: Outputs;
  #shutDown = false;

  protected constructor(outputs: Outputs) {
    this.#outputs = outputs;
  }

  protected abstract get nativeDecoder(): NativeDecoder;

  /** Whether `gracefulShutdown()` or `shutdown()` has completed. */
  get isShutDown(): boolean {
    return this.#shutDown;
  }

  /** Submits one encoded frame (`data`, or the frame's internal content).
   * Resolves when the decoder has taken it, which waits while its output
   * pool is full; rejects only when the decoder is shut down. */
  submit(frame: VideoFrame, data?: Uint8Array | null): Promise<void> {
    const bytes = payload(frame, data);
    return settle(() => this.nativeDecoder.submit(frame.native, bytes));
  }

  /** Ends the source's stream: every earlier frame gets its output, then a
   * `source_eos` output. The next frame starts a new session. */
  sourceEos(sourceId: string): Promise<void> {
    if (typeof sourceId !== 'string') return Promise.reject(argumentError('type', `sourceId must be a string, got ${typeof sourceId}`));
    return settle(() => this.nativeDecoder.sourceEos(sourceId));
  }

  #graceful: Promise<void> | null = null;

  /** Decodes what was submitted, then shuts down; resolves after the last
   * output was delivered. A second call while (or after) it runs shares the
   * first call's outcome, as `Mp4Muxer.finish()` does. */
  gracefulShutdown(): Promise<void> {
    this.#graceful ??= (async () => {
      await settle(() => this.nativeDecoder.gracefulShutdown());
      this.#shutDown = true;
      await this.#outputs.closed();
    })();
    return this.#graceful;
  }

  /** Shuts down at once: frames in flight are reported in one `error`
   * output. */
  async shutdown(): Promise<void> {
    await settle(() => this.nativeDecoder.shutdown());
    this.#shutDown = true;
  }

  /** Every output from now on, until shutdown (`OutputsOptions`: how far
   * it may fall behind, an `AbortSignal` that ends it). */
  outputs(options?: OutputsOptions): AsyncIterableIterator<FlexibleDecoderOutput> {
    return this.#outputs.iterate(options);
  }
  [Symbol.asyncIterator](): AsyncIterableIterator<FlexibleDecoderOutput> {
    return this.outputs();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.isShutDown) await this.gracefulShutdown();
  }
}

function checkCallback(name: string, callback: unknown): void {
  if (callback !== undefined && typeof callback !== 'function') throw argumentError('type', `the ${name} callback must be a function`);
}

/**
 * One source's adaptive decoder. Frames say their codec and size; the
 * decoder follows them (a change drains the old session and reports a
 * `parameter_change`). Every submitted frame gets exactly one `frame`,
 * `skipped` or `error` output, through the callback and `outputs()`.
 */
export class FlexibleDecoder extends DecoderFront {
  readonly #native: native.FlexibleDecoder;

  constructor(config: FlexibleDecoderConfig, resultCallback?: ResultCallback) {
    checkCallback('result', resultCallback);
    const outputs = new Outputs(resultCallback);
    super(outputs);
    this.#native = call(() => new native.FlexibleDecoder(config.toNative(), outputs.receive, configFn(config.decoderConfigCallback)));
  }

  protected get nativeDecoder(): NativeDecoder {
    return this.#native;
  }

  get sourceId(): string {
    return this.#native.sourceId;
  }
  override get isShutDown(): boolean {
    return this.#native.isShutDown;
  }
}

/** `(sourceId) => EvictionDecision` for a stream idle past the TTL. */
export type EvictionCallback = (sourceId: string) => EvictionDecision;

/** One `FlexibleDecoder` per source behind one callback; idle sources are
 * drained and removed after `evictionTtlMs` unless the eviction callback
 * answers `keep`. Sources never wait for each other. */
export class FlexibleDecoderPool extends DecoderFront {
  readonly #native: native.FlexibleDecoderPool;

  constructor(config: FlexibleDecoderPoolConfig, resultCallback?: ResultCallback, evictionCallback?: EvictionCallback) {
    checkCallback('result', resultCallback);
    checkCallback('eviction', evictionCallback);
    const outputs = new Outputs(resultCallback);
    super(outputs);
    const eviction = evictionCallback
      ? (sourceId: string): string => {
          try {
            return evictionCallback(sourceId) === EvictionDecision.KEEP ? 'keep' : 'evict';
          } catch {
            return 'evict';
          }
        }
      : undefined;
    this.#native = call(() => new native.FlexibleDecoderPool(config.toNative(), outputs.receive, eviction, configFn(config.decoderConfigCallback)));
  }

  protected get nativeDecoder(): NativeDecoder {
    return this.#native;
  }

  /** Sources with a decoder now. */
  get streamCount(): number {
    return this.#native.streamCount;
  }
}
