// The spec's encoder configuration: `EncoderConfig(codec, width, height)`
// with its builders, `EncoderProperties` and its factories, every property
// set with every field, and the encoder enums. Everything is checked when
// it is built (natively, by the same code the encoder uses): a field out of
// range, a field another set has, a set of another codec or platform is a
// typed error then, never at the first frame, never dropped.
import * as native from '@proj/native';
import { Codec } from '@proj/gstreamer';
import {
  argumentError,
  type EnumValue,
  ErrorCode,
  integerArgument,
  makeEnum,
  native as call,
  ProjError,
} from '@proj/gstreamer/internal';

import { MemType, VideoFormat } from './enums.js';

/** Rate control (DeepStream's `control-rate` 0/1/2). */
export const RateControl = makeEnum('rateControl', {
  VARIABLE_BITRATE: 'variable_bitrate',
  CONSTANT_BITRATE: 'constant_bitrate',
  CONSTANT_QP: 'constant_qp',
} as const);
export type RateControl = EnumValue<typeof RateControl>;

/** NVENC presets, P1 fastest to P7 best. */
export const DgpuPreset = makeEnum('dgpuPreset', { P1: 'p1', P2: 'p2', P3: 'p3', P4: 'p4', P5: 'p5', P6: 'p6', P7: 'p7' } as const);
export type DgpuPreset = EnumValue<typeof DgpuPreset>;

/** NVENC tuning (`tuning-info-id`). */
export const TuningPreset = makeEnum('tuningPreset', {
  HIGH_QUALITY: 'high_quality',
  LOW_LATENCY: 'low_latency',
  ULTRA_LOW_LATENCY: 'ultra_low_latency',
  LOSSLESS: 'lossless',
} as const);
export type TuningPreset = EnumValue<typeof TuningPreset>;

export const H264Profile = makeEnum('h264Profile', { BASELINE: 'baseline', MAIN: 'main', HIGH: 'high', HIGH444: 'high444' } as const);
export type H264Profile = EnumValue<typeof H264Profile>;

export const HevcProfile = makeEnum('hevcProfile', { MAIN: 'main', MAIN10: 'main10', FREXT: 'frext' } as const);
export type HevcProfile = EnumValue<typeof HevcProfile>;

/** Jetson's `preset-level`. */
export const JetsonPresetLevel = makeEnum('jetsonPresetLevel', {
  DISABLED: 'disabled',
  ULTRA_FAST: 'ultra_fast',
  FAST: 'fast',
  MEDIUM: 'medium',
  SLOW: 'slow',
} as const);
export type JetsonPresetLevel = EnumValue<typeof JetsonPresetLevel>;

/** x264/x265 speed presets (our CPU sets), fastest first. */
export const CpuPreset = makeEnum('cpuPreset', {
  ULTRAFAST: 'ultrafast',
  SUPERFAST: 'superfast',
  VERYFAST: 'veryfast',
  FASTER: 'faster',
  FAST: 'fast',
  MEDIUM: 'medium',
  SLOW: 'slow',
  SLOWER: 'slower',
  VERYSLOW: 'veryslow',
} as const);
export type CpuPreset = EnumValue<typeof CpuPreset>;

/** How a field is read: an unsigned integer, a flag, a string (QP ranges
 * and the like, parsed natively), or a name of an enum. */
type FieldKind = 'uint' | 'bool' | 'string' | { fromName(name: string): string };

const uint = 'uint' as const;
const bool = 'bool' as const;
const text = 'string' as const;

const dgpuFields = {
  bitrate: uint,
  controlRate: RateControl,
  iframeinterval: uint,
  idrinterval: uint,
  preset: DgpuPreset,
  tuningInfo: TuningPreset,
  qpRange: text,
  maxBitrate: uint,
  vbvBufSize: uint,
  vbvInit: uint,
  cq: uint,
  aq: uint,
  temporalAq: bool,
} satisfies Record<string, FieldKind>;

const jetsonFields = {
  bitrate: uint,
  controlRate: RateControl,
  iframeinterval: uint,
  idrinterval: uint,
  presetLevel: JetsonPresetLevel,
  peakBitrate: uint,
  vbvSize: uint,
  qpRange: text,
  quantIFrames: uint,
  quantPFrames: uint,
  ratecontrolEnable: bool,
  maxperfEnable: bool,
  twoPassCbr: bool,
  numRefFrames: uint,
} satisfies Record<string, FieldKind>;

