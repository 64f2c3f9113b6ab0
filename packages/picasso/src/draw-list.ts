// A canvas-like draw list (the reference's on_render Skia canvas, as data)
// executed natively by the same renderer that draws objects, and Canvas,
// a standalone list of a given size that renders into a SharedBuffer.
import * as native from '@proj/native';
import { argumentError, native as call } from '@proj/gstreamer/internal';
import { nativeConfig, type SharedBuffer, type TransformConfig } from '@proj/deepstream';
import { ColorDraw, type Rgba } from './draw-spec.js';

/** A colour as a `ColorDraw` or `[r, g, b, a]` (0–255 each). */
export type Color = ColorDraw | Rgba;

/** Opcodes of the command stream (kept in step with `crates/proj_draw/src/ops.rs`). */
const Op = { SAVE: 0, RESTORE: 1, TRANSLATE: 2, ROTATE: 3, SCALE: 4, RECT: 10, LINE: 11, POLY: 12, CIRCLE: 13, TEXT: 14, IMAGE: 15, BLUR: 16 } as const;

function packed(name: string, color: Color | null | undefined): number {
  if (color == null) return 0;
  const rgba = color instanceof ColorDraw ? color.rgba : color;
  if (!Array.isArray(rgba) || rgba.length !== 4 || !rgba.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
    throw argumentError('type', `${name} must be a ColorDraw or [r, g, b, a] of integers 0–255`);
  }
  const [r, g, b, a] = rgba as Rgba;
  return ((r * 256 + g) * 256 + b) * 256 + a;
}

function num(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw argumentError('type', `${name} must be a number, got ${String(value)}`);
  return value;
}

/** How a shape is painted: a fill, a stroke, or both. */
export interface PaintOptions {
  fill?: Color | null;
  stroke?: Color | null;
  /** Stroke width in pixels (default 1), centred on the outline. */
  width?: number;
}

export interface TextOptions {
  /** Font size in pixels (default 12). */
  size?: number;
  /** Default white. */
  color?: Color;
  background?: Color | null;
  /** Pixels between the background's edge and the text (default 0). */
  padding?: number;
}

/** Records drawing commands. Coordinates are pixels; `rotate` takes
 * degrees, clockwise on screen. Text is drawn upright at its transformed
 * position, sized by the transform's scale. */
export class DrawList {
  #commands: number[] = [];
  #strings: string[] = [];
  #images: native.DrawImageInit[] = [];
  #depth = 0;

  /** Commands recorded so far. */
  get length(): number {
    return this.#commands.length;
  }

  clear(): this {
    this.#commands = [];
    this.#strings = [];
    this.#images = [];
    this.#depth = 0;
    return this;
  }

  save(): this {
    this.#depth++;
    this.#commands.push(Op.SAVE);
    return this;
  }
  restore(): this {
    if (this.#depth === 0) throw argumentError('range', 'restore() without a matching save()');
    this.#depth--;
    this.#commands.push(Op.RESTORE);
    return this;
  }
  translate(x: number, y: number): this {
    this.#commands.push(Op.TRANSLATE, num('x', x), num('y', y));
    return this;
  }
  rotate(degrees: number): this {
    this.#commands.push(Op.ROTATE, num('degrees', degrees));
    return this;
  }
  scale(sx: number, sy: number = sx): this {
    this.#commands.push(Op.SCALE, num('sx', sx), num('sy', sy));
    return this;
  }

  #paint(paint: PaintOptions | undefined): [number, number, number] {
    if (paint === undefined || paint === null || typeof paint !== 'object') throw argumentError('type', 'a paint options object is required');
    return [packed('fill', paint.fill), packed('stroke', paint.stroke), num('width', paint.width ?? 1)];
  }

