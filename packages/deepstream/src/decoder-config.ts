import type * as native from '@proj/native';
import { argumentError, type EnumValue, integerArgument, makeEnum, optionalOf } from '@proj/gstreamer/internal';

import type { MemType } from './enums.js';
import type { VideoFrame } from './video-frame.js';

/** How H.264 access units are framed (`byte_stream` = Annex-B). */
export const H264StreamFormat = makeEnum('h264StreamFormat', { AVC: 'avc', AVC3: 'avc3', BYTE_STREAM: 'byte_stream' } as const);
export type H264StreamFormat = EnumValue<typeof H264StreamFormat>;

/** How HEVC access units are framed (`byte_stream` = Annex-B). */
export const HevcStreamFormat = makeEnum('hevcStreamFormat', { BYTE_STREAM: 'byte_stream', HEV1: 'hev1', HVC1: 'hvc1' } as const);
export type HevcStreamFormat = EnumValue<typeof HevcStreamFormat>;

/** Where JPEG is decoded. */
export const JpegBackend = makeEnum('jpegBackend', { CPU: 'cpu', GPU: 'gpu' } as const);
export type JpegBackend = EnumValue<typeof JpegBackend>;

/** Memory NVDEC decodes into (DeepStream's `cudadec-memtype`). */
export const CudadecMemtype = makeEnum('cudadecMemtype', { DEVICE: 'device', PINNED: 'pinned', UNIFIED: 'unified' } as const);
export type CudadecMemtype = EnumValue<typeof CudadecMemtype>;

/** Hardware-decoder tuning shared by H.264, HEVC, VP8, VP9 and AV1
 * configs (DeepStream's `nvv4l2decoder` property names). Applied where the
 * decoder element has the property; `lowLatencyMode` also sets
 * `max-display-delay=0` on GStreamer ≥ 1.24's NVDEC elements. GStreamer
 * 1.22's NVDEC elements and the software decoders have none of them, so
 * there they are hints that change nothing. */
abstract class HardwareDecoderConfig {
  cudadecMemtype: CudadecMemtype | null = null;
  dropFrameInterval: number | null = null;
  lowLatencyMode: boolean | null = null;
  numExtraSurfaces: number | null = null;

  protected copy(): this {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this);
  }
  withCudadecMemtype(value: CudadecMemtype): this {
    if (!Object.values(CudadecMemtype).includes(value)) throw argumentError('range', `cudadecMemtype must be one of ${Object.values(CudadecMemtype).join(', ')}`);
    return Object.assign(this.copy(), { cudadecMemtype: value });
  }
  withDropFrameInterval(value: number): this {
    return Object.assign(this.copy(), { dropFrameInterval: integerArgument('dropFrameInterval', value, 0, 2 ** 32 - 1) });
  }
  withLowLatencyMode(value: boolean): this {
    return Object.assign(this.copy(), { lowLatencyMode: Boolean(value) });
  }
  withNumExtraSurfaces(value: number): this {
    return Object.assign(this.copy(), { numExtraSurfaces: integerArgument('numExtraSurfaces', value, 0, 2 ** 32 - 1) });
  }
  /** @internal */
  hardware(): Pick<native.DecoderConfig, 'cudadecMemtype' | 'dropFrameInterval' | 'lowLatencyMode' | 'numExtraSurfaces'> {
    return {
      cudadecMemtype: this.cudadecMemtype ?? undefined,
      dropFrameInterval: this.dropFrameInterval ?? undefined,
      lowLatencyMode: this.lowLatencyMode ?? undefined,
      numExtraSurfaces: this.numExtraSurfaces ?? undefined,
    };
  }
}

export class H264DecoderConfig extends HardwareDecoderConfig {
  /** The framing is found from the stream itself (and `codec_data` built
   * for length-prefixed streams); this only picks `avc` vs `avc3` caps. */
  constructor(readonly streamFormat: H264StreamFormat = H264StreamFormat.BYTE_STREAM) {
    super();
  }
}
export class HevcDecoderConfig extends HardwareDecoderConfig {
  constructor(readonly streamFormat: HevcStreamFormat = HevcStreamFormat.BYTE_STREAM) {
    super();
  }
}
export class Vp8DecoderConfig extends HardwareDecoderConfig {}
export class Vp9DecoderConfig extends HardwareDecoderConfig {}
export class Av1DecoderConfig extends HardwareDecoderConfig {}

