// Custom draw lists and canvases: the same list drawn by real Skia gives
// the same picture; canvases render 1:1 or letterboxed into buffers;
// drawing on BGRx, with registered fonts, and the typed errors.
import { readFileSync } from 'node:fs';
import { createCanvas, GlobalFonts, ImageData, type SKRSContext2D } from '@napi-rs/canvas';
import { BufferGenerator, SurfaceView, VideoFrame } from '@proj/deepstream';
import { describe, expect, test } from 'vitest';
import {
  BoundingBoxDraw,
  Canvas,
  ColorDraw,
  DrawList,
  drawObjects,
  drawOn,
  ErrorCode,
  fontFamilies,
  LabelDraw,
  ObjectDraw,
  ObjectDrawSpec,
  registerFont,
  SkiaContext,
} from '../src/index.js';
import { compare } from './support/golden.js';
import { backgroundPicture } from './support/scene.js';

const DEJAVU = '/usr/share/fonts/truetype/dejavu';
const css = ([r, g, b, a]: readonly number[]) => `rgba(${r},${g},${b},${a! / 255})`;

/** One custom overlay, recorded for us and drawn on Skia's 2D context the same way. */
function overlay(list: DrawList, ctx: SKRSContext2D, image: Uint8Array) {
  const red = [255, 40, 40, 255] as const;
  const blue = [40, 80, 255, 160] as const;
  const yellow = [255, 230, 0, 255] as const;
  list.fillRect(10, 10, 60, 40, blue).strokeRect(10.5, 10.5, 60, 40, red, 3);
  ctx.fillStyle = css(blue);
  ctx.fillRect(10, 10, 60, 40);
  ctx.strokeStyle = css(red);
  ctx.lineWidth = 3;
  ctx.strokeRect(10.5, 10.5, 60, 40);

  list.save().translate(150, 50).rotate(30).rect(-30, -15, 60, 30, { fill: blue, stroke: yellow, width: 2 }).restore();
  ctx.save();
  ctx.translate(150, 50);
  ctx.rotate((30 * Math.PI) / 180);
  ctx.fillStyle = css(blue);
  ctx.fillRect(-30, -15, 60, 30);
  ctx.strokeStyle = css(yellow);
  ctx.lineWidth = 2;
  ctx.strokeRect(-30, -15, 60, 30);
  ctx.restore();

  list.line(10, 90, 120, 120, yellow, 4);
  ctx.beginPath();
  ctx.moveTo(10, 90);
  ctx.lineTo(120, 120);
  ctx.strokeStyle = css(yellow);
  ctx.lineWidth = 4;
  ctx.stroke();

  const poly: [number, number][] = [[200, 100], [260, 90], [290, 140], [230, 170]];
  list.polygon(poly, { fill: [0, 200, 100, 128], stroke: red, width: 2 });
  ctx.beginPath();
  poly.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  ctx.fillStyle = css([0, 200, 100, 128]);
  ctx.fill();
  ctx.strokeStyle = css(red);
  ctx.lineWidth = 2;
  ctx.stroke();

  list.circle(60, 180, 25, { fill: [255, 255, 255, 200], stroke: [0, 0, 0, 255], width: 3 });
  ctx.beginPath();
  ctx.arc(60, 180, 25, 0, Math.PI * 2);
  ctx.fillStyle = css([255, 255, 255, 200]);
  ctx.fill();
  ctx.strokeStyle = css([0, 0, 0, 255]);
  ctx.lineWidth = 3;
  ctx.stroke();

  // Text: a block at (x, y), baseline at y + padding + size, 1.25 × size per line.
  list.text('Zone A\nentries 12', 110, 180, { size: 14, color: [255, 255, 255, 255], background: [0, 0, 0, 160], padding: 3 });
  ctx.font = '14px "DejaVu Sans"';
  const w = Math.max(ctx.measureText('Zone A').width, ctx.measureText('entries 12').width);
  ctx.fillStyle = css([0, 0, 0, 160]);
  ctx.fillRect(110, 180, w + 6, 2 * 14 * 1.25 + 6);
  ctx.fillStyle = 'white';
  ctx.fillText('Zone A', 113, 180 + 3 + 14);
  ctx.fillText('entries 12', 113, 180 + 3 + 14 + 17.5);

  list.image(image, 16, 16, 250, 185, { w: 32, h: 32 });
  const tile = createCanvas(16, 16);
  tile.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(image), 16, 16), 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'low';
  ctx.drawImage(tile, 250, 185, 32, 32);
}

function gradientImage(): Uint8Array {
  const out = new Uint8Array(16 * 16 * 4);
  for (let i = 0; i < 256; i++) out.set([(i % 16) * 16, Math.floor(i / 16) * 16, 200, 255], i * 4);
  return out;
}

async function rgbaBuffer(width: number, height: number, format = 'RGBA') {
  const generator = new BufferGenerator(format, width, height, { memType: 'system', poolSize: 1 });
  return await generator.acquire();
}

