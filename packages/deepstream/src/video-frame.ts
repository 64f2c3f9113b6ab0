import * as native from '@proj/native';
import { argumentError, native as call, integerArgument, optionalOf } from '@proj/gstreamer/internal';
import type { SourcePacket } from '@proj/gstreamer';

import { type Attribute, fromNativeAttribute, toNativeAttribute } from './attribute.js';
import { type ChainGeometry, type RBBox, type Transformation, toBBox, toTransformation } from './geometry.js';
import type { VideoCodec } from './video-codec.js';

/** A positive fraction: frames per second, or seconds per tick. */
export interface Rational {
  num: number;
  den: number;
}

/** A count of time-base ticks: a non-negative safe integer or a bigint. */
export type Ticks = number | bigint;

/** Where a frame's picture is. */
export type FrameContent =
  | { kind: 'internal'; data: Uint8Array }
  | { kind: 'external'; method: string; location?: string | undefined }
  | { kind: 'none' };

export type TranscodingMethod = 'copy' | 'encoded';

export interface VideoFrameInit {
  /** The camera or stream the frame comes from. */
  sourceId: string;
  width: number;
  height: number;
  /** Default 30/1; a string like `'30000/1001'` works too. */
  fps?: Rational | string;
  /** Seconds per tick of pts/dts/duration. Default 1/1e9 (nanoseconds). */
  timeBase?: Rational | string;
  /** Default 0. */
  pts?: Ticks;
  dts?: Ticks | null;
  duration?: Ticks | null;
  codec?: VideoCodec | string | null;
  keyframe?: boolean | null;
  /** Default `{ kind: 'none' }`. */
  content?: FrameContent;
  /** Default `'copy'`. */
  transcodingMethod?: TranscodingMethod;
}

/** A detected object on a frame. */
export interface VideoObject {
  /** Unique within the frame. */
  id: number;
  /** Who produced it, e.g. the detector. */
  namespace: string;
  label: string;
  /** Drawn instead of `label`. */
  drawLabel?: string | undefined;
  detectionBox: RBBox;
  confidence?: number | undefined;
  /** Another object of the frame this one belongs to. */
  parentId?: number | undefined;
  trackId?: number | undefined;
  trackBox?: RBBox | undefined;
  attributes: Attribute[];
}

/** An object to add: the id is optional (the frame picks the next free
 * one), and so are the attributes. */
export type NewVideoObject = Omit<VideoObject, 'id' | 'attributes'> & { id?: number; attributes?: Attribute[] };

/** What `addObject` does when the id is taken. */
export type IdPolicy = 'error' | 'generateNewId' | 'overwrite';

const U63 = (1n << 63n) - 1n;