/** The fields of every kind of set (TypeScript names). @internal */
export const kinds = {
  h264Dgpu: { ...dgpuFields, profile: H264Profile, constQp: text, initQp: text, extendedColorformat: bool },
  hevcDgpu: { ...dgpuFields, profile: HevcProfile, constQp: text, initQp: text, extendedColorformat: bool },
  av1Dgpu: dgpuFields,
  h264Jetson: { ...jetsonFields, profile: H264Profile, insertSpsPps: bool, insertAud: bool, insertVui: bool, disableCabac: bool },
  hevcJetson: { ...jetsonFields, profile: HevcProfile, enableLossless: bool },
  av1Jetson: { ...jetsonFields, quantBFrames: uint, insertSeqHdr: bool, tiles: text },
  jpeg: { quality: uint },
  png: { compressionLevel: uint },
  h264Cpu: { preset: CpuPreset, rateControl: RateControl, bitrate: uint, qp: uint, keyframeInterval: uint, profile: H264Profile, threads: uint, openh264: bool },
  hevcCpu: { preset: CpuPreset, rateControl: RateControl, bitrate: uint, qp: uint, keyframeInterval: uint, profile: HevcProfile, threads: uint },
  av1Cpu: { cpuUsed: uint, rateControl: RateControl, bitrate: uint, minQuantizer: uint, maxQuantizer: uint, keyframeInterval: uint, threads: uint },
} as const;

type Kind = keyof typeof kinds;
type ValueOf<F> = F extends 'uint' ? number : F extends 'bool' ? boolean : F extends 'string' ? string : F extends { fromName(name: string): infer V } ? V : never;
/** The constructor argument of a set: every field optional. */
export type PropsInit<K extends Kind> = { -readonly [F in keyof (typeof kinds)[K]]?: ValueOf<(typeof kinds)[K][F]> };

/** The fields of `init`, each read as its kind says; unknown fields are errors. */
function readFields(kind: Kind, init: unknown): Record<string, unknown> {
  if (init === undefined) return {};
  if (init === null || typeof init !== 'object') throw argumentError('type', `${kind} properties must be an object`);
  const fields = kinds[kind] as Record<string, FieldKind>;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(init)) {
    const field = fields[name];
    if (field === undefined) {
      throw new ProjError(ErrorCode.INVALID_ARGUMENT, `${name} is not a field of ${kind} properties; its fields are ${Object.keys(fields).join(', ')}`);
    }
    if (value === undefined || value === null) continue;
    if (field === 'uint') out[name] = integerArgument(name, value, 0, 0xffff_ffff);
    else if (field === 'bool') {
      if (typeof value !== 'boolean') throw argumentError('type', `${name} must be a boolean`);
      out[name] = value;
    } else if (field === 'string') {
      if (typeof value !== 'string') throw argumentError('type', `${name} must be a string`);
      out[name] = value;
    } else out[name] = field.fromName(value as string);
  }
  return out;
}

/** What every property set shares: its fields, read-only, checked when built. */
abstract class Props<K extends Kind> {
  abstract readonly kind: K;
  /** @internal */
  protected constructor(kind: K, init: PropsInit<K> | undefined) {
    const fields = readFields(kind, init);
    call(() => native.checkEncoderProperties({ kind, ...fields }));
    Object.assign(this, fields);
  }
  /** The set's fields that are set, as a plain object. */
  toJSON(): PropsInit<K> {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(kinds[this.kind])) {
      const value = (this as Record<string, unknown>)[name];
      if (value !== undefined) out[name] = value;
    }
    return out as PropsInit<K>;
  }
  /** A set with the same fields (sets are immutable; kept for the seed). */
  copy(): this {
    return Object.freeze(Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this));
  }
  /** @internal */
  toNative(): native.EncoderProperties {
    return { kind: this.kind, ...this.toJSON() } as native.EncoderProperties;
  }
}

