// The GPU helpers answer for the machine they run on: typed errors, false
// and null where there is no NVIDIA GPU; real values where there is one.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  BufferGenerator,
  ErrorCode,
  gpuArchitecture,
  gpuMemUsedMib,
  gpuPlatformTag,
  hasNvenc,
  initCuda,
  isJetsonKernel,
  jetsonModel,
  SurfaceView,
  VideoFormat,
} from '../src/index.js';
import { codeOf } from './support/code-of.js';

const hasGpu = existsSync('/dev/nvidia0') || existsSync('/dev/nvhost-ctrl-gpu');
const tegra = readFileSync('/proc/sys/kernel/osrelease', 'utf8').includes('tegra');

describe('GPU helpers', () => {
  it('know whether the kernel is a Jetson kernel', () => {
    expect(isJetsonKernel()).toBe(tegra);
    if (!tegra) expect(jetsonModel()).toBeNull();
  });

  it.skipIf(hasGpu)('with no GPU: typed errors, false and null, never a crash', () => {
    for (const call of [() => initCuda(), () => gpuArchitecture(), () => gpuMemUsedMib(), () => gpuPlatformTag(), () => initCuda(3)]) {
      expect(codeOf(call)).toBe(ErrorCode.CUDA_UNAVAILABLE);
    }
    expect(hasNvenc()).toBe(false);
    expect(hasNvenc(1)).toBe(false);
    // Asking for CUDA memory is the same typed error; the default is system memory.
    expect(codeOf(() => new BufferGenerator(VideoFormat.RGBA, 64, 64, { memType: 'cuda_device' }))).toBe(ErrorCode.CUDA_UNAVAILABLE);
    expect(codeOf(() => new BufferGenerator(VideoFormat.RGBA, 64, 64, { memType: 'cuda_unified' }))).toBe(ErrorCode.CUDA_UNAVAILABLE);
    expect(new BufferGenerator(VideoFormat.RGBA, 64, 64).memType).toBe('system');
  });

  it.skipIf(!hasGpu)('with a GPU: its architecture, memory in use and a default of CUDA memory', () => {
    initCuda();
    expect(gpuArchitecture()).toMatch(/^(turing|ampere|ada|hopper|blackwell|volta|sm_\d+)$/);
    expect(gpuMemUsedMib()).toBeGreaterThan(0);
    expect(gpuPlatformTag()).toMatch(/^[a-z0-9_]+$/);
    // NVENC exactly where GStreamer registers an NVIDIA H.264 encoder (none on H100/H200).
    const registered = ['nvh264enc', 'nvcudah264enc', 'nvautogpuh264enc'].some((e) => spawnSync('gst-inspect-1.0', [e]).status === 0);
    expect(hasNvenc()).toBe(registered);
    const gen = new BufferGenerator(VideoFormat.RGBA, 64, 64);
    expect(gen.memType).toBe('cuda_device');
    const info = gen.tryAcquire().surfaceInfo();
    expect(info.gpuId).toBe(0);
    expect(info.cudaStream).not.toBe(0n);
    expect(info.pitch).toBeGreaterThanOrEqual(256);
  });

  it.skipIf(!hasGpu)("with a GPU: a view ordered after the caller's CUDA stream copies in order and reports that stream", async () => {
    const gen = new BufferGenerator(VideoFormat.RGBA, 640, 480, { memType: 'cuda_device' });
    const buffer = gen.tryAcquire();
    // Another generator's stream: a live CUstream of the same GPU.
    const other = new BufferGenerator(VideoFormat.RGBA, 16, 16, { memType: 'cuda_device' });
    const stream = other.tryAcquire().surfaceInfo().cudaStream;
    const view = SurfaceView.fromBuffer(buffer, 0, stream);
    expect(view.cudaStream).toBe(stream);
    await view.fill([1, 2, 3, 4]);
    const pixels = await view.download();
    expect([...pixels.subarray(-4)]).toEqual([1, 2, 3, 4]);
    view.release();
    buffer.release();
  });

  it.skipIf(!hasGpu)("with a GPU: fromCudaArray uses another library's device memory in place, and transforms from it", async () => {
    // The "other library" is a generator of ours: its device memory is
    // wrapped through its address, as a CuPy or PyTorch array would be.
    const owner = new BufferGenerator(VideoFormat.RGBA, 320, 240, { memType: 'cuda_device' }).tryAcquire();
    const info = owner.surfaceInfo();
    const array = { __cuda_array_interface__: { data: [info.dataPtr, false] as [bigint, boolean], shape: [240, 320, 4], strides: [info.pitch, 4, 1], typestr: '|u1', version: 3 } };
    const foreign = SurfaceView.fromCudaArray(array);
    expect([foreign.width, foreign.height, foreign.pitch, foreign.format, foreign.memType]).toEqual([320, 240, info.pitch, 'RGBA', 'cuda_device']);
    expect(foreign.dataPtr).toBe(info.dataPtr);
    await foreign.fill([5, 6, 7, 8]);
    const seen = await SurfaceView.fromBuffer(owner).download();
    expect([...seen.subarray(0, 4), ...seen.subarray(-4)]).toEqual([5, 6, 7, 8, 5, 6, 7, 8]);
    const scaled = await new BufferGenerator(VideoFormat.RGBA, 64, 64, { memType: 'cuda_device' }).transform(foreign.sharedBuffer());
    expect([...(await SurfaceView.fromBuffer(scaled).download()).subarray(32 * 64 * 4, 32 * 64 * 4 + 4)]).toEqual([5, 6, 7, 8]);
    // Released, the foreign view frees nothing: the owner's memory still reads.
    foreign.release();
    expect((await SurfaceView.fromBuffer(owner).download())[1]).toBe(6);
    const gray = SurfaceView.fromCudaArray({ data: info.dataPtr, shape: [240, 320], strides: [info.pitch, 1], typestr: '|u1' });
    expect([gray.format, gray.channels]).toEqual(['GRAY8', 1]);
  });

  it('fromCudaArray checks the description before it reaches CUDA', () => {
    const bad = (description: object) => codeOf(() => SurfaceView.fromCudaArray(description as never));
    expect(bad({ data: 4096n, shape: [2, 2, 3], typestr: '|u1' })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(bad({ data: 4096n, shape: [2, 2, 4], typestr: '<f4' })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(bad({ data: 4096n, shape: [2, 2, 4], strides: [4, 4, 1] })).toBe(ErrorCode.INVALID_ARGUMENT); // rows shorter than 2 pixels
    expect(bad({ data: 4096n, shape: [2, 2, 4], strides: [8, 1, 2] })).toBe(ErrorCode.INVALID_ARGUMENT); // planar
    expect(bad({ data: 0n, shape: [2, 2, 4] })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => SurfaceView.fromCudaArray({ data: 'x' } as never)).toThrow(TypeError);
    if (!hasGpu) expect(bad({ data: 4096n, shape: [2, 2, 4] })).toBe(ErrorCode.CUDA_UNAVAILABLE);
  });

  it('a CUDA stream for a view of host memory is a typed error', () => {
    const buffer = new BufferGenerator(VideoFormat.RGBA, 16, 16, { memType: 'system' }).tryAcquire();
    expect(SurfaceView.fromBuffer(buffer, 0, 0n).cudaStream).toBe(0n);
    expect(codeOf(() => SurfaceView.fromBuffer(buffer, 0, 7n))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => SurfaceView.fromBuffer(buffer, 0, -1n))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => SurfaceView.fromBuffer(buffer, 0, 7 as unknown as bigint)).toThrow(TypeError);
  });

  it('rejects bad GPU ids before reaching the driver', () => {
    expect(codeOf(() => initCuda(-1))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => hasNvenc(1.5))).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});
