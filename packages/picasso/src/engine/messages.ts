// What the engine hands out (`OutputMessage`) and what `onEviction` answers.
import { argumentError, ErrorCode, ProjError } from '@proj/gstreamer/internal';
import type { VideoFrame } from '@proj/deepstream';

/** The end of one source's stream. */
export interface EndOfStream {
  readonly sourceId: string;
}

/** An output of the engine: an encoded (or bypassed) frame, or the end of
 * a source's stream. */
export class OutputMessage {
  readonly #frame: VideoFrame | null;
  readonly #eos: EndOfStream | null;

  private constructor(frame: VideoFrame | null, eos: EndOfStream | null) {
    this.#frame = frame;
    this.#eos = eos;
    Object.freeze(this);
  }
  /** @internal */
  static videoFrame(frame: VideoFrame): OutputMessage {
    return new OutputMessage(frame, null);
  }
  /** @internal */
  static endOfStream(sourceId: string): OutputMessage {
    return new OutputMessage(null, Object.freeze({ sourceId }));
  }
  get isVideoFrame(): boolean {
    return this.#frame !== null;
  }
  get isEos(): boolean {
    return this.#eos !== null;
  }
  /** The frame; `ERR_PROJ_INVALID_ARGUMENT` for an end-of-stream. */
  asVideoFrame(): VideoFrame {
    if (this.#frame === null) throw new ProjError(ErrorCode.INVALID_ARGUMENT, 'this output is an end-of-stream, not a video frame');
    return this.#frame;
  }
  /** The end-of-stream; `ERR_PROJ_INVALID_ARGUMENT` for a video frame. */
  asEos(): EndOfStream {
    if (this.#eos === null) throw new ProjError(ErrorCode.INVALID_ARGUMENT, 'this output is a video frame, not an end-of-stream');
    return this.#eos;
  }
}

type Decision = { kind: 'keep'; secs: number } | { kind: 'terminate' } | { kind: 'terminate_immediately' };

/** What `onEviction` answers for a source idle past its timeout. */
export class EvictionDecision {
  /** @internal */
  readonly decision: Decision;

  private constructor(decision: Decision) {
    this.decision = decision;
    Object.freeze(this);
  }
  /** Keep the source; ask again after `secs` more idle seconds. */
  static keepFor(secs: number): EvictionDecision {
    if (typeof secs !== 'number' || !Number.isFinite(secs) || secs <= 0) {
      throw argumentError('range', `keepFor takes a number of seconds above 0, got ${String(secs)}`);
    }
    return new EvictionDecision({ kind: 'keep', secs });
  }
  /** Drain the encoder (its last frames and end-of-stream come out), then
   * end the source's worker. */
  static terminate(): EvictionDecision {
    return new EvictionDecision({ kind: 'terminate' });
  }
  /** End the source's worker now; frames inside the encoder are lost. */
  static terminateImmediately(): EvictionDecision {
    return new EvictionDecision({ kind: 'terminate_immediately' });
  }
  get isKeep(): boolean {
    return this.decision.kind === 'keep';
  }
  get isTerminate(): boolean {
    return this.decision.kind === 'terminate';
  }
  get isTerminateImmediately(): boolean {
    return this.decision.kind === 'terminate_immediately';
  }
}