describe('draw lists', () => {
  test('a custom overlay matches Skia drawing the same calls (≥ 35 dB, geometry within 1 px)', async () => {
    GlobalFonts.registerFromPath(`${DEJAVU}/DejaVuSans.ttf`, 'DejaVu Sans');
    const [W, H] = [320, 240];
    const background = backgroundPicture(W, H);
    const list = new DrawList();
    const skia = createCanvas(W, H);
    const ctx = skia.getContext('2d');
    ctx.putImageData(new ImageData(new Uint8ClampedArray(background), W, H), 0, 0);
    overlay(list, ctx, gradientImage());

    const buffer = await rgbaBuffer(W, H);
    const view = SurfaceView.fromBuffer(buffer);
    view.uploadSync(background);
    await drawOn(buffer, list);
    const ours = view.downloadSync();
    buffer.release();
    const theirs = new Uint8Array(ctx.getImageData(0, 0, W, H).data.buffer);
    const c = compare('canvas-overlay', W, H, background, theirs, ours, (r) => r.psnr < 35 || r.strayPixels > 0);
    console.log(`canvas-overlay: ${c.psnr.toFixed(1)} dB, ${c.strayPixels} stray pixels`);
    expect(c.psnr, c.folder ?? '').toBeGreaterThanOrEqual(35);
    expect(c.strayPixels, c.folder ?? '').toBe(0);
  });

  test('a blur command blurs exactly as an object’s blur does', async () => {
    const [W, H] = [200, 120];
    const background = backgroundPicture(W, H);
    const frame = new VideoFrame({ sourceId: 'blur', width: W, height: H });
    frame.addObject({ namespace: 'n', label: 'l', detectionBox: { xc: 90.5, yc: 60, width: 101, height: 70 } });
    const spec = new ObjectDrawSpec();
    spec.insert('n', 'l', new ObjectDraw({ blur: true }));
    const [a, b] = [await rgbaBuffer(W, H), await rgbaBuffer(W, H)];
    SurfaceView.fromBuffer(a).uploadSync(background);
    SurfaceView.fromBuffer(b).uploadSync(background);
    await drawObjects(frame, a, spec);
    await drawOn(b, new DrawList().blur(40, 25, 101, 70));
    const [pa, pb] = [SurfaceView.fromBuffer(a).downloadSync(), SurfaceView.fromBuffer(b).downloadSync()];
    expect(Buffer.from(pa).equals(Buffer.from(pb))).toBe(true);
    expect(Buffer.from(pa).equals(Buffer.from(background))).toBe(false);
  });

  test('restore() without save() and malformed lists are typed errors', async () => {
    expect(() => new DrawList().restore()).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => new DrawList().fillRect(0, 0, 1, 1, [0, 0, 0] as never)).toThrow(TypeError);
    expect(() => new DrawList().image(new Uint8Array(10), 2, 2, 0, 0)).toThrow(RangeError);
    expect(() => new DrawList().polyline([[0, 0], [1]] as never, [0, 0, 0, 255])).toThrow(TypeError);
  });
});

