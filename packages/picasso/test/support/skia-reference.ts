/**
 * The reference drawing: a {@link Scene} drawn with real Skia through
 * `@napi-rs/canvas`, following savant-rs picasso's `skia/{blur,bbox,dot,label,object}.rs`
 * rule by rule, plus the deterministic benchmark scenes and the picture helpers
 * (PNG, PSNR, difference picture) the golden tests use.
 *
 * Notes on `@napi-rs/canvas` that this file relies on (checked with 1.1.1):
 * - `ctx.filter = 'blur(Npx)'` is applied to `drawImage`; it becomes
 *   `SkImageFilters::Blur(N, N)` (the CSS length is Skia's sigma, not a radius)
 *   with Skia's default tile mode, decal: pixels outside the drawn image count
 *   as transparent. The reference blurs with `TileMode::Clamp`, so the source
 *   is padded with its own edge pixels before the decal blur (see `blurBox`).
 * - `ctx.clip()` is anti-aliased, like the reference's `clip_rect(.., true)`.
 * - `ctx.filter` is part of the saved state: `restore()` brings back `'none'`.
 * - Drawing may be recorded and replayed lazily; `getImageData` rasterises
 *   everything drawn so far, so the bytes it returns are final.
 * - Text uses the default `'portable'` renderer (FreeType, the same pixels on
 *   every OS) as long as the font is a registered one and `ctx.lang` is set.
 */
import { createCanvas, GlobalFonts, ImageData } from '@napi-rs/canvas';
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { backgroundPicture } from './scene.js';
import type { Rgba, Scene, SceneBox, SceneObject } from './scene.js';

const FONT_PATH = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const FONT_FAMILY = 'DejaVu Sans';
/** Rust's `f32::EPSILON`, the threshold the reference uses for "not rotated". */
const F32_EPSILON = 1.1920929e-7;
/**
 * Tolerance used when rounding a float rectangle out to whole pixels, as
 * Skia's image-filter code does (`kRoundEpsilon` in SkImageFilterTypes.cpp),
 * so that float noise such as 100.00001 does not grow the bounds by a pixel.
 */
const ROUND_EPSILON = 1e-3;

let fontRegistered = false;

/** Registers DejaVu Sans once per process. */
function ensureFont(): void {
  if (fontRegistered) return;
  const key = GlobalFonts.registerFromPath(FONT_PATH, FONT_FAMILY);
  if (key === null) throw new Error(`skia-reference: cannot register the font ${FONT_PATH}`);
  fontRegistered = true;
}

function fontFor(size: number): string {
  return `${size}px "${FONT_FAMILY}"`;
}

/** `[r, g, b, a]` in 0–255 as a CSS colour (napi-rs turns `a / 255` back into the same byte). */
function css(color: Rgba): string {
  return `rgba(${color[0]},${color[1]},${color[2]},${color[3] / 255})`;
}

function radians(degrees: number): number {
  return (degrees * Math.PI) / 180;
}

/** `object.rs`: the box to draw, the track box when asked for and present. */
function resolveBox(obj: SceneObject): SceneBox {
  return obj.draw.bboxSource === 'track' && obj.trackBox !== undefined ? obj.trackBox : obj.box;
}

/**
 * Draws `scene` with Skia and returns its pixels: RGBA, width × height × 4
 * bytes, row after row (from `getImageData`, which also forces rasterisation).
 */