// Each class's fields come from `PropsInit` (declaration merging).
/* eslint-disable @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging */
export interface H264DgpuProps extends Readonly<PropsInit<'h264Dgpu'>> {}
/** NVENC H.264 (`nvv4l2h264enc` on DeepStream's dGPUs): bitrate in bit/s,
 * `qpRange` `"MinQpP,MaxQpP:MinQpI,MaxQpI:MinQpB,MaxQpB"`, `constQp` and
 * `initQp` `"I:P:B"`, `cq` 0–51, `aq` 0–15. */
export class H264DgpuProps extends Props<'h264Dgpu'> {
  readonly kind = 'h264Dgpu';
  constructor(init?: PropsInit<'h264Dgpu'>) {
    super('h264Dgpu', init);
    Object.freeze(this);
  }
}
export interface HevcDgpuProps extends Readonly<PropsInit<'hevcDgpu'>> {}
export class HevcDgpuProps extends Props<'hevcDgpu'> {
  readonly kind = 'hevcDgpu';
  constructor(init?: PropsInit<'hevcDgpu'>) {
    super('hevcDgpu', init);
    Object.freeze(this);
  }
}
export interface Av1DgpuProps extends Readonly<PropsInit<'av1Dgpu'>> {}
export class Av1DgpuProps extends Props<'av1Dgpu'> {
  readonly kind = 'av1Dgpu';
  constructor(init?: PropsInit<'av1Dgpu'>) {
    super('av1Dgpu', init);
    Object.freeze(this);
  }
}
export interface H264JetsonProps extends Readonly<PropsInit<'h264Jetson'>> {}
/** Jetson H.264 (`nvv4l2h264enc`): no constant-QP mode (set
 * `ratecontrolEnable: false` and `quantIFrames`/`quantPFrames`). */
export class H264JetsonProps extends Props<'h264Jetson'> {
  readonly kind = 'h264Jetson';
  constructor(init?: PropsInit<'h264Jetson'>) {
    super('h264Jetson', init);
    Object.freeze(this);
  }
}
export interface HevcJetsonProps extends Readonly<PropsInit<'hevcJetson'>> {}
export class HevcJetsonProps extends Props<'hevcJetson'> {
  readonly kind = 'hevcJetson';
  constructor(init?: PropsInit<'hevcJetson'>) {
    super('hevcJetson', init);
    Object.freeze(this);
  }
}
export interface Av1JetsonProps extends Readonly<PropsInit<'av1Jetson'>> {}
/** Jetson AV1: `tiles` `"Log2Rows,Log2Cols"`. */
export class Av1JetsonProps extends Props<'av1Jetson'> {
  readonly kind = 'av1Jetson';
  constructor(init?: PropsInit<'av1Jetson'>) {
    super('av1Jetson', init);
    Object.freeze(this);
  }
}
export interface JpegProps extends Readonly<PropsInit<'jpeg'>> {}
/** JPEG: `quality` 0–100 (default 85). */
export class JpegProps extends Props<'jpeg'> {
  readonly kind = 'jpeg';
  constructor(init?: PropsInit<'jpeg'>) {
    super('jpeg', init);
    Object.freeze(this);
  }
}
export interface PngProps extends Readonly<PropsInit<'png'>> {}
/** PNG: `compressionLevel` 0–9 (default 6). */
export class PngProps extends Props<'png'> {
  readonly kind = 'png';
  constructor(init?: PropsInit<'png'>) {
    super('png', init);
    Object.freeze(this);
  }
}
export interface H264CpuProps extends Readonly<PropsInit<'h264Cpu'>> {}
/** Ours, for users who target the CPU on purpose (x264): `preset`,
 * `rateControl` (constant bitrate by default; variable = quality `qp` as CRF
 * capped at `bitrate`; constant QP = `qp`), `bitrate` bit/s,
 * `keyframeInterval`, `profile`, `threads` (0 = automatic), `openh264`
 * (Cisco's BSD-licensed encoder instead of the GPL x264: constrained
 * baseline). B-frames stay off and no frame is held. */
