// Frames in CUDA memory are drawn by the GPU's draw-list kernels (the
// drawing is recorded on the CPU, then executed on the picture where it
// lies); every golden scene must come out byte for byte as the CPU draws
// it. Skipped, and counted as skipped, on machines without an NVIDIA GPU.
import { existsSync } from 'node:fs';
import { BufferGenerator, SurfaceView } from '@proj/deepstream';
import { describe, expect, it } from 'vitest';
import { drawObjects } from '../src/index.js';
import { frameAndSpec } from './support/ours.js';
import { goldenScenes } from './support/scenes.js';

const hasGpu = existsSync('/dev/nvidia0') || existsSync('/dev/nvhost-ctrl-gpu');

describe('drawing on CUDA memory', () => {
  it.skipIf(!hasGpu)('every golden scene comes out as on the CPU', async () => {
    for (const scene of goldenScenes()) {
      const { frame, spec } = frameAndSpec(scene);
      const out: Uint8Array[] = [];
      for (const memType of ['system', 'cuda_device']) {
        const generator = new BufferGenerator('RGBA', scene.width, scene.height, { memType, poolSize: 1 });
        const buffer = await generator.acquire();
        const view = SurfaceView.fromBuffer(buffer);
        view.uploadSync(scene.background);
        await drawObjects(frame, buffer, spec);
        out.push(await view.download());
        buffer.release();
      }
      expect(Buffer.from(out[1]!).equals(Buffer.from(out[0]!)), scene.name).toBe(true);
    }
  });
});