function ticks(name: string, value: Ticks): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > U63) throw argumentError('range', `${name} must be between 0 and 2^63-1, got ${value}`);
    return value;
  }
  if (typeof value !== 'number') throw argumentError('type', `${name} must be a number or a bigint, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw argumentError('range', `${name} must be a non-negative safe integer (or a bigint), got ${value}`);
  }
  return BigInt(value);
}

/** Ticks of `timeBase` as nanoseconds (rounded down): a frame's `pts` or
 * `duration` on the clock muxers and encoders take. */
export function ticksToNs(ticks: bigint, timeBase: Rational): bigint {
  return (ticks * 1_000_000_000n * BigInt(timeBase.num)) / BigInt(timeBase.den);
}

function optionalTicks(name: string, value: Ticks | null | undefined): bigint | undefined {
  return value === undefined || value === null ? undefined : ticks(name, value);
}

const integer = (name: string, value: unknown): number =>
  integerArgument(name, value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

function rational(name: string, value: Rational | string): native.Rational {
  if (typeof value === 'string') {
    const [num, den = '1', extra] = value.split('/');
    if (extra !== undefined || !/^\s*\d+\s*$/.test(num ?? '') || !/^\s*\d+\s*$/.test(den)) {
      throw argumentError('range', `${name} must look like '30000/1001', got '${value}'`);
    }
    return { num: Number(num), den: Number(den) };
  }
  if (value === null || typeof value !== 'object') throw argumentError('type', `${name} must be { num, den } or a string`);
  return { num: integer(`${name}.num`, value.num), den: integer(`${name}.den`, value.den) };
}

function toNativeContent(content: FrameContent): native.FrameContent {
  if (content === null || typeof content !== 'object') throw argumentError('type', 'content must be an object with a kind');
  switch (content.kind) {
    case 'internal':
      if (!(content.data instanceof Uint8Array)) throw argumentError('type', 'internal content needs data: Uint8Array');
      return { kind: 'internal', data: Buffer.from(content.data.buffer, content.data.byteOffset, content.data.byteLength) };
    case 'external':
      return { kind: 'external', method: content.method, location: content.location };
    case 'none':
      return { kind: 'none' };
    default:
      throw argumentError('type', `unknown content kind ${String((content as { kind: unknown }).kind)}`);
  }
}

function fromNativeContent(content: native.FrameContent): FrameContent {
  switch (content.kind) {
    case 'internal':
      return { kind: 'internal', data: new Uint8Array(content.data ?? []) };
    case 'external':
      return content.location === undefined || content.location === null
        ? { kind: 'external', method: content.method ?? '' }
        : { kind: 'external', method: content.method ?? '', location: content.location };
    default:
      return { kind: 'none' };
  }
}

function toNativeBox(name: string, b: RBBox): native.RbBox {
  if (b === null || typeof b !== 'object') throw argumentError('type', `${name} must be { xc, yc, width, height, angle? }`);
  for (const key of ['xc', 'yc', 'width', 'height'] as const) {
    if (typeof b[key] !== 'number') throw argumentError('type', `${name}.${key} must be a number`);
  }
  return { xc: b.xc, yc: b.yc, width: b.width, height: b.height, angle: b.angle };
}

function toNativeObject(o: NewVideoObject | VideoObject): native.VideoObject {
  if (o === null || typeof o !== 'object') throw argumentError('type', 'an object must be a plain object');
  for (const key of ['id', 'parentId', 'trackId'] as const) {
    if (o[key] !== undefined) integer(key, o[key]);
  }
  return {
    id: o.id,
    namespace: o.namespace,
    label: o.label,
    drawLabel: o.drawLabel,
    detectionBox: toNativeBox('detectionBox', o.detectionBox),
    confidence: o.confidence,
    parentId: o.parentId,
    trackId: o.trackId,
    trackBox: o.trackBox === undefined ? undefined : toNativeBox('trackBox', o.trackBox),
    attributes: (o.attributes ?? []).map(toNativeAttribute),
  };
}

function fromNativeObject(o: native.VideoObject): VideoObject {
  const optional = <K extends string, V>(key: K, value: V | null | undefined) =>
    (value === undefined || value === null ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    id: o.id ?? 0,
    namespace: o.namespace,
    label: o.label,
    ...optional('drawLabel', o.drawLabel),
    detectionBox: toBBox(o.detectionBox),
    ...optional('confidence', o.confidence),
    ...optional('parentId', o.parentId),
    ...optional('trackId', o.trackId),
    ...(o.trackBox ? { trackBox: toBBox(o.trackBox) } : {}),
    attributes: (o.attributes ?? []).map(fromNativeAttribute),
  };
}

function toNativeTransformation(t: Transformation): native.Transformation {
  if (t === null || typeof t !== 'object') throw argumentError('type', 'a transformation must be an object with a kind');
  const out: native.Transformation = { kind: t.kind };
  for (const [key, value] of Object.entries(t)) {
    if (key === 'kind') continue;
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffff_ffff) {
      throw argumentError('range', `${t.kind}.${key} must be an integer from 0 to 2^32-1, got ${String(value)}`);
    }
    (out as unknown as Record<string, number>)[key] = value as number;
  }
  return out;
}

/**
 * A video frame: timing, content, attributes, detected objects and the
 * chain of transformations from the camera's picture to this one.
 * Decoders produce these and Picasso consumes them; boxes move between
 * coordinate spaces with `transformForward()` / `transformBackward()`.
 */
let wrapFrame: (inner: native.VideoFrame) => VideoFrame;

/** @internal A JS frame over a native one (decoder outputs). */
export function frameFromNative(inner: native.VideoFrame): VideoFrame {
  return wrapFrame(inner);
}

export class VideoFrame {
  /** @internal The native frame, shared with native consumers. */
  readonly native: native.VideoFrame;

  constructor(init: VideoFrameInit) {
    if (init === null || typeof init !== 'object') throw argumentError('type', 'new VideoFrame() takes an options object');
    if (typeof init.sourceId !== 'string') throw argumentError('type', 'sourceId must be a string');
    if (init.transcodingMethod !== undefined && init.transcodingMethod !== 'copy' && init.transcodingMethod !== 'encoded') {
      throw argumentError('range', `transcodingMethod must be 'copy' or 'encoded', got ${String(init.transcodingMethod)}`);
    }
    const nativeInit: native.VideoFrameInit = {
      sourceId: init.sourceId,
      fps: rational('fps', init.fps ?? { num: 30, den: 1 }),
      width: integer('width', init.width),
      height: integer('height', init.height),
      content: init.content === undefined ? undefined : toNativeContent(init.content),
      transcodingMethod: init.transcodingMethod,
      codec: optionalOf('codec', init.codec, 'string'),
      keyframe: optionalOf('keyframe', init.keyframe, 'boolean'),
      timeBase: rational('timeBase', init.timeBase ?? { num: 1, den: 1_000_000_000 }),
      pts: ticks('pts', init.pts ?? 0),
      dts: optionalTicks('dts', init.dts),
      duration: optionalTicks('duration', init.duration),
    };
    this.native = call(() => new native.VideoFrame(nativeInit));
  }

  /** The frame for a `MediaSource` packet of a video stream, as
   * `FlexibleDecoder.submit(frame, packet.data)` takes it (nanosecond
   * timestamps; `fps` default 30/1). */
  static fromPacket(sourceId: string, packet: SourcePacket, fps?: Rational | string): VideoFrame {
    if (packet === null || typeof packet !== 'object' || packet.kind !== 'video') {
      throw argumentError('type', 'fromPacket takes a video SourcePacket');
    }
    return new VideoFrame({
      sourceId,
      width: packet.width,
      height: packet.height,
      fps,
      pts: packet.ptsNs ?? packet.dtsNs ?? 0n,
      dts: packet.dtsNs,
      duration: packet.durationNs,
      codec: packet.codec,
      keyframe: packet.keyframe,
    });
  }

  static #wrap(inner: native.VideoFrame): VideoFrame {
    const frame = Object.create(VideoFrame.prototype) as VideoFrame;
    Object.defineProperty(frame, 'native', { value: inner });
    return frame;
  }

  static {
    wrapFrame = (inner) => VideoFrame.#wrap(inner);
  }

  /** A deep copy (same uuid); changes to one do not show in the other. */
  copy(): VideoFrame {
    return VideoFrame.#wrap(this.native.copy());
  }

  /** A time-ordered (v7) UUID given at construction. */
  get uuid(): string {
    return this.native.uuid;
  }
  get sourceId(): string {
    return this.native.sourceId;
  }
  set sourceId(value: string) {
    if (typeof value !== 'string') throw argumentError('type', 'sourceId must be a string');
    call(() => (this.native.sourceId = value));
  }
  get fps(): Rational {
    return this.native.fps;
  }
  set fps(value: Rational | string) {
    const fps = rational('fps', value);
    call(() => (this.native.fps = fps));
  }
  get width(): number {
    return this.native.width;
  }
  get height(): number {
    return this.native.height;
  }
  /** Changes the size without touching objects or the chain. */
  setSize(width: number, height: number): void {
    const [w, h] = [integer('width', width), integer('height', height)];
    call(() => this.native.setSize(w, h));
  }
  get content(): FrameContent {
    return fromNativeContent(this.native.content);
  }
  set content(value: FrameContent) {
    const content = toNativeContent(value);
    call(() => (this.native.content = content));
  }
  get transcodingMethod(): TranscodingMethod {
    return this.native.transcodingMethod as TranscodingMethod;
  }
  set transcodingMethod(value: TranscodingMethod) {
    call(() => (this.native.transcodingMethod = value));
  }
  get codec(): VideoCodec | null {
    return (this.native.codec ?? null) as VideoCodec | null;
  }
  set codec(value: VideoCodec | string | null) {
    const codec = optionalOf('codec', value, 'string');
    call(() => (this.native.codec = codec));
  }
  get keyframe(): boolean | null {
    return this.native.keyframe ?? null;
  }
  set keyframe(value: boolean | null) {
    this.native.keyframe = optionalOf('keyframe', value, 'boolean');
  }
  get timeBase(): Rational {
    return this.native.timeBase;
  }
  set timeBase(value: Rational | string) {
    const timeBase = rational('timeBase', value);
    call(() => (this.native.timeBase = timeBase));
  }
  get pts(): bigint {
    return this.native.pts;
  }
  get dts(): bigint | null {
    return this.native.dts ?? null;
  }
  get duration(): bigint | null {
    return this.native.duration ?? null;
  }
  /** Sets pts, dts and duration together (in time-base ticks). */
  setTiming(pts: Ticks, dts?: Ticks | null, duration?: Ticks | null): void {
    const timing = { pts: ticks('pts', pts), dts: optionalTicks('dts', dts), duration: optionalTicks('duration', duration) };
    call(() => this.native.setTiming(timing));
  }

  // Transformations.

  get transformations(): Transformation[] {
    return this.native.transformations().map(toTransformation);
  }
  /** Appends a step; throws `ERR_PROJ_INVALID_TRANSFORMATION` (and changes
   * nothing) if the chain would not make sense. */
  addTransformation(step: Transformation): void {
    const t = toNativeTransformation(step);
    call(() => this.native.addTransformation(t));
  }
  /** Resets the chain to the frame's current size. */
  clearTransformations(): void {
    this.native.clearTransformations();
  }
  /** Sizes and the coordinate map the chain adds up to. */
  geometry(): ChainGeometry {
    return call(() => this.native.geometry());
  }
  /** Moves objects from the initial picture's coordinates into the current
   * one's; the current size becomes the frame's and the chain's start. */
  transformForward(): void {
    call(() => this.native.transformForward());
  }
  /** Moves objects from the current picture's coordinates back into the
   * initial one's; the initial size becomes the frame's and the chain's start. */
  transformBackward(): void {
    call(() => this.native.transformBackward());
  }

  // Attributes.

  get attributes(): Attribute[] {
    return this.native.attributes().map(fromNativeAttribute);
  }
  getAttribute(namespace: string, name: string): Attribute | null {
    const a = this.native.getAttribute(namespace, name);
    return a ? fromNativeAttribute(a) : null;
  }
  /** Adds or replaces by `(namespace, name)`; returns the one replaced. */
  setAttribute(attribute: Attribute): Attribute | null {
    const a = toNativeAttribute(attribute);
    const replaced = call(() => this.native.setAttribute(a));
    return replaced ? fromNativeAttribute(replaced) : null;
  }
  deleteAttribute(namespace: string, name: string): Attribute | null {
    const a = this.native.deleteAttribute(namespace, name);
    return a ? fromNativeAttribute(a) : null;
  }
  /** Removes non-persistent attributes from the frame and its objects. */
  deleteTemporaryAttributes(): void {
    this.native.deleteTemporaryAttributes();
  }

  // Objects.

  /** Snapshots of the objects, by id. */
  get objects(): VideoObject[] {
    return this.native.objects().map(fromNativeObject);
  }
  get objectCount(): number {
    return this.native.objectCount;
  }
  /** Throws `ERR_PROJ_OBJECT_NOT_FOUND` if there is none. */
  getObject(id: number): VideoObject {
    integer('id', id);
    return fromNativeObject(call(() => this.native.getObject(id)));
  }
  /** Adds an object and returns its id. */
  addObject(object: NewVideoObject, options: { idPolicy?: IdPolicy } = {}): number {
    const o = toNativeObject(object);
    return call(() => this.native.addObject(o, options.idPolicy));
  }
  /** Replaces the object with the same id. */
  updateObject(object: VideoObject): void {
    const o = toNativeObject(object);
    call(() => this.native.updateObject(o));
  }
  /** Removes an object (its children lose their parent) and returns it. */
  deleteObject(id: number): VideoObject {
    integer('id', id);
    return fromNativeObject(call(() => this.native.deleteObject(id)));
  }
  clearObjects(): void {
    this.native.clearObjects();
  }
  /** Adds or replaces an attribute of an object; returns the one replaced. */
  setObjectAttribute(id: number, attribute: Attribute): Attribute | null {
    integer('id', id);
    const a = toNativeAttribute(attribute);
    const replaced = call(() => this.native.setObjectAttribute(id, a));
    return replaced ? fromNativeAttribute(replaced) : null;
  }
}
