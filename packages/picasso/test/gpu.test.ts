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

describe('PicassoEngine with frames in CUDA memory', () => {
  it.skipIf(!hasGpu)('places, draws (on the GPU) and encodes CUDA frames as the CPU does; onGpumat gets the CUDA descriptor', async () => {
    const { EncoderConfig } = await import('@proj/deepstream');
    const { CodecSpec, GeneralSpec, ObjectDrawSpec, PicassoEngine, SourceSpec } = await import('../src/index.js');
    const { decodeH264, frame, near, Outputs, pixel, solidBox } = await import('./support/engine.js');
    const draw = new ObjectDrawSpec();
    draw.insert('det', 'car', solidBox([255, 0, 0, 255], 8));
    const outputs: Record<string, InstanceType<typeof Outputs>> = {};
    const mats: string[] = [];
    for (const memType of ['system', 'cuda_device']) {
      const out = (outputs[memType] = new Outputs());
      const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push, onGpumat: (_s, _f, mat) => void mats.push(mat.kind) });
      engine.setSourceSpec('g', new SourceSpec({ codec: CodecSpec.encode({}, new EncoderConfig('h264', 640, 640).memType(memType)), draw, useOnGpumat: true }));
      const pool = new BufferGenerator('RGBA', 320, 240, { memType, poolSize: 4 });
      for (let i = 0; i < 5; i++) {
        const b = await pool.acquire();
        const v = SurfaceView.fromBuffer(b);
        await v.fill([40, 40, 40, 255]);
        v.release();
        await engine.sendFrame('g', frame('g', i, 320, 240, [{ xc: 160, yc: 120, width: 100, height: 50 }]), b);
      }
      await engine.shutdown();
    }
    expect(mats).toEqual([...Array(5).fill('host'), ...Array(5).fill('cuda')]);
    const [cpu, gpu] = [outputs.system!, outputs.cuda_device!].map((o) => decodeH264(o.bitstream(), 640, 640));
    expect(gpu).toHaveLength(5);
    expect(near(pixel(gpu!.at(-1)!, 640, 220, 320), [255, 0, 0])).toBe(true);
    // GPU scaling may round differently from the CPU's: nearly every pixel agrees.
    const a = cpu!.at(-1)!;
    const b = gpu!.at(-1)!;
    const off = a.reduce((n, v, i) => n + (Math.abs(v - b[i]!) > 8 ? 1 : 0), 0);
    expect(off / a.length).toBeLessThan(0.01);
  });
});
