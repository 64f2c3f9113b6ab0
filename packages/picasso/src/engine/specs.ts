// The engine's configuration: what each source does with its frames.
import { argumentError, type EnumValue, integerArgument, makeEnum, optionsObject } from '@proj/gstreamer/internal';
import { EncoderConfig, type TransformConfig } from '@proj/deepstream';
import { ObjectDrawSpec } from '../draw-spec.js';

/** When `onGpumat` fires relative to drawing: before it, after it (the
 * default), or both. */
export const CallbackInvocationOrder = makeEnum('callbackInvocationOrder', {
  GpuMatSkia: 'gpumat_skia',
  GpuMatSkiaGpuMat: 'gpumat_skia_gpumat',
  SkiaGpuMat: 'skia_gpumat',
} as const);
export type CallbackInvocationOrder = EnumValue<typeof CallbackInvocationOrder>;

/** What `sendFrame` does when a source's queue is full: wait for room
 * (the default, the seed's behaviour), drop the oldest queued frame, or
 * drop the frame being sent. Drops are counted in `stats()`. */
export const QueuePolicy = makeEnum('queuePolicy', { Wait: 'wait', DropOldest: 'drop_oldest', DropNewest: 'drop_newest' } as const);
export type QueuePolicy = EnumValue<typeof QueuePolicy>;

/** Why a source's encoded stream starts again. */
export const StreamResetReason = makeEnum('streamResetReason', {
  PtsDecreased: 'pts_decreased',
  EncoderSpecChanged: 'encoder_spec_changed',
} as const);
export type StreamResetReason = EnumValue<typeof StreamResetReason>;

/** What a PTS that does not increase does to an encoded stream: drain the
 * encoder and send end-of-stream (the default, so a recorder closes its
 * file), or drain silently and go on with a new encoder. */
export const StreamResetPolicy = makeEnum('streamResetPolicy', { EndOfStream: 'eos', Silent: 'silent' } as const);
export type StreamResetPolicy = EnumValue<typeof StreamResetPolicy>;

function positiveSeconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 86_400 * 365) {
    throw argumentError('range', `${name} must be a number of seconds above 0, got ${String(value)}`);
  }
  return value;
}

export interface GeneralSpecOptions {
  /** For logs (default `picasso`). */
  name?: string;
  /** Seconds without a frame before a source is offered to `onEviction`
   * (default 30; fractions allowed). */
  idleTimeoutSecs?: number;
  /** Frames each source's queue holds (default 8). */
  inflightQueueSize?: number;
  /** Period of the `onStats` callback in ms (default 0: never). */
  statsIntervalMs?: number;
}

/** Engine-wide defaults. */
export class GeneralSpec {
  readonly name: string;
  readonly idleTimeoutSecs: number;
  readonly inflightQueueSize: number;
  readonly statsIntervalMs: number;

  constructor(options?: GeneralSpecOptions) {
    const o = optionsObject('GeneralSpec', options);
    if (o.name !== undefined && typeof o.name !== 'string') throw argumentError('type', 'name must be a string');
    this.name = o.name ?? 'picasso';
    this.idleTimeoutSecs = o.idleTimeoutSecs === undefined ? 30 : positiveSeconds('idleTimeoutSecs', o.idleTimeoutSecs);
    this.inflightQueueSize = o.inflightQueueSize === undefined ? 8 : integerArgument('inflightQueueSize', o.inflightQueueSize, 1, 65_536);
    this.statsIntervalMs = o.statsIntervalMs === undefined ? 0 : integerArgument('statsIntervalMs', o.statsIntervalMs, 0, 86_400_000);
    Object.freeze(this);
  }
}

type Kind = 'drop' | 'bypass' | 'encode';

/** What to do with each frame of a source: `dropFrames()`, `bypass()`
 * (boxes back to the initial frame size, then `onBypassFrame`) or
 * `encode(transform, encoder)` (scale + letterbox into the encoder's
 * picture, draw, encode, `onEncodedFrame`). */
export class CodecSpec {
  readonly #kind: Kind;
  /** Only for `encode`. */
  readonly transform: TransformConfig | null;
  /** Only for `encode`. */
  readonly encoder: EncoderConfig | null;

  private constructor(kind: Kind, transform: TransformConfig | null, encoder: EncoderConfig | null) {
    this.#kind = kind;
    this.transform = transform;
    this.encoder = encoder;
    Object.freeze(this);
  }
  static dropFrames(): CodecSpec {
    return new CodecSpec('drop', null, null);
  }
  static bypass(): CodecSpec {
    return new CodecSpec('bypass', null, null);
  }
  /** `transform`: how the frame's picture is placed in the encoder's
   * (`{ padding, dstPadding, interpolation }`; `{}` for symmetric
   * letterbox, bilinear). The engine draws on RGBA, so it encodes from RGBA
   * whatever format `encoder` names. */
  static encode(transform: TransformConfig, encoder: EncoderConfig): CodecSpec {
    if (transform === null || typeof transform !== 'object') throw argumentError('type', 'transform must be a TransformConfig object ({} for the defaults)');
    if (!(encoder instanceof EncoderConfig)) throw argumentError('type', 'encoder must be an EncoderConfig');
    return new CodecSpec('encode', Object.freeze({ ...transform }), encoder);
  }
  get isDrop(): boolean {
    return this.#kind === 'drop';
  }
  get isBypass(): boolean {
    return this.#kind === 'bypass';
  }
  get isEncode(): boolean {
    return this.#kind === 'encode';
  }
}

