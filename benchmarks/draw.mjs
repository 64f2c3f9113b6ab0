// Drawing a frame's objects: @proj/picasso's drawObjects against real Skia
// (@napi-rs/canvas) drawing the identical scene by the reference's rules,
// the same frames, each contender in a process of its own (so one's
// garbage and threads never slow the other), rounds interleaved. Skia
// records draw calls and rasterises only on a flush: a 1-pixel
// getImageData forces it each frame.
//
//   node benchmarks/draw.mjs [--frames 200] [--rounds 5]
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createCanvas, GlobalFonts, ImageData } from '@napi-rs/canvas';
import { BufferGenerator, SurfaceView, VideoFrame } from '@proj/deepstream';
import { BoundingBoxDraw, ColorDraw, LabelDraw, LabelPosition, ObjectDraw, ObjectDrawSpec, PaddingDraw, drawObjects } from '@proj/picasso';
import { option } from './support.mjs';

const FRAMES = Number(option('frames', 200));
const ROUNDS = Number(option('rounds', 5));
const [W, H] = [1920, 1080];

// The scene of packages/picasso/test/support/skia-reference.ts (buildBenchScene), in JS.
const PALETTE = [[255, 64, 64], [64, 220, 64], [64, 128, 255], [255, 200, 0], [220, 64, 220], [0, 220, 220], [255, 128, 0], [160, 96, 255]];
function lcg(seed) {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + Math.floor((s / 0x1_0000_0000) * (hi - lo + 1));
  };
}
function scene(kind, frameIndex) {
  const count = kind === 'objects200' ? 200 : 50;
  const [minW, maxW, minH, maxH] = kind === 'objects200' ? [40, 150, 40, 190] : [80, 300, 80, 380];
  const int = lcg(kind === 'objects200' ? 0x200 : 0x50);
  return Array.from({ length: count }, (_, i) => {
    const w = Math.min(int(minW, maxW), W);
    const h = Math.min(int(minH, maxH), H);
    const xc = int(Math.ceil(w / 2), Math.floor(W - w / 2));
    const yc = int(Math.ceil(h / 2), Math.floor(H - h / 2));
    const confidence = (50 + ((i * 17 + frameIndex * 7) % 50)) / 100;
    return { xc, yc, w, h, rgb: PALETTE[i % PALETTE.length], trackId: 1000 + i, confidence, blur: kind === 'blur10' && i % 5 === 0 };
  });
}

function background() {
  const out = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 4;
      const checker = ((x >> 5) + (y >> 5)) & 1 ? 40 : 0;
      out.set([((x * 255) / (W - 1)) * 0.7 + checker, ((y * 255) / (H - 1)) * 0.7 + checker, 128 + checker, 255], i);
    }
  }
  return out;
}

// Ours: one spec entry per palette colour and blur flag, frames with the objects.
function ours(kind) {
  const spec = new ObjectDrawSpec();
  const white = new ColorDraw(255, 255, 255, 255);
  PALETTE.forEach(([r, g, b], c) => {
    for (const blur of [false, true]) {
      spec.insert('detector', `person-${c}-${blur}`, new ObjectDraw({
        blur,
        boundingBox: new BoundingBoxDraw({ borderColor: new ColorDraw(r, g, b, 255), backgroundColor: new ColorDraw(r, g, b, 64), thickness: 2 }),
        label: new LabelDraw(white, {
          backgroundColor: new ColorDraw(0, 0, 0, 180),
          fontScale: 16 / 12,
          thickness: 0,
          position: new LabelPosition({ marginY: -2 }),
          padding: new PaddingDraw(4, 4, 4, 4),
          format: ['{label} #{track_id}', 'conf {confidence:.2f}'],
        }),
      }));
    }
  });
  const frames = Array.from({ length: 8 }, (_, f) => {
    const frame = new VideoFrame({ sourceId: 'bench', width: W, height: H });
    scene(kind, f).forEach((o, i) =>
      frame.addObject({
        namespace: 'detector',
        label: `person-${i % PALETTE.length}-${o.blur}`,
        drawLabel: 'person',
        detectionBox: { xc: o.xc, yc: o.yc, width: o.w, height: o.h },
        confidence: o.confidence,
        trackId: o.trackId,
      }),
    );
    return frame;
  });
  return { spec, frames };
}

