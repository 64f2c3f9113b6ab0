// One source's encoder and the pool of pictures it encodes from: frames
// are scaled and letterboxed into the pool's RGBA pictures (where they are
// drawn), submitted with an id, and matched to their output by it.
import { BufferGenerator, type EncodedFrame, Encoder, type EncoderConfig, type Rect, type SharedBuffer, type SurfaceInfo, type TransformConfig, VideoFormat, type VideoFrame } from '@proj/deepstream';

export interface Pending {
  frame: VideoFrame;
  /** `performance.now()` at `sendFrame` and at submission. */
  sentAt: number;
  submittedAt: number;
}

/** Pictures per source: one being drawn, one inside the encoder, one spare. */
const POOL_SIZE = 3;

export class EncodeStage {
  /** The config as the spec gave it (compared when a spec is swapped). */
  readonly config: EncoderConfig;
  readonly transform: TransformConfig;
  readonly #generator: BufferGenerator;
  readonly #encoder: Encoder;
  readonly #pending = new Map<bigint, Pending>();
  #nextId = 1n;
  /** Where the pool's pictures live, once one was made. */
  #memType: string | null = null;

  constructor(config: EncoderConfig, transform: TransformConfig, onOutput: (pending: Pending, encoded: EncodedFrame) => void) {
    this.config = config;
    this.transform = transform;
    const s = config.settings;
    // Drawing needs RGBA: the encoder takes the pictures as they are drawn.
    const rgba = s.format === VideoFormat.RGBA ? config : config.format(VideoFormat.RGBA);
    this.#generator = new BufferGenerator(VideoFormat.RGBA, s.width, s.height, {
      gpuId: s.gpuId,
      memType: s.memType,
      poolSize: POOL_SIZE,
      fpsNum: s.fpsNum,
      fpsDen: s.fpsDen,
    });
    this.#encoder = new Encoder(rgba, (encoded) => {
      const id = encoded.frameId;
      const pending = id === null ? undefined : this.#pending.get(id);
      if (pending === undefined || id === null) return;
      this.#pending.delete(id);
      onOutput(pending, encoded);
    });
  }

  get width(): number {
    return this.config.width;
  }
  get height(): number {
    return this.config.height;
  }
  /** Frames submitted and not out yet. */
  get pending(): number {
    return this.#pending.size;
  }
  get backend(): string {
    return this.#encoder.backend;
  }

  /** `src` (or `srcRect` of it) scaled and letterboxed into a picture of
   * the pool, off the JS thread. */
  async place(src: SharedBuffer, srcRect: Rect | undefined): Promise<SharedBuffer> {
    const picture = await this.#generator.transform(src, this.transform, srcRect === undefined ? {} : { srcRect });
    this.#memType ??= picture.surfaceInfo().memType;
    return picture;
  }

  /** Whether `src` can be drawn on and encoded as it is: the whole of an
   * RGBA picture of the encoder's size, where the pool's pictures live
   * (placing it would be a copy). */
  takesAsIs(src: SurfaceInfo, srcRect: Rect | undefined): boolean {
    return srcRect === undefined && src.width === this.width && src.height === this.height && src.format === VideoFormat.RGBA && src.memType === this.#memType;
  }

  /** Resolves once the encoder took the picture (and, for encoders that
   * hold no frame, once its output was handed out). */
  async submit(picture: SharedBuffer, pending: Pending, ptsNs: bigint, durationNs: bigint | null): Promise<void> {
    const id = this.#nextId++;
    this.#pending.set(id, pending);
    try {
      await this.#encoder.submit(picture, ptsNs, durationNs === null ? { frameId: id } : { frameId: id, durationNs });
    } catch (error) {
      this.#pending.delete(id);
      throw error;
    }
  }

  /** Encodes everything submitted out; returns the frames that never came
   * out (the encoder failed or timed out). */
  async finish(): Promise<Pending[]> {
    try {
      await this.#encoder.finish();
    } catch {
      await this.#encoder.shutdown().catch(() => {});
    }
    return this.#lose();
  }

  /** Stops at once; returns the frames inside the encoder. */
  async shutdown(): Promise<Pending[]> {
    await this.#encoder.shutdown().catch(() => {});
    return this.#lose();
  }

  #lose(): Pending[] {
    const lost = [...this.#pending.values()];
    this.#pending.clear();
    return lost;
  }
}