/** An attribute by (namespace, name). */
export type AttributeKey = readonly [namespace: string, name: string];

function attributeKey(name: string, value: unknown): AttributeKey | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
    throw argumentError('type', `${name} must be [namespace, name]`);
  }
  return Object.freeze([value[0], value[1]] as const);
}

/** Attribute gates: a frame without `encodeAttribute` is skipped (any
 * mode); one without `renderAttribute` is encoded without drawing. */
export class ConditionalSpec {
  readonly encodeAttribute: AttributeKey | null;
  readonly renderAttribute: AttributeKey | null;

  constructor(options?: { encodeAttribute?: AttributeKey | null; renderAttribute?: AttributeKey | null }) {
    const o = optionsObject('ConditionalSpec', options);
    this.encodeAttribute = attributeKey('encodeAttribute', o.encodeAttribute);
    this.renderAttribute = attributeKey('renderAttribute', o.renderAttribute);
    Object.freeze(this);
  }
}

export interface SourceSpecOptions {
  /** Default `CodecSpec.dropFrames()`. */
  codec?: CodecSpec;
  conditional?: ConditionalSpec;
  /** Per-object draw specs (default empty). */
  draw?: ObjectDrawSpec;
  /** A family `registerFont` knows (default `sans-serif`). */
  fontFamily?: string;
  /** Overrides the engine's idle timeout for this source. */
  idleTimeoutSecs?: number | null;
  /** Call `onRender` with a canvas for each drawn frame. */
  useOnRender?: boolean;
  /** Call `onGpumat` with the picture. */
  useOnGpumat?: boolean;
  callbackOrder?: CallbackInvocationOrder | string;
  /** Beyond the seed: what a full queue does (default `wait`). */
  queuePolicy?: QueuePolicy | string;
  /** Beyond the seed: what a PTS that does not increase does (default `eos`). */
  streamResetPolicy?: StreamResetPolicy | string;
}

/** Everything one source does. Immutable; `setSourceSpec` swaps it while
 * frames flow (between two frames, in the order of the calls). */
export class SourceSpec {
  readonly codec: CodecSpec;
  readonly conditional: ConditionalSpec;
  readonly draw: ObjectDrawSpec;
  readonly fontFamily: string;
  readonly idleTimeoutSecs: number | null;
  readonly useOnRender: boolean;
  readonly useOnGpumat: boolean;
  readonly callbackOrder: CallbackInvocationOrder;
  readonly queuePolicy: QueuePolicy;
  readonly streamResetPolicy: StreamResetPolicy;

  constructor(options?: SourceSpecOptions) {
    const o = optionsObject('SourceSpec', options);
    const typed = <T>(name: string, v: unknown, ctor: { prototype: T; name: string }): T | undefined => {
      if (v === undefined) return undefined;
      if (!(v instanceof (ctor as unknown as abstract new () => T))) throw argumentError('type', `${name} must be a ${ctor.name}`);
      return v as T;
    };
    this.codec = typed('codec', o.codec, CodecSpec) ?? CodecSpec.dropFrames();
    this.conditional = typed('conditional', o.conditional, ConditionalSpec) ?? new ConditionalSpec();
    this.draw = typed('draw', o.draw, ObjectDrawSpec) ?? new ObjectDrawSpec();
    if (o.fontFamily !== undefined && typeof o.fontFamily !== 'string') throw argumentError('type', 'fontFamily must be a string');
    this.fontFamily = o.fontFamily ?? 'sans-serif';
    this.idleTimeoutSecs = o.idleTimeoutSecs === undefined || o.idleTimeoutSecs === null ? null : positiveSeconds('idleTimeoutSecs', o.idleTimeoutSecs);
    for (const key of ['useOnRender', 'useOnGpumat'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'boolean') throw argumentError('type', `${key} must be a boolean`);
    }
    this.useOnRender = o.useOnRender ?? false;
    this.useOnGpumat = o.useOnGpumat ?? false;
    this.callbackOrder = CallbackInvocationOrder.fromName(o.callbackOrder ?? CallbackInvocationOrder.SkiaGpuMat);
    this.queuePolicy = QueuePolicy.fromName(o.queuePolicy ?? QueuePolicy.Wait);
    this.streamResetPolicy = StreamResetPolicy.fromName(o.streamResetPolicy ?? StreamResetPolicy.EndOfStream);
    Object.freeze(this);
  }
}
