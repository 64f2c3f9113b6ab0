// Our drawing against real Skia (@napi-rs/canvas) drawing the same scenes
// by the reference's rules: PSNR ≥ 35 dB per scene and geometry within one
// pixel. A mismatch writes skia.png, ours.png and diff.png to the folder
// the failure names.
import { describe, expect, test } from 'vitest';
import { compare } from './support/golden.js';
import { drawSceneOurs } from './support/ours.js';
import { goldenScenes } from './support/scenes.js';
import { drawSceneSkia } from './support/skia-reference.js';

const MIN_PSNR = 35;

describe('golden scenes against Skia', () => {
  for (const scene of goldenScenes()) {
    test(scene.name, async () => {
      const skia = drawSceneSkia(scene);
      const ours = await drawSceneOurs(scene);
      const c = compare(scene.name, scene.width, scene.height, scene.background, skia, ours, (r) =>
        r.psnr < MIN_PSNR || r.strayPixels > 0 || process.env.PROJ_GOLDEN_WRITE === '1',
      );
      const where = c.folder ? ` (pictures in ${c.folder})` : '';
      console.log(`${scene.name}: ${c.psnr.toFixed(1)} dB, ${c.strayPixels} stray pixels${where}`);
      expect(c.psnr, `PSNR of ${scene.name}${where}`).toBeGreaterThanOrEqual(MIN_PSNR);
      expect(c.strayPixels, `pixels drawn more than 1 px from Skia's in ${scene.name}${where}`).toBe(0);
    });
  }
});