export class H264CpuProps extends Props<'h264Cpu'> {
  readonly kind = 'h264Cpu';
  constructor(init?: PropsInit<'h264Cpu'>) {
    super('h264Cpu', init);
    Object.freeze(this);
  }
}
export interface HevcCpuProps extends Readonly<PropsInit<'hevcCpu'>> {}
/** Ours for the CPU (x265), as `H264CpuProps`. */
export class HevcCpuProps extends Props<'hevcCpu'> {
  readonly kind = 'hevcCpu';
  constructor(init?: PropsInit<'hevcCpu'>) {
    super('hevcCpu', init);
    Object.freeze(this);
  }
}
export interface Av1CpuProps extends Readonly<PropsInit<'av1Cpu'>> {}
/** Ours for the CPU (libaom): `cpuUsed` 0 (slowest)–10, quantizers 0–63. */
export class Av1CpuProps extends Props<'av1Cpu'> {
  readonly kind = 'av1Cpu';
  constructor(init?: PropsInit<'av1Cpu'>) {
    super('av1Cpu', init);
    Object.freeze(this);
  }
}
/* eslint-enable @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging */

type AnyProps =
  | H264DgpuProps
  | HevcDgpuProps
  | Av1DgpuProps
  | H264JetsonProps
  | HevcJetsonProps
  | Av1JetsonProps
  | JpegProps
  | PngProps
  | H264CpuProps
  | HevcCpuProps
  | Av1CpuProps;

const codecOfKind: Record<Kind, Codec> = {
  h264Dgpu: Codec.H264,
  hevcDgpu: Codec.HEVC,
  av1Dgpu: Codec.AV1,
  h264Jetson: Codec.H264,
  hevcJetson: Codec.HEVC,
  av1Jetson: Codec.AV1,
  jpeg: Codec.JPEG,
  png: Codec.PNG,
  h264Cpu: Codec.H264,
  hevcCpu: Codec.HEVC,
  av1Cpu: Codec.AV1,
};

/** One property set, made by a factory per codec and platform. */
export class EncoderProperties {
  private constructor(readonly props: AnyProps) {}

  private static of<C extends abstract new (...args: never[]) => AnyProps>(type: C, props: InstanceType<C>, name: string): EncoderProperties {
    if (!((props as object) instanceof type)) throw argumentError('type', `EncoderProperties.${name} takes a ${type.name}`);
    return new EncoderProperties(props);
  }
  static h264Dgpu(props: H264DgpuProps): EncoderProperties {
    return EncoderProperties.of(H264DgpuProps, props, 'h264Dgpu');
  }
  static hevcDgpu(props: HevcDgpuProps): EncoderProperties {
    return EncoderProperties.of(HevcDgpuProps, props, 'hevcDgpu');
  }
  static av1Dgpu(props: Av1DgpuProps): EncoderProperties {
    return EncoderProperties.of(Av1DgpuProps, props, 'av1Dgpu');
  }
  static h264Jetson(props: H264JetsonProps): EncoderProperties {
    return EncoderProperties.of(H264JetsonProps, props, 'h264Jetson');
  }
  static hevcJetson(props: HevcJetsonProps): EncoderProperties {
    return EncoderProperties.of(HevcJetsonProps, props, 'hevcJetson');
  }
  static av1Jetson(props: Av1JetsonProps): EncoderProperties {
    return EncoderProperties.of(Av1JetsonProps, props, 'av1Jetson');
  }
  static jpeg(props: JpegProps = new JpegProps()): EncoderProperties {
    return EncoderProperties.of(JpegProps, props, 'jpeg');
  }
  /** PNG (CPU: gst-plugins-good's pngenc, on every platform). */
  static png(props: PngProps = new PngProps()): EncoderProperties {
    return EncoderProperties.of(PngProps, props, 'png');
  }
  static h264Cpu(props: H264CpuProps = new H264CpuProps()): EncoderProperties {
    return EncoderProperties.of(H264CpuProps, props, 'h264Cpu');
  }
  static hevcCpu(props: HevcCpuProps = new HevcCpuProps()): EncoderProperties {
    return EncoderProperties.of(HevcCpuProps, props, 'hevcCpu');
  }
  static av1Cpu(props: Av1CpuProps = new Av1CpuProps()): EncoderProperties {
    return EncoderProperties.of(Av1CpuProps, props, 'av1Cpu');
  }

