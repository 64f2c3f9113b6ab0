// One conformance suite for every platform: geometry, letterboxed pixels and
// batches. The CPU platform runs everywhere; the CUDA platform runs where it
// is usable and is reported as skipped, with the reason, where it is not.
import { execFileSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { psnr } from '../../gstreamer/test/support/pictures.js';

import {
  BufferGenerator,
  ErrorCode,
  type MemType,
  type SharedBuffer,
  SurfaceView,
  type TransformConfig,
  UniformBatchGenerator,
  VideoFormat,
} from '../src/index.js';

function unavailable(memType: MemType): string | null {
  try {
    new BufferGenerator(VideoFormat.RGBA, 16, 16, { memType, poolSize: 1 });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const platforms: { name: string; memType: MemType }[] = [
  { name: 'CPU (system memory)', memType: 'system' },
  { name: 'CUDA (device memory)', memType: 'cuda_device' },
];

/** A source buffer of one colour. */
function solid(memType: MemType, width: number, height: number, color: number[]): SharedBuffer {
  const buf = new BufferGenerator(VideoFormat.RGBA, width, height, { memType, poolSize: 1 }).tryAcquire();
  SurfaceView.fromBuffer(buf).fillSync(color);
  return buf;
}

/** Bounding box of the pixels that are not all zero. */
function paintedBox(pixels: Uint8Array, width: number, height: number) {
  let [left, top, right, bottom] = [width, height, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      if (pixels[at] === 0 && pixels[at + 1] === 0 && pixels[at + 2] === 0 && pixels[at + 3] === 0) continue;
      [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x + 1), Math.max(bottom, y + 1)];
    }
  }
  return { left, top, width: right - left, height: bottom - top };
}

for (const platform of platforms) {
  const reason = unavailable(platform.memType);
  if (reason !== null) console.warn(`transform conformance on ${platform.name} skipped: ${reason}`);

  describe.skipIf(reason !== null)(`transform conformance: ${platform.name}`, () => {
    const { memType } = platform;
    const transformed = async (src: SharedBuffer, w: number, h: number, config?: TransformConfig, srcRect?: Parameters<BufferGenerator['transform']>[2]) => {
      const gen = new BufferGenerator(VideoFormat.RGBA, w, h, { memType, poolSize: 1 });
      const out = await gen.transform(src, config, srcRect);
      const pixels = SurfaceView.fromBuffer(out).downloadSync();
      return { pixels, box: paintedBox(pixels, w, h) };
    };

    it('800x600 into 800x800: symmetric, right-bottom and stretched', async () => {
      const src = solid(memType, 800, 600, [200, 100, 50, 255]);
      const symmetric = await transformed(src, 800, 800);
      expect(symmetric.box).toEqual({ left: 0, top: 100, width: 800, height: 600 });
      // Inside: exactly the colour; outside: exactly black.
      expect(Array.from(symmetric.pixels.subarray(4 * 800 * 400, 4 * 800 * 400 + 4))).toEqual([200, 100, 50, 255]);
      expect((await transformed(src, 800, 800, { padding: 'right_bottom' })).box).toEqual({ left: 0, top: 0, width: 800, height: 600 });
      expect((await transformed(src, 800, 800, { padding: 'none' })).box).toEqual({ left: 0, top: 0, width: 800, height: 800 });
    });

    it('crops the source and honours destination padding', async () => {
      // Left half red, right half blue; take a 400x400 square of the blue.
      const src = new BufferGenerator(VideoFormat.RGBA, 1920, 1080, { memType, poolSize: 1 }).tryAcquire();
      const half = new Uint8Array(1920 * 1080 * 4);
      for (let i = 0; i < 1920 * 1080; i++) half.set((i % 1920) < 960 ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4);
      SurfaceView.fromBuffer(src).uploadSync(half);
      const crop = await transformed(src, 640, 640, { interpolation: 'nearest' }, { srcRect: { top: 100, left: 1200, width: 400, height: 400 } });
      expect(crop.box).toEqual({ left: 0, top: 0, width: 640, height: 640 });
      expect(crop.pixels.every((v, i) => v === [0, 0, 255, 255][i % 4])).toBe(true);
      // 30 px right and 40 px bottom reserved, 10/20 px left/top: the
      // effective 600x580 takes a 600x338 picture at (10, 141).
      const padded = await transformed(src, 640, 640, { dstPadding: { left: 10, top: 20, right: 30, bottom: 40 } });
      expect(padded.box).toEqual({ left: 10, top: 141, width: 600, height: 338 });
    });

    it('needs 16 pixels of effective destination on each side', async () => {
      const src = solid(memType, 64, 64, [1, 1, 1, 1]);
      const codeOf = async (config: TransformConfig) => {
        try {
          await transformed(src, 64, 64, config);
          return 'ok';
        } catch (error) {
          return (error as { code?: string }).code;
        }
      };
      expect(await codeOf({ dstPadding: { left: 24, right: 24 } })).toBe('ok');
      expect(await codeOf({ dstPadding: { left: 24, right: 25 } })).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(await codeOf({ dstPadding: { top: 49 } })).toBe(ErrorCode.INVALID_ARGUMENT);
    });

    it('matches ffmpeg scale + pad on a real picture', async () => {
      // testsrc2 1920x1080 → 640x640 letterbox; ffmpeg does the same with
      // its own scaler. Lanczos on both sides; compare the picture area.
      const grab = (filter: string) =>
        execFileSync('ffmpeg', [
          ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=1', '-frames:v', '1'],
          ...(filter ? ['-vf', filter] : []),
          ...['-pix_fmt', 'rgba', '-f', 'rawvideo', '-'],
        ], { maxBuffer: 64 << 20 });
      const source = grab('');
      const reference = grab('scale=640:360:flags=lanczos+accurate_rnd+full_chroma_int,pad=640:640:0:140');
      const src = new BufferGenerator(VideoFormat.RGBA, 1920, 1080, { memType, poolSize: 1 }).tryAcquire();
      SurfaceView.fromBuffer(src).uploadSync(source);
      for (const [interpolation, minimum] of [['lanczos', 40], ['super', 36], ['cubic', 26], ['bilinear', 26]] as const) {
        const ours = await transformed(src, 640, 640, { interpolation });
        const picture = (p: Uint8Array) => p.subarray(140 * 640 * 4, 500 * 640 * 4);
        const db = psnr(picture(ours.pixels), picture(reference));
        console.log(`${platform.name} ${interpolation} vs ffmpeg lanczos: ${db.toFixed(1)} dB`);
        expect(db).toBeGreaterThan(minimum);
        // The bars are exactly black.
        expect(ours.pixels.subarray(0, 140 * 640 * 4).every((v) => v === 0)).toBe(true);
        expect(ours.pixels.subarray(500 * 640 * 4).every((v) => v === 0)).toBe(true);
      }
    });

    it('fills a batch from sources of mixed sizes', async () => {
      const sizes: [number, number][] = [[1920, 1080], [640, 480], [300, 900], [1000, 1000]];
      const gen = new UniformBatchGenerator(VideoFormat.RGBA, 320, 320, 4, { memType, poolSize: 1 });
      const batch = await gen.acquireBatch({ padding: 'symmetric', interpolation: 'bilinear' }, [{ kind: 'batch', id: 3n }]);
      await Promise.all(sizes.map(([w, h], slot) => batch.transformSlot(slot, solid(memType, w, h, [10 + slot, 20, 30, 255]))));
      batch.finalize();
      const buffer = batch.sharedBuffer();
      expect([buffer.batchSize, buffer.numFilled]).toEqual([4, 4]);
      sizes.forEach(([w, h], slot) => {
        const pixels = batch.view(slot).downloadSync();
        // Letterbox math: the longer side fills 320, the other is rounded.
        const scale = Math.min(320 / w, 320 / h);
        const [pw, ph] = [Math.round(w * scale), Math.round(h * scale)];
        expect(paintedBox(pixels, 320, 320)).toEqual({ left: Math.floor((320 - pw) / 2), top: Math.floor((320 - ph) / 2), width: pw, height: ph });
        expect(pixels[(160 * 320 + 160) * 4]).toBe(10 + slot);
      });
    });

    it('converts NV12 and I420 to RGBA like ffmpeg (BT.709, limited range)', async () => {
      // testsrc2 1280x720 as raw 4:2:0 → 640x640 RGBA letterbox, ours vs
      // ffmpeg's scale (bilinear, BT.709 in) + pad.
      const frame = (pixFmt: string, filter: string) =>
        execFileSync('ffmpeg', [
          ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=1', '-frames:v', '1'],
          ...(filter ? ['-vf', filter] : []),
          ...['-pix_fmt', pixFmt, '-f', 'rawvideo', '-'],
        ], { maxBuffer: 64 << 20 });
      const reference = frame('rgba', 'format=nv12,scale=640:360:flags=bilinear+accurate_rnd+full_chroma_int:in_color_matrix=bt709:in_range=tv:out_range=pc,pad=640:640:0:140');
      for (const format of [VideoFormat.NV12, VideoFormat.I420]) {
        const src = new BufferGenerator(format, 1280, 720, { memType, poolSize: 1 }).tryAcquire();
        SurfaceView.fromBuffer(src).uploadSync(frame(format === VideoFormat.NV12 ? 'nv12' : 'yuv420p', ''));
        const ours = await transformed(src, 640, 640, { interpolation: 'bilinear' });
        const picture = (p: Uint8Array) => p.subarray(140 * 640 * 4, 500 * 640 * 4);
        const db = psnr(picture(ours.pixels), picture(reference));
        console.log(`${platform.name} ${format} → RGBA vs ffmpeg: ${db.toFixed(1)} dB`);
        expect(db).toBeGreaterThan(40);
        expect(ours.box).toEqual({ left: 0, top: 140, width: 640, height: 360 });
      }
    });

    it('letterboxes 4:2:0 with black bars in YUV', async () => {
      const gen = new BufferGenerator(VideoFormat.NV12, 64, 48, { memType, poolSize: 2 });
      const src = gen.tryAcquire();
      SurfaceView.fromBuffer(src).memsetSync(200);
      const out = await new BufferGenerator(VideoFormat.NV12, 64, 64, { memType, poolSize: 1 }).transform(src);
      const bytes = SurfaceView.fromBuffer(out).downloadSync();
      // Y rows 0-7 black (16), 8-55 picture (200), 56-63 black; UV likewise at half size.
      expect(bytes[0]).toBe(16);
      expect(bytes[8 * 64]).toBe(200);
      expect(bytes[56 * 64]).toBe(16);
      expect(bytes[64 * 64]).toBe(128);
      expect(bytes[64 * 64 + 4 * 64]).toBe(200);
      expect(bytes[64 * 64 + 28 * 64]).toBe(128);
    });
  });
}

// The CUDA platform's pixels against the CPU platform's for the same
// transforms: PSNR ≥ 40 dB for bilinear (the bar), and for the
// other filters, which are the same filters on both platforms.
const cudaReason = unavailable('cuda_device');
if (cudaReason !== null) console.warn(`CUDA vs CPU comparison skipped: ${cudaReason}`);
describe.skipIf(cudaReason !== null)('CUDA output matches the CPU output', () => {
  it('on a real picture, every interpolation, RGBA and NV12 → RGBA', async () => {
    const source = execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=1', '-frames:v', '1'],
      ...['-pix_fmt', 'rgba', '-f', 'rawvideo', '-'],
    ], { maxBuffer: 64 << 20 });
    const run = async (memType: MemType, interpolation: TransformConfig['interpolation']) => {
      const src = new BufferGenerator(VideoFormat.RGBA, 1920, 1080, { memType, poolSize: 1 }).tryAcquire();
      SurfaceView.fromBuffer(src).uploadSync(source);
      const out = await new BufferGenerator(VideoFormat.RGBA, 640, 640, { memType, poolSize: 1 }).transform(src, { interpolation });
      return SurfaceView.fromBuffer(out).downloadSync();
    };
    for (const interpolation of ['nearest', 'bilinear', 'cubic', 'super', 'lanczos'] as const) {
      const db = psnr(await run('system', interpolation), await run('cuda_device', interpolation));
      console.log(`CUDA vs CPU ${interpolation}: ${db.toFixed(1)} dB`);
      expect(db).toBeGreaterThanOrEqual(40);
    }
  });
});