  rect(x: number, y: number, w: number, h: number, paint: PaintOptions): this {
    this.#commands.push(Op.RECT, num('x', x), num('y', y), num('w', w), num('h', h), ...this.#paint(paint));
    return this;
  }
  fillRect(x: number, y: number, w: number, h: number, color: Color): this {
    return this.rect(x, y, w, h, { fill: color });
  }
  strokeRect(x: number, y: number, w: number, h: number, color: Color, width = 1): this {
    return this.rect(x, y, w, h, { stroke: color, width });
  }
  line(x0: number, y0: number, x1: number, y1: number, color: Color, width = 1): this {
    this.#commands.push(Op.LINE, num('x0', x0), num('y0', y0), num('x1', x1), num('y1', y1), packed('color', color), num('width', width));
    return this;
  }
  #poly(points: readonly (readonly [number, number])[], closed: boolean, paint: PaintOptions): this {
    if (!Array.isArray(points)) throw argumentError('type', 'points must be an array of [x, y]');
    const flat: number[] = [];
    for (const p of points) {
      if (!Array.isArray(p) || p.length !== 2) throw argumentError('type', 'each point must be [x, y]');
      flat.push(num('x', p[0]), num('y', p[1]));
    }
    this.#commands.push(Op.POLY, points.length, closed ? 1 : 0, ...this.#paint(paint), ...flat);
    return this;
  }
  polyline(points: readonly (readonly [number, number])[], color: Color, width = 1): this {
    return this.#poly(points, false, { stroke: color, width });
  }
  polygon(points: readonly (readonly [number, number])[], paint: PaintOptions): this {
    return this.#poly(points, true, paint);
  }
  circle(cx: number, cy: number, r: number, paint: PaintOptions): this {
    this.#commands.push(Op.CIRCLE, num('cx', cx), num('cy', cy), num('r', r), ...this.#paint(paint));
    return this;
  }
  /** Lines of `text` (split at `\n`) in a block whose top-left is (x, y),
   * laid out as labels are: baseline at top + padding + size, line height
   * 1.25 × size, background behind the padded block. */
  text(text: string, x: number, y: number, options: TextOptions = {}): this {
    if (typeof text !== 'string') throw argumentError('type', 'text must be a string');
    const size = num('size', options.size ?? 12);
    this.#strings.push(text);
    this.#commands.push(
      Op.TEXT,
      num('x', x),
      num('y', y),
      size,
      packed('color', options.color ?? [255, 255, 255, 255]),
      packed('background', options.background),
      num('padding', options.padding ?? 0),
      this.#strings.length - 1,
    );
    return this;
  }
  /** An RGBA image (straight alpha, `width × height × 4` bytes) drawn into
   * the rectangle at (x, y), of its own size unless `w`/`h` say otherwise,
   * bilinear. */
  image(rgba: Uint8Array, width: number, height: number, x: number, y: number, size: { w?: number; h?: number } = {}): this {
    if (!(rgba instanceof Uint8Array)) throw argumentError('type', 'rgba must be a Uint8Array');
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || rgba.length !== width * height * 4) {
      throw argumentError('range', `an image of ${width}×${height} needs ${width * height * 4} bytes, got ${rgba.length}`);
    }
    this.#images.push({ width, height, data: rgba });
    this.#commands.push(Op.IMAGE, num('x', x), num('y', y), num('w', size.w ?? width), num('h', size.h ?? height), this.#images.length - 1);
    return this;
  }
  /** Blurs what is already drawn under the rectangle (Gaussian-like,
   * edges clamped to the rectangle); `sigma` defaults to the objects'
   * rule, clamp(0.1 × min(w, h), 2, 40). */
  blur(x: number, y: number, w: number, h: number, options: { sigma?: number } = {}): this {
    this.#commands.push(Op.BLUR, num('x', x), num('y', y), num('w', w), num('h', h), num('sigma', options.sigma ?? 0));
    return this;
  }

  /** @internal */
  toNative(): native.DrawListInit {
    return { commands: Float64Array.from(this.#commands), strings: [...this.#strings], images: [...this.#images] };
  }
}

export interface RenderOptions {
  /** A family `registerFont` knows (default the built-in DejaVu Sans). */
  fontFamily?: string;
  /** The buffer's slot (default 0). */
  slot?: number;
}

/** A transparent picture of a given size to draw on, then render into a
 * buffer (copied 1:1, or scaled and letterboxed by a transform config:
 * `SkiaContext.render_to_nvbuf`'s job) or read back as RGBA. Its pixels
 * are premultiplied, as Skia's surface holds them. */
export class Canvas extends DrawList {
  readonly width: number;
  readonly height: number;

  constructor(width: number, height: number) {
    super();
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 32768) throw argumentError('range', `${name} must be an integer from 1 to 32768, got ${v}`);
    }
    this.width = width;
    this.height = height;
  }

  /** The drawn picture as RGBA bytes (premultiplied). */
  async toRGBA(options: Omit<RenderOptions, 'slot'> = {}): Promise<Uint8Array> {
    const list = this.toNative();
    return await call(() => native.rasterizeCanvas(this.width, this.height, list, options));
  }

  /** Draws the canvas into the buffer's picture (RGBA or BGRx), replacing
   * it: 1:1 when the sizes match and no config is given, else scaled and
   * letterboxed by `config`. */
  async renderTo(buffer: SharedBuffer, config?: TransformConfig, options: RenderOptions = {}): Promise<void> {
    const list = this.toNative();
    await call(() => native.renderCanvas(this.width, this.height, list, buffer.native, nativeConfig(config), options));
  }
}

/** The seed's `SkiaContext(width, height, gpu_id)`: a Canvas with the
 * seed's `renderToNvbuf(buffer, config)`. */
export class SkiaContext extends Canvas {
  readonly gpuId: number;

  constructor(width: number, height: number, gpuId = 0) {
    super(width, height);
    if (!Number.isInteger(gpuId) || gpuId < 0) throw argumentError('range', `gpuId must be an integer ≥ 0, got ${gpuId}`);
    this.gpuId = gpuId;
  }

  renderToNvbuf(buffer: SharedBuffer, config?: TransformConfig): Promise<void> {
    return this.renderTo(buffer, config);
  }
}