  get kind(): Kind {
    return this.props.kind;
  }
  get codec(): Codec {
    return codecOfKind[this.props.kind];
  }
  /** The hardware the set is written for; null for JPEG, PNG and the CPU sets. */
  get platform(): 'dgpu' | 'jetson' | null {
    return this.kind.endsWith('Dgpu') ? 'dgpu' : this.kind.endsWith('Jetson') ? 'jetson' : null;
  }
}

/** How the CPU would encode a config: the element, its properties, the
 * profile asked of it, and the fields of the set it cannot honour. */
export type CpuEncoderPlan = native.CpuEncoderPlan;

interface Settings {
  codec: Codec;
  width: number;
  height: number;
  format: VideoFormat;
  fpsNum: number;
  fpsDen: number;
  gpuId: number;
  memType: MemType;
  properties: EncoderProperties | null;
}

/** What to encode: `new EncoderConfig(codec, width, height)` and the
 * builders `format(f)` (RGBA, NV12 — the default, RGBA for PNG — or I420), `fps(num,
 * den)`, `gpuId(id)`, `memType(mt)`, `properties(p)`, each returning a new
 * config checked whole (sizes, 4:2:0 needing even sides, a set of this
 * codec and platform, every field in range). */
export class EncoderConfig {
  readonly #s: Settings;

  constructor(codec: Codec | string, width: number, height: number, settings?: Settings) {
    this.#s = settings ?? {
      codec: Codec.fromName(codec),
      width: integerArgument('width', width, 1, 0xffff_ffff),
      height: integerArgument('height', height, 1, 0xffff_ffff),
      format: Codec.fromName(codec) === Codec.PNG ? VideoFormat.RGBA : VideoFormat.NV12,
      fpsNum: 30,
      fpsDen: 1,
      gpuId: 0,
      memType: MemType.DEFAULT,
      properties: null,
    };
    this.cpuPlan(); // checks the whole config now
    Object.freeze(this);
  }

  #with(change: Partial<Settings>): EncoderConfig {
    const s = { ...this.#s, ...change };
    return new EncoderConfig(s.codec, s.width, s.height, s);
  }
  format(format: VideoFormat | string): EncoderConfig {
    return this.#with({ format: VideoFormat.fromName(format) });
  }
  fps(num: number, den: number): EncoderConfig {
    return this.#with({ fpsNum: integerArgument('fps numerator', num, 1, 0xffff_ffff), fpsDen: integerArgument('fps denominator', den, 1, 0xffff_ffff) });
  }
  gpuId(id: number): EncoderConfig {
    return this.#with({ gpuId: integerArgument('gpuId', id, 0, 1023) });
  }
  memType(memType: MemType | string): EncoderConfig {
    return this.#with({ memType: MemType.fromName(memType) });
  }
  properties(properties: EncoderProperties): EncoderConfig {
    if (!(properties instanceof EncoderProperties)) throw argumentError('type', 'properties takes an EncoderProperties (EncoderProperties.h264Dgpu(…) etc.)');
    return this.#with({ properties });
  }

  get codec(): Codec {
    return this.#s.codec;
  }
  get width(): number {
    return this.#s.width;
  }
  get height(): number {
    return this.#s.height;
  }
  get fpsNum(): number {
    return this.#s.fpsNum;
  }
  get fpsDen(): number {
    return this.#s.fpsDen;
  }
  /** The property set, or null (the encoder's defaults). */
  get encoderParams(): EncoderProperties | null {
    return this.#s.properties;
  }
  /** Every setting, as a plain object. */
  get settings(): Readonly<Settings> {
    return { ...this.#s };
  }
  /** How the CPU would encode this config (the element, its properties and
   * the fields it cannot honour): what runs where NVENC is missing. */
  cpuPlan(): CpuEncoderPlan {
    return call(() => native.cpuEncoderPlan(this.toNative()));
  }
  /** @internal */
  toNative(): native.EncoderConfig {
    const s = this.#s;
    return {
      codec: s.codec,
      width: s.width,
      height: s.height,
      format: s.format,
      fpsNum: s.fpsNum,
      fpsDen: s.fpsDen,
      gpuId: s.gpuId,
      memType: s.memType,
      properties: s.properties?.props.toNative(),
    };
  }
}