export class JpegDecoderConfig {
  private constructor(readonly backend: JpegBackend) {}
  static gpu(): JpegDecoderConfig {
    return new JpegDecoderConfig(JpegBackend.GPU);
  }
  static cpu(): JpegDecoderConfig {
    return new JpegDecoderConfig(JpegBackend.CPU);
  }
}
/** PNG decoding has nothing to tune. */
export class PngDecoderConfig {}
export class RawRgbDecoderConfig {
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}
}
export class RawRgbaDecoderConfig {
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}
}

type Inner =
  | H264DecoderConfig
  | HevcDecoderConfig
  | Vp8DecoderConfig
  | Vp9DecoderConfig
  | Av1DecoderConfig
  | JpegDecoderConfig
  | PngDecoderConfig
  | RawRgbDecoderConfig
  | RawRgbaDecoderConfig;

/** One session's decoder config: the per-codec config and its codec. The
 * decoder-config callback gets the default one and returns it, changed or
 * not. */
export class DecoderConfig {
  private constructor(
    readonly codec: string,
    private readonly inner: Inner,
  ) {}

  static fromH264(cfg: H264DecoderConfig): DecoderConfig {
    return new DecoderConfig('h264', cfg);
  }
  static fromHevc(cfg: HevcDecoderConfig): DecoderConfig {
    return new DecoderConfig('hevc', cfg);
  }
  static fromVp8(cfg: Vp8DecoderConfig): DecoderConfig {
    return new DecoderConfig('vp8', cfg);
  }
  static fromVp9(cfg: Vp9DecoderConfig): DecoderConfig {
    return new DecoderConfig('vp9', cfg);
  }
  static fromAv1(cfg: Av1DecoderConfig): DecoderConfig {
    return new DecoderConfig('av1', cfg);
  }
  static fromJpeg(cfg: JpegDecoderConfig): DecoderConfig {
    return new DecoderConfig('jpeg', cfg);
  }
  static fromPng(cfg: PngDecoderConfig): DecoderConfig {
    return new DecoderConfig('png', cfg);
  }
  static fromRawRgb(cfg: RawRgbDecoderConfig): DecoderConfig {
    return new DecoderConfig('raw_rgb', cfg);
  }
  static fromRawRgba(cfg: RawRgbaDecoderConfig): DecoderConfig {
    return new DecoderConfig('raw_rgba', cfg);
  }