// Skia: the reference's bbox.rs / label.rs / blur.rs with canvas 2D calls.
function skiaFrame(ctx, canvas, objects) {
  for (const o of objects) {
    const [r, g, b] = o.rgb;
    const [x, y] = [o.xc - o.w / 2, o.yc - o.h / 2];
    if (o.blur) {
      // The backdrop blur: the canvas itself drawn back through a blur, clipped to the box.
      ctx.save();
      ctx.beginPath();
      ctx.rect(x, y, o.w, o.h);
      ctx.clip();
      ctx.filter = `blur(${Math.min(Math.max(0.1 * Math.min(o.w, o.h), 2), 40)}px)`;
      ctx.drawImage(canvas, x, y, o.w, o.h, x, y, o.w, o.h);
      ctx.restore();
    }
    ctx.fillStyle = `rgba(${r},${g},${b},${64 / 255})`;
    ctx.fillRect(x, y, o.w, o.h);
    ctx.strokeStyle = `rgb(${r},${g},${b})`;
    ctx.lineWidth = 2;
    ctx.strokeRect(x, y, o.w, o.h);
    const lines = [`person #${o.trackId}`, `conf ${o.confidence.toFixed(2)}`];
    ctx.font = '16px "DejaVu Sans"';
    const tw = Math.max(ctx.measureText(lines[0]).width, ctx.measureText(lines[1]).width);
    const [bw, bh] = [tw + 8, 2 * 20 + 8];
    const [bx, by] = [x, y - 2 - bh];
    ctx.fillStyle = `rgba(0,0,0,${180 / 255})`;
    ctx.fillRect(bx, by, bw, bh);
    ctx.fillStyle = 'white';
    ctx.fillText(lines[0], bx + 4, by + 4 + 16);
    ctx.fillText(lines[1], bx + 4, by + 4 + 16 + 20);
  }
  ctx.getImageData(0, 0, 1, 1); // force the raster
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** In a child process: one contender, one scene; prints ms per frame. */
async function child(name, kind) {
  GlobalFonts.registerFromPath('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'DejaVu Sans');
  const pixels = background();
  let run;
  if (name === 'ours') {
    const generator = new BufferGenerator('RGBA', W, H, { memType: 'system', poolSize: 1 });
    const buffer = await generator.acquire();
    SurfaceView.fromBuffer(buffer).uploadSync(new Uint8Array(pixels.buffer));
    const { spec, frames } = ours(kind);
    run = (i) => drawObjects(frames[i % 8], buffer, spec);
  } else {
    const canvas = createCanvas(W, H);
    const ctx = canvas.getContext('2d');
    ctx.putImageData(new ImageData(pixels, W, H), 0, 0);
    const scenes = Array.from({ length: 8 }, (_, f) => scene(kind, f));
    // 'flush': Skia's fixed cost of a forced raster, one tiny rect and a 1-pixel read.
    run =
      name === 'skia'
        ? async (i) => skiaFrame(ctx, canvas, scenes[i % 8])
        : async () => {
            ctx.fillStyle = 'rgba(0,0,0,0.01)';
            ctx.fillRect(0, 0, 1, 1);
            ctx.getImageData(0, 0, 1, 1);
          };
  }
  for (let i = 0; i < 20; i++) await run(i);
  const t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) await run(i);
  console.log(((performance.now() - t0) / FRAMES).toFixed(4));
}

function main() {
  const self = fileURLToPath(import.meta.url);
  const measure = (name, kind) =>
    Number(execFileSync(process.execPath, [self, '--child', name, '--scene', kind, '--frames', String(FRAMES)], { encoding: 'utf8' }).trim());
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(`${FRAMES} frames after 20 warm-up, ${ROUNDS} interleaved rounds, a process per contender per round; medians per frame`);
  console.log('| scene | ours, ms | Skia, ms | Skia flush alone, ms | ours ÷ Skia | ours ÷ (Skia − flush) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const kind of ['boxes50', 'blur10', 'objects200']) {
    const times = { ours: [], skia: [], flush: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['ours', 'skia', 'flush']) times[name].push(measure(name, kind));
    }
    const [o, s, f] = [median(times.ours), median(times.skia), median(times.flush)];
    const ratios = times.ours.map((t, i) => t / times.skia[i]);
    console.log(
      `| ${kind} | ${o.toFixed(2)} | ${s.toFixed(2)} | ${f.toFixed(2)} | ${(o / s).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${(o / (s - f)).toFixed(2)} |`,
    );
  }
}

const role = option('child', null);
if (role) await child(role, option('scene', 'boxes50'));
else main();