export function drawSceneSkia(scene: Scene): Uint8Array {
  const { width, height } = scene;
  if (scene.background.length !== width * height * 4) {
    throw new Error(
      `skia-reference: background has ${scene.background.length} bytes, expected ${width * height * 4}`,
    );
  }
  ensureFont();
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.lang = 'en';
  ctx.putImageData(new ImageData(clampedView(scene.background), width, height), 0, 0);

  for (const obj of scene.objects) {
    drawObject(ctx, width, height, obj);
  }

  const data = ctx.getImageData(0, 0, width, height).data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** `object.rs`: blur first, then the box, the central dot and the label. */
function drawObject(ctx: SKRSContext2D, width: number, height: number, obj: SceneObject): void {
  const box = resolveBox(obj);
  const draw = obj.draw;
  if (draw.blur) blurBox(ctx, width, height, box);
  if (draw.boundingBox) drawBoundingBox(ctx, box, draw.boundingBox);
  if (draw.centralDot) drawCentralDot(ctx, box, draw.centralDot);
  if (draw.label && obj.lines.length > 0) drawLabel(ctx, box, obj.lines, draw.label);
}

/**
 * `blur.rs`: sigma = clamp(0.1 × min(w, h), 2, 40); save, translate to the
 * centre, rotate, clip to the box (anti-aliased), then a save_layer whose
 * backdrop is `image_filters::blur((σ, σ), TileMode::Clamp)` bounded by the
 * clip rect, restore.
 *
 * Canvas 2D has no backdrop layers, so: read the device pixels inside the
 * layer's device bounds (the rotated box's axis-aligned bounds, rounded out
 * and cut to the canvas), pad them by ceil(3σ) with copies of their edge
 * pixels (the clamp tile mode), and draw that back through a `blur(σpx)`
 * filter with the box clip in place. The padding is wider than Skia's blur
 * kernel, so the decal edges of the padded picture never reach the bounds.
 */
function blurBox(ctx: SKRSContext2D, width: number, height: number, box: SceneBox): void {
  const { xc, yc, width: w, height: h } = box;
  const angle = box.angle ?? 0;
  const rotated = Math.abs(angle) > F32_EPSILON;
  const sigma = Math.min(Math.max(0.1 * Math.min(w, h), 2), 40);

  // Device-space bounds of the box's corners.
  const cos = rotated ? Math.cos(radians(angle)) : 1;
  const sin = rotated ? Math.sin(radians(angle)) : 0;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [px, py] of [
    [-w / 2, -h / 2],
    [w / 2, -h / 2],
    [w / 2, h / 2],
    [-w / 2, h / 2],
  ] as const) {
    const x = xc + px * cos - py * sin;
    const y = yc + px * sin + py * cos;
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  const bx = Math.max(0, Math.floor(minX + ROUND_EPSILON));
  const by = Math.max(0, Math.floor(minY + ROUND_EPSILON));
  const bx1 = Math.min(width, Math.ceil(maxX - ROUND_EPSILON));
  const by1 = Math.min(height, Math.ceil(maxY - ROUND_EPSILON));
  const bw = bx1 - bx;
  const bh = by1 - by;
  if (bw <= 0 || bh <= 0) return;

  const pad = Math.ceil(3 * sigma);
  const backdrop = ctx.getImageData(bx, by, bw, bh).data;
  const padded = clampPad(backdrop, bw, bh, pad);

  ctx.save();
  ctx.translate(xc, yc);
  if (rotated) ctx.rotate(radians(angle));
  ctx.beginPath();
  ctx.rect(-w / 2, -h / 2, w, h);
  ctx.clip();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.filter = `blur(${sigma}px)`;
  ctx.drawImage(padded, bx - pad, by - pad);
  ctx.restore();
}

/** A canvas of (w + 2·pad) × (h + 2·pad) pixels: `rgba` in the middle, its edge pixels repeated outwards. */
function clampPad(rgba: Uint8ClampedArray, w: number, h: number, pad: number): Canvas {
  const pw = w + 2 * pad;
  const ph = h + 2 * pad;
  const src = new Uint32Array(rgba.buffer, rgba.byteOffset, w * h);
  const out = new Uint8ClampedArray(pw * ph * 4);
  const dst = new Uint32Array(out.buffer);
  for (let ty = 0; ty < ph; ty++) {
    const sy = Math.min(Math.max(ty - pad, 0), h - 1);
    const srcRow = sy * w;
    const dstRow = ty * pw;
    const first = src[srcRow] as number;
    const last = src[srcRow + w - 1] as number;
    dst.fill(first, dstRow, dstRow + pad);
    dst.set(src.subarray(srcRow, srcRow + w), dstRow + pad);
    dst.fill(last, dstRow + pad + w, dstRow + pw);
  }
  const canvas = createCanvas(pw, ph);
  canvas.getContext('2d').putImageData(new ImageData(out, pw, ph), 0, 0);
  return canvas;
}

/**
 * `bbox.rs`: in the box's rotated frame, the rect grown by the padding
 * [left, top, right, bottom]; the background filled when its alpha > 0, the
 * border stroked (miter joins, Skia's default) when its alpha > 0 and the
 * thickness > 0.
 */
function drawBoundingBox(
  ctx: SKRSContext2D,
  box: SceneBox,
  spec: NonNullable<SceneObject['draw']['boundingBox']>,
): void {
  const { xc, yc, width: w, height: h } = box;
  const angle = box.angle ?? 0;
  const [pl, pt, pr, pb] = spec.padding;
  const x = -w / 2 - pl;
  const y = -h / 2 - pt;
  const rw = w + pl + pr;
  const rh = h + pt + pb;

  ctx.save();
  ctx.translate(xc, yc);
  if (angle !== 0) ctx.rotate(radians(angle));
  if (spec.backgroundColor[3] > 0) {
    ctx.fillStyle = css(spec.backgroundColor);
    ctx.fillRect(x, y, rw, rh);
  }
  if (spec.borderColor[3] > 0 && spec.thickness > 0) {
    ctx.strokeStyle = css(spec.borderColor);
    ctx.lineWidth = spec.thickness;
    ctx.lineJoin = 'miter';
    ctx.strokeRect(x, y, rw, rh);
  }
  ctx.restore();
}

/** `dot.rs`: a filled circle at the box centre, never rotated. */
function drawCentralDot(
  ctx: SKRSContext2D,
  box: SceneBox,
  spec: NonNullable<SceneObject['draw']['centralDot']>,
): void {
  if (spec.color[3] <= 0 || spec.radius <= 0) return;
  ctx.save();
  ctx.fillStyle = css(spec.color);
  ctx.beginPath();
  ctx.arc(box.xc, box.yc, spec.radius, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
}

/**
 * `label.rs`: font size 12 × scale, line height 1.25 × size; the label box is
 * the widest line plus the left/right padding by the lines' height plus the
 * top/bottom padding, placed against the axis-aligned box that wraps the
 * (rotated) object box, in device space (the label is never rotated).
 */
function drawLabel(
  ctx: SKRSContext2D,
  box: SceneBox,
  lines: string[],
  spec: NonNullable<SceneObject['draw']['label']>,
): void {
  const fontSize = 12 * spec.fontScale;
  const lineHeight = 1.25 * fontSize;
  const [padL, padT, padR, padB] = spec.padding;

  ctx.save();
  ctx.font = fontFor(fontSize);
  ctx.textBaseline = 'alphabetic';
  ctx.textAlign = 'left';

  let maxW = 0;
  for (const line of lines) maxW = Math.max(maxW, ctx.measureText(line).width);
  const boxW = maxW + padL + padR;
  const boxH = lineHeight * lines.length + padT + padB;

  // The wrapping axis-aligned box of the rotated object box.
  const angle = box.angle ?? 0;
  let hw = box.width / 2;
  let hh = box.height / 2;
  if (Math.abs(angle) > F32_EPSILON) {
    const c = Math.abs(Math.cos(radians(angle)));
    const s = Math.abs(Math.sin(radians(angle)));
    [hw, hh] = [hw * c + hh * s, hw * s + hh * c];
  }

  const { kind, marginX, marginY } = spec.position;
  let x: number;
  let y: number;
  switch (kind) {
    case 'TopLeftOutside':
      x = box.xc - hw + marginX;
      y = box.yc - hh + marginY - boxH;
      break;
    case 'TopLeftInside':
      x = box.xc - hw + marginX;
      y = box.yc - hh + marginY;
      break;
    case 'Center':
      x = box.xc - boxW / 2 + marginX;
      y = box.yc - boxH / 2 + marginY;
      break;
  }

  if (spec.backgroundColor[3] > 0) {
    ctx.fillStyle = css(spec.backgroundColor);
    ctx.fillRect(x, y, boxW, boxH);
  }
  if (spec.borderColor[3] > 0 && spec.thickness > 0) {
    ctx.strokeStyle = css(spec.borderColor);
    ctx.lineWidth = spec.thickness;
    ctx.lineJoin = 'miter';
    ctx.strokeRect(x, y, boxW, boxH);
  }

  ctx.fillStyle = css(spec.fontColor);
  const textX = x + padL;
  let textY = y + padT + fontSize;
  for (const line of lines) {
    ctx.fillText(line, textX, textY);
    textY += lineHeight;
  }
  ctx.restore();
}

// ---------------------------------------------------------------------------
// Benchmark scenes
// ---------------------------------------------------------------------------

export type BenchSceneKind = 'boxes50' | 'blur10' | 'objects200';

/** A 32-bit linear congruential generator (Numerical Recipes constants): deterministic everywhere. */
class Lcg {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next value in [0, 1). */
  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 0x1_0000_0000;
  }

  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** Opaque border colours, one per object in turn; the box background is the same colour at alpha 64. */
const PALETTE: readonly [number, number, number][] = [
  [255, 64, 64],
  [64, 220, 64],
  [64, 128, 255],
  [255, 200, 0],
  [220, 64, 220],
  [0, 220, 220],
  [255, 128, 0],
  [160, 96, 255],
];

/** The label templates and what they expand to for the bench objects. */
const LABEL_FORMAT = ['{label} #{track_id}', 'conf {confidence:.2f}'];

/**
 * A deterministic scene for the benchmark and the big golden test:
 * - `boxes50`: 50 boxes of 80–300 × 80–380 px inside the frame, each with a
 *   2 px opaque border, a translucent (alpha 64) background and a two-line
 *   label ("person #1000…", "conf 0.xx") at 16 px, padding 4, black alpha 180
 *   background, white text, above the box (TopLeftOutside, margins 0, −2);
 * - `blur10`: the same 50, ten of them (every fifth) blurred too;
 * - `objects200`: 200 such objects with boxes of 40–150 × 40–190 px.
 * The geometry depends only on `kind` and the frame size; `frameIndex` only
 * changes the confidences, so the second label line varies from frame to frame.
 */
export function buildBenchScene(kind: BenchSceneKind, width = 1920, height = 1080, frameIndex = 0): Scene {
  const count = kind === 'objects200' ? 200 : 50;
  const [minW, maxW, minH, maxH] = kind === 'objects200' ? [40, 150, 40, 190] : [80, 300, 80, 380];
  // Same seed for boxes50 and blur10: the same boxes.
  const rng = new Lcg(kind === 'objects200' ? 0x200 : 0x50);
  const objects: SceneObject[] = [];

  for (let i = 0; i < count; i++) {
    const w = Math.min(rng.int(minW, maxW), width);
    const h = Math.min(rng.int(minH, maxH), height);
    const xc = rng.int(Math.ceil(w / 2), Math.floor(width - w / 2));
    const yc = rng.int(Math.ceil(h / 2), Math.floor(height - h / 2));
    const [r, g, b] = PALETTE[i % PALETTE.length] as [number, number, number];
    const trackId = 1000 + i;
    // Two-decimal confidences 0.50–0.99, so '{confidence:.2f}' is exact.
    const confidence = (50 + ((i * 17 + frameIndex * 7) % 50)) / 100;
    const label = 'person';

    objects.push({
      namespace: 'detector',
      label,
      box: { xc, yc, width: w, height: h },
      confidence,
      trackId,
      lines: [`${label} #${trackId}`, `conf ${confidence.toFixed(2)}`],
      draw: {
        boundingBox: {
          borderColor: [r, g, b, 255],
          backgroundColor: [r, g, b, 64],
          thickness: 2,
          padding: [0, 0, 0, 0],
        },
        label: {
          fontColor: [255, 255, 255, 255],
          backgroundColor: [0, 0, 0, 180],
          borderColor: [0, 0, 0, 0],
          fontScale: 16 / 12,
          thickness: 0,
          position: { kind: 'TopLeftOutside', marginX: 0, marginY: -2 },
          padding: [4, 4, 4, 4],
          format: [...LABEL_FORMAT],
        },
        blur: kind === 'blur10' && i % 5 === 0,
        bboxSource: 'detection',
      },
    });
  }

  return {
    name: `${kind}-${width}x${height}-f${frameIndex}`,
    width,
    height,
    background: backgroundPicture(width, height),
    objects,
  };
}

// ---------------------------------------------------------------------------
// Picture helpers
// ---------------------------------------------------------------------------

/** A Uint8ClampedArray over the same bytes (no copy). */
function clampedView(bytes: Uint8Array): Uint8ClampedArray {
  return new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes RGBA bytes (width × height × 4, unpremultiplied) as a PNG. */
export function toPng(rgba: Uint8Array, width: number, height: number): Buffer {
  if (rgba.length !== width * height * 4) {
    throw new Error(`toPng: ${rgba.length} bytes for ${width}×${height}`);
  }
  const canvas = createCanvas(width, height);
  canvas.getContext('2d').putImageData(new ImageData(clampedView(rgba), width, height), 0, 0);
  return canvas.encodeSync('png');
}

function assertSameSize(a: Uint8Array, b: Uint8Array, what: string): void {
  if (a.length !== b.length || a.length % 4 !== 0) {
    throw new Error(`${what}: pictures of ${a.length} and ${b.length} bytes`);
  }
}

/** Peak signal-to-noise ratio in dB over the R, G and B channels (alpha ignored); Infinity when they are equal. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  assertSameSize(a, b, 'psnr');
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let k = 0; k < 3; k++) {
      const d = (a[i + k] as number) - (b[i + k] as number);
      sum += d * d;
    }
  }
  if (sum === 0) return Infinity;
  const mse = sum / ((a.length / 4) * 3);
  return 10 * Math.log10((255 * 255) / mse);
}

/** An opaque RGBA picture of |a − b| × 4 per colour channel, clamped to 255. */
export function diffPicture(a: Uint8Array, b: Uint8Array): Uint8Array {
  assertSameSize(a, b, 'diffPicture');
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i += 4) {
    for (let k = 0; k < 3; k++) {
      out[i + k] = Math.min(255, Math.abs((a[i + k] as number) - (b[i + k] as number)) * 4);
    }
    out[i + 3] = 255;
  }
  return out;
}