  // `from…` pair each codec with its config class, so the codec says the type.
  #as<T extends Inner>(codec: string): T | null {
    return this.codec === codec ? (this.inner as T) : null;
  }
  asH264(): H264DecoderConfig | null {
    return this.#as<H264DecoderConfig>('h264');
  }
  asHevc(): HevcDecoderConfig | null {
    return this.#as<HevcDecoderConfig>('hevc');
  }
  asVp8(): Vp8DecoderConfig | null {
    return this.#as<Vp8DecoderConfig>('vp8');
  }
  asVp9(): Vp9DecoderConfig | null {
    return this.#as<Vp9DecoderConfig>('vp9');
  }
  asAv1(): Av1DecoderConfig | null {
    return this.#as<Av1DecoderConfig>('av1');
  }
  asJpeg(): JpegDecoderConfig | null {
    return this.#as<JpegDecoderConfig>('jpeg');
  }
  asPng(): PngDecoderConfig | null {
    return this.#as<PngDecoderConfig>('png');
  }
  asRawRgb(): RawRgbDecoderConfig | null {
    return this.#as<RawRgbDecoderConfig>('raw_rgb');
  }
  asRawRgba(): RawRgbaDecoderConfig | null {
    return this.#as<RawRgbaDecoderConfig>('raw_rgba');
  }
  withH264(cfg: H264DecoderConfig): DecoderConfig {
    return DecoderConfig.fromH264(cfg);
  }
  withHevc(cfg: HevcDecoderConfig): DecoderConfig {
    return DecoderConfig.fromHevc(cfg);
  }
  withVp8(cfg: Vp8DecoderConfig): DecoderConfig {
    return DecoderConfig.fromVp8(cfg);
  }
  withVp9(cfg: Vp9DecoderConfig): DecoderConfig {
    return DecoderConfig.fromVp9(cfg);
  }
  withAv1(cfg: Av1DecoderConfig): DecoderConfig {
    return DecoderConfig.fromAv1(cfg);
  }
  withJpeg(cfg: JpegDecoderConfig): DecoderConfig {
    return DecoderConfig.fromJpeg(cfg);
  }
  withPng(cfg: PngDecoderConfig): DecoderConfig {
    return DecoderConfig.fromPng(cfg);
  }
  withRawRgb(cfg: RawRgbDecoderConfig): DecoderConfig {
    return DecoderConfig.fromRawRgb(cfg);
  }
  withRawRgba(cfg: RawRgbaDecoderConfig): DecoderConfig {
    return DecoderConfig.fromRawRgba(cfg);
  }

  /** @internal */
  toNative(): native.DecoderConfig {
    const c = this.inner;
    if (c instanceof H264DecoderConfig || c instanceof HevcDecoderConfig) return { codec: this.codec, streamFormat: c.streamFormat, ...c.hardware() };
    if (c instanceof HardwareDecoderConfig) return { codec: this.codec, ...c.hardware() };
    if (c instanceof JpegDecoderConfig) return { codec: this.codec, backend: c.backend };
    if (c instanceof RawRgbDecoderConfig || c instanceof RawRgbaDecoderConfig) return { codec: this.codec, width: c.width, height: c.height };
    return { codec: this.codec };
  }

  /** @internal */
  static fromNative(js: native.DecoderConfig): DecoderConfig {
    const hardware = <T extends HardwareDecoderConfig>(c: T): T =>
      Object.assign(c, {
        cudadecMemtype: (js.cudadecMemtype as CudadecMemtype | undefined) ?? null,
        dropFrameInterval: js.dropFrameInterval ?? null,
        lowLatencyMode: js.lowLatencyMode ?? null,
        numExtraSurfaces: js.numExtraSurfaces ?? null,
      });
    switch (js.codec) {
      case 'h264':
        return DecoderConfig.fromH264(hardware(new H264DecoderConfig((js.streamFormat as H264StreamFormat | undefined) ?? 'byte_stream')));
      case 'hevc':
        return DecoderConfig.fromHevc(hardware(new HevcDecoderConfig((js.streamFormat as HevcStreamFormat | undefined) ?? 'byte_stream')));
      case 'vp8':
        return DecoderConfig.fromVp8(hardware(new Vp8DecoderConfig()));
      case 'vp9':
        return DecoderConfig.fromVp9(hardware(new Vp9DecoderConfig()));
      case 'av1':
        return DecoderConfig.fromAv1(hardware(new Av1DecoderConfig()));
      case 'jpeg':
        return DecoderConfig.fromJpeg(js.backend === 'cpu' ? JpegDecoderConfig.cpu() : JpegDecoderConfig.gpu());
      case 'raw_rgb':
        return DecoderConfig.fromRawRgb(new RawRgbDecoderConfig(js.width ?? 0, js.height ?? 0));
      case 'raw_rgba':
        return DecoderConfig.fromRawRgba(new RawRgbaDecoderConfig(js.width ?? 0, js.height ?? 0));
      default:
        return DecoderConfig.fromPng(new PngDecoderConfig());
    }
  }
}

/** `(defaultConfig, frame) => config`, called when a decoder session starts
 * (first frame, and every codec or size change). A throw or a config of
 * another codec keeps the default. */
export type DecoderConfigCallback = (config: DecoderConfig, frame: VideoFrame) => DecoderConfig;

interface Settings {
  gpuId: number;
  poolSize: number;
  memType: MemType | string | null;
  detectBufferLimit: number;
  idleTimeoutMs: number;
  decoderConfigCallback: DecoderConfigCallback | null;
}