describe('canvas', () => {
  test('toRGBA is premultiplied over transparency, as Skia’s surface is', async () => {
    const c = new Canvas(4, 2).fillRect(0, 0, 2, 2, [255, 0, 0, 128]).fillRect(2, 0, 2, 2, [0, 0, 255, 255]);
    const px = await c.toRGBA();
    expect(Array.from(px.subarray(0, 4))).toEqual([128, 0, 0, 128]);
    expect(Array.from(px.subarray(8, 12))).toEqual([0, 0, 255, 255]);
  });

  test('renders 1:1 into a buffer of its size, letterboxed into another', async () => {
    const canvas = new SkiaContext(100, 50);
    canvas.fillRect(0, 0, 100, 50, [0, 255, 0, 255]).fillRect(0, 0, 50, 50, [255, 0, 0, 255]);
    const same = await rgbaBuffer(100, 50);
    await canvas.renderToNvbuf(same);
    expect(Buffer.from(SurfaceView.fromBuffer(same).downloadSync()).equals(Buffer.from(await canvas.toRGBA()))).toBe(true);

    const square = await rgbaBuffer(200, 200);
    SurfaceView.fromBuffer(square).fillSync([9, 9, 9, 255]);
    await canvas.renderTo(square, { padding: 'symmetric', interpolation: 'nearest' });
    const p = SurfaceView.fromBuffer(square).downloadSync();
    const at = (x: number, y: number) => Array.from(p.subarray((y * 200 + x) * 4, (y * 200 + x) * 4 + 3));
    expect(at(100, 10)).toEqual([0, 0, 0]); // letterbox bar, cleared as every transform clears it
    expect(at(20, 60)).toEqual([255, 0, 0]); // left half of the canvas, scaled 2×, from y = 50
    expect(at(180, 140)).toEqual([0, 255, 0]);
    expect(at(100, 190)).toEqual([0, 0, 0]);

    await expect(canvas.renderTo(await rgbaBuffer(64, 64))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(() => new Canvas(0, 10)).toThrow(RangeError);
  });
});

describe('drawObjects', () => {
  const red = new ColorDraw(255, 0, 0, 255);
  const spec = new ObjectDrawSpec();
  spec.insert('n', 'box', new ObjectDraw({ boundingBox: new BoundingBoxDraw({ borderColor: red, thickness: 2 }) }));
  const frame = new VideoFrame({ sourceId: 'f', width: 64, height: 48 });
  frame.addObject({ namespace: 'n', label: 'box', detectionBox: { xc: 32, yc: 24, width: 20, height: 20 } });
  frame.addObject({ namespace: 'n', label: 'no-spec', detectionBox: { xc: 10, yc: 10, width: 8, height: 8 } });

  test('draws objects with a spec entry, on BGRx in its byte order', async () => {
    const buffer = await rgbaBuffer(64, 48, 'BGRx');
    SurfaceView.fromBuffer(buffer).memsetSync(0);
    expect(await drawObjects(frame, buffer, spec)).toEqual({ objects: 1 });
    const p = SurfaceView.fromBuffer(buffer).downloadSync();
    const i = (24 * 64 + 22) * 4; // on the left border (x 21–23)
    expect(Array.from(p.subarray(i, i + 3))).toEqual([0, 0, 255]);
    expect(p[(10 * 64 + 10) * 4 + 2]).toBe(0); // the object without a spec is not drawn
  });

  test('typed errors: wrong format, unknown font, released buffer', async () => {
    const nv12 = await rgbaBuffer(64, 48, 'NV12');
    await expect(drawObjects(frame, nv12, spec)).rejects.toMatchObject({ code: ErrorCode.UNSUPPORTED_FORMAT });
    const rgba = await rgbaBuffer(64, 48);
    await expect(drawObjects(frame, rgba, spec, { fontFamily: 'No Such Font' })).rejects.toMatchObject({ code: ErrorCode.FONT });
    rgba.release();
    await expect(drawObjects(frame, rgba, spec)).rejects.toMatchObject({ code: ErrorCode.CONSUMED });
    await expect(drawObjects(frame, nv12, {} as never)).rejects.toThrow(TypeError);
  });
});

describe('fonts', () => {
  test('a registered font draws labels as Skia draws them with it', async () => {
    expect(() => registerFont('broken', new Uint8Array([1, 2, 3, 4]))).toThrow(expect.objectContaining({ code: ErrorCode.FONT }));
    expect(() => registerFont('sans-serif', readFileSync(`${DEJAVU}/DejaVuSansMono.ttf`))).toThrow(
      expect.objectContaining({ code: ErrorCode.FONT }),
    );
    registerFont('Mono Test', `${DEJAVU}/DejaVuSansMono.ttf`);
    expect(() => registerFont('missing', '/no/such/font.ttf')).toThrow(/ENOENT/);
    expect(fontFamilies()).toEqual(expect.arrayContaining(['sans-serif', 'Mono Test']));
    GlobalFonts.registerFromPath(`${DEJAVU}/DejaVuSansMono.ttf`, 'DejaVu Sans Mono');

    const [W, H] = [240, 60];
    const background = backgroundPicture(W, H);
    const frame = new VideoFrame({ sourceId: 'font', width: W, height: H });
    frame.addObject({ namespace: 'n', label: 'plate', detectionBox: { xc: 120, yc: 40, width: 200, height: 30 }, confidence: 0.5 });
    const spec = new ObjectDrawSpec();
    const label = new LabelDraw(new ColorDraw(255, 255, 255, 255), { fontScale: 1.5, format: ['{label} iiiWWW {confidence}'] });
    spec.insert('n', 'plate', new ObjectDraw({ label }));
    const draw = async (fontFamily?: string) => {
      const b = await rgbaBuffer(W, H);
      SurfaceView.fromBuffer(b).uploadSync(background);
      await drawObjects(frame, b, spec, { fontFamily });
      return SurfaceView.fromBuffer(b).downloadSync();
    };
    const [mono, sans] = [await draw('mono test'), await draw()];
    expect(Buffer.from(mono).equals(Buffer.from(sans))).toBe(false);

    const skia = createCanvas(W, H);
    const ctx = skia.getContext('2d');
    ctx.putImageData(new ImageData(new Uint8ClampedArray(background), W, H), 0, 0);
    ctx.font = '18px "DejaVu Sans Mono"';
    ctx.fillStyle = 'white';
    ctx.fillText('plate iiiWWW 0.5', 20, 25 - 10 - 18 * 1.25 + 18);
    const theirs = new Uint8Array(ctx.getImageData(0, 0, W, H).data.buffer);
    const c = compare('registered-font', W, H, background, theirs, mono, (r) => r.psnr < 35 || r.strayPixels > 0);
    console.log(`registered-font: ${c.psnr.toFixed(1)} dB, ${c.strayPixels} stray pixels`);
    expect(c.psnr, c.folder ?? '').toBeGreaterThanOrEqual(35);
  });
});
