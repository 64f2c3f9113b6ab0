// Golden comparison against real Skia: PSNR, geometry within one pixel,
// and, on a mismatch, both pictures and their difference written where a
// person can look.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffPicture, psnr, toPng } from './skia-reference.js';

/** Where mismatching pictures go: packages/picasso/test-output/golden/<scene>/. */
export const outputRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-output', 'golden');

/** Pixels that differ from the background by more than `threshold` in a channel. */
function changed(picture: Uint8Array, background: Uint8Array, threshold: number): Uint8Array {
  const out = new Uint8Array(picture.length / 4);
  for (let i = 0; i < out.length; i++) {
    const p = i * 4;
    if (
      Math.abs(picture[p]! - background[p]!) > threshold ||
      Math.abs(picture[p + 1]! - background[p + 1]!) > threshold ||
      Math.abs(picture[p + 2]! - background[p + 2]!) > threshold
    ) {
      out[i] = 1;
    }
  }
  return out;
}

/** Changed pixels of `a` with no changed pixel of `b` within one pixel. */
function strays(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!a[y * width + x]) continue;
      let near = false;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1) && !near; yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1) && !near; xx++) {
          if (b[yy * width + xx]) near = true;
        }
      }
      if (!near) n++;
    }
  }
  return n;
}

export interface Comparison {
  psnr: number;
  /** Pixels either side drew (clearly, > 48 levels off the background) with
   * nothing drawn by the other within one pixel. */
  strayPixels: number;
  /** Where the pictures were written, when they were. */
  folder: string | null;
}

/** Compares our picture with Skia's; writes skia.png, ours.png and
 * diff.png (|a − b| × 4) to outputRoot/<name>/ when `write` says so. */
export function compare(
  name: string,
  width: number,
  height: number,
  background: Uint8Array,
  skia: Uint8Array,
  ours: Uint8Array,
  write: (c: Omit<Comparison, 'folder'>) => boolean,
): Comparison {
  const p = psnr(skia, ours);
  const [s, o] = [changed(skia, background, 48), changed(ours, background, 48)];
  // A pixel one side changed clearly that the other left near the background
  // (under 8 levels) counts when nothing the other changed is near it.
  const [sLoose, oLoose] = [changed(skia, background, 8), changed(ours, background, 8)];
  const strayPixels = strays(s, oLoose, width, height) + strays(o, sLoose, width, height);
  let folder: string | null = null;
  if (write({ psnr: p, strayPixels })) {
    folder = join(outputRoot, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'skia.png'), toPng(skia, width, height));
    writeFileSync(join(folder, 'ours.png'), toPng(ours, width, height));
    writeFileSync(join(folder, 'diff.png'), toPng(diffPicture(skia, ours), width, height));
  }
  return { psnr: p, strayPixels, folder };
}