abstract class Builder {
  protected constructor(protected readonly settings: Settings) {}
  get gpuId(): number {
    return this.settings.gpuId;
  }
  get poolSize(): number {
    return this.settings.poolSize;
  }
  get memType(): MemType | string | null {
    return this.settings.memType;
  }
  /** H.264/HEVC packets held while waiting for a random access point. */
  get detectBufferLimit(): number {
    return this.settings.detectBufferLimit;
  }
  /** How long a drain waits without progress before giving up. */
  get idleTimeoutMs(): number {
    return this.settings.idleTimeoutMs;
  }
  get decoderConfigCallback(): DecoderConfigCallback | null {
    return this.settings.decoderConfigCallback;
  }
  protected abstract with(change: Partial<Settings>): this;
  withDetectBufferLimit(n: number): this {
    return this.with({ detectBufferLimit: integerArgument('detectBufferLimit', n, 0, 2 ** 32 - 1) });
  }
  withIdleTimeoutMs(ms: number): this {
    return this.with({ idleTimeoutMs: integerArgument('idleTimeoutMs', ms, 0, 2 ** 32 - 1) });
  }
  withDecoderConfigCallback(cb: DecoderConfigCallback): this {
    if (typeof cb !== 'function') throw argumentError('type', 'the decoder config callback must be a function');
    return this.with({ decoderConfigCallback: cb });
  }
  /** Where decoded frames live (default: GPU memory where CUDA works,
   * system memory otherwise). */
  withMemType(memType: MemType | string): this {
    if (typeof memType !== 'string') throw argumentError('type', `memType must be a string, got ${typeof memType}`);
    return this.with({ memType });
  }
}

function settings(gpuId: number, poolSize: number): Settings {
  return {
    gpuId: integerArgument('gpuId', gpuId, 0, 2 ** 31 - 1),
    poolSize: integerArgument('poolSize', poolSize, 1, 1024),
    memType: null,
    detectBufferLimit: 30,
    idleTimeoutMs: 1000,
    decoderConfigCallback: null,
  };
}

/** Configuration of a `FlexibleDecoder`. Immutable: `with…` return copies. */
export class FlexibleDecoderConfig extends Builder {
  constructor(
    readonly sourceId: string,
    gpuId = 0,
    poolSize = 4,
    base?: Settings,
  ) {
    if (typeof sourceId !== 'string' || sourceId === '') throw argumentError('type', 'sourceId must be a non-empty string');
    super(base ?? settings(gpuId, poolSize));
  }
  protected with(change: Partial<Settings>): this {
    return new FlexibleDecoderConfig(this.sourceId, 0, 1, { ...this.settings, ...change }) as this;
  }
  /** @internal */
  toNative(): native.FlexibleDecoderConfig {
    const s = this.settings;
    return { sourceId: this.sourceId, gpuId: s.gpuId, poolSize: s.poolSize, memType: optionalOf('memType', s.memType, 'string'), detectBufferLimit: s.detectBufferLimit, idleTimeoutMs: s.idleTimeoutMs };
  }
}

/** Configuration of a `FlexibleDecoderPool`; every per-source decoder gets
 * these settings. */
export class FlexibleDecoderPoolConfig extends Builder {
  readonly evictionTtlMs: number;
  /** Sources decoded at once at most (default 256): a frame of one more
   * source is skipped (`decoder_creation_failed`) until one ends. Each
   * costs its session's threads (about 3 per H.264 source on 2 cores) and
   * its output pool. */
  readonly maxSources: number;
  constructor(gpuId = 0, poolSize = 4, evictionTtlMs = 30_000, base?: Settings, maxSources = 256) {
    super(base ?? settings(gpuId, poolSize));
    this.evictionTtlMs = integerArgument('evictionTtlMs', evictionTtlMs, 1, 2 ** 32 - 1);
    this.maxSources = integerArgument('maxSources', maxSources, 1, 65_536);
  }
  protected with(change: Partial<Settings>): this {
    return new FlexibleDecoderPoolConfig(0, 1, this.evictionTtlMs, { ...this.settings, ...change }, this.maxSources) as this;
  }
  withMaxSources(maxSources: number): FlexibleDecoderPoolConfig {
    return new FlexibleDecoderPoolConfig(0, 1, this.evictionTtlMs, this.settings, maxSources);
  }
  /** @internal */
  toNative(): native.FlexibleDecoderPoolConfig {
    const s = this.settings;
    return {
      gpuId: s.gpuId,
      poolSize: s.poolSize,
      evictionTtlMs: this.evictionTtlMs,
      maxSources: this.maxSources,
      memType: optionalOf('memType', s.memType, 'string'),
      detectBufferLimit: s.detectBufferLimit,
      idleTimeoutMs: s.idleTimeoutMs,
    };
  }
}
