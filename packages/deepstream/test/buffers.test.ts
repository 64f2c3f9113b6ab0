import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { BufferGenerator, ErrorCode, MemType, NonUniformBatch, SurfaceView, transformPlacement, UniformBatchGenerator, VideoFormat } from '../src/index.js';
import { codeOf } from './support/code-of.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage, and lets napi finalizers run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

describe('BufferGenerator pools', () => {
  it('returns a buffer viewed through a SurfaceView once the view is released too', () => {
    const gen = new BufferGenerator(VideoFormat.RGBA, 8, 8, { poolSize: 1 });
    const buffer = gen.tryAcquire();
    const view = SurfaceView.fromBuffer(buffer);
    view.fillSync([1, 2, 3, 4]);
    buffer.release();
    // The view still holds the pixels: the pool stays empty.
    expect(codeOf(() => gen.tryAcquire())).toBe(ErrorCode.POOL_EXHAUSTED);
    expect([...view.downloadSync().subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    view.release();
    expect(codeOf(() => view.downloadSync())).toBe(ErrorCode.CONSUMED);
    expect(codeOf(() => view.width)).toBe(ErrorCode.CONSUMED);
    gen.tryAcquire().release();
  });

  it('is bounded: tryAcquire fails when exhausted, acquire waits without blocking the event loop', async () => {
    const gen = new BufferGenerator(VideoFormat.RGBA, 64, 48, { poolSize: 2 });
    expect([gen.format, gen.width, gen.height, gen.poolSize, gen.memType]).toEqual(['RGBA', 64, 48, 2, 'system']);
    const a = gen.tryAcquire();
    const b = gen.tryAcquire({ id: 7n, ptsNs: 1000, durationNs: 33n });
    expect(gen.available).toBe(0);
    expect(codeOf(() => gen.tryAcquire())).toBe(ErrorCode.POOL_EXHAUSTED);
    let resolved = false;
    const waiting = gen.acquire({ id: 9 }).then((buf) => {
      resolved = true;
      return buf;
    });
    // The event loop keeps turning while the acquire waits.
    await new Promise((r) => setTimeout(r, 50));
    expect(resolved).toBe(false);
    a.release();
    const c = await waiting;
    expect(c.savantIds()).toEqual([{ kind: 'frame', id: 9n }]);
    expect([b.ptsNs, b.durationNs]).toEqual([1000n, 33n]);
    expect(b.savantIds()).toEqual([{ kind: 'frame', id: 7n }]);
    b.release();
    c.release();
    expect(gen.available).toBe(2);
  });

  it('100,000 acquire/release cycles leave memory where it started', async () => {
    const gen = new BufferGenerator(VideoFormat.RGBA, 1920, 1080, { poolSize: 4 });
    const cycle = (n: number) => {
      for (let i = 0; i < n; i++) {
        const buf = gen.tryAcquire({ id: BigInt(i), ptsNs: i });
        buf.release();
      }
    };
    cycle(100_000); // warm up: V8 and the allocators settle during the first round
    await collect();
    const before = process.memoryUsage().rss;
    cycle(100_000);
    for (let i = 0; i < 1000; i++) (await gen.acquire()).release();
    await collect();
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`100,000 acquire/release cycles of 1080p RGBA: RSS grew ${grown.toFixed(1)} MiB`);
    // One leaked 1080p RGBA buffer is 8 MiB; 100 bytes leaked per cycle would be 10 MiB.
    expect(grown).toBeLessThan(8);
    expect(gen.available).toBe(4);
  });

  it('uses of a released buffer are typed errors', () => {
    const gen = new BufferGenerator('rgba', 16, 16);
    const buf = gen.tryAcquire();
    buf.release();
    expect(buf.isConsumed).toBe(true);
    expect(codeOf(() => buf.ptsNs)).toBe(ErrorCode.CONSUMED);
    expect(codeOf(() => SurfaceView.fromBuffer(buf))).toBe(ErrorCode.CONSUMED);
    buf.release(); // twice is fine
  });

  it('keeps 128-bit ids and refuses bad ones', () => {
    const gen = new BufferGenerator(VideoFormat.GRAY8, 16, 16);
    const buf = gen.tryAcquire();
    const big = (1n << 127n) + 12345n;
    buf.setSavantIds([
      { kind: 'frame', id: big },
      { kind: 'batch', id: 0n },
    ]);
    expect(buf.savantIds()).toEqual([
      { kind: 'frame', id: big },
      { kind: 'batch', id: 0n },
    ]);
    expect(() => buf.setSavantIds([{ kind: 'frame', id: -1n }])).toThrow(RangeError);
    expect(() => buf.setSavantIds([{ kind: 'frame', id: 1n << 128n }])).toThrow(RangeError);
    expect(codeOf(() => buf.setSavantIds([{ kind: 'slice' as never, id: 1n }]))).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  it('rejects bad construction with typed errors', () => {
    expect(codeOf(() => new BufferGenerator('YUY2', 16, 16))).toBe(ErrorCode.UNKNOWN_NAME);
    expect(codeOf(() => new BufferGenerator('RGBA', 0, 16))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => new BufferGenerator('RGBA', 100_000, 16))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => new BufferGenerator('RGBA', 16, 16, { poolSize: 0 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => new BufferGenerator('RGBA', 16.5, 16)).toThrow(RangeError);
    expect(codeOf(() => new BufferGenerator('UYVY', 15, 16))).toBe(ErrorCode.UNSUPPORTED_FORMAT);
    expect(codeOf(() => new BufferGenerator('RGBA', 16, 16, { memType: 'surface_array' }))).toBe(ErrorCode.CUDA_UNAVAILABLE);
    expect(MemType.fromName('SYSTEM')).toBe('system');
    expect(codeOf(() => MemType.fromName('vram'))).toBe(ErrorCode.UNKNOWN_NAME);
  });
});

describe('SurfaceView', () => {
  it('fills, uploads, downloads and describes a surface', () => {
    const gen = new BufferGenerator(VideoFormat.RGBA, 4, 2);
    const buf = gen.tryAcquire();
    const view = SurfaceView.fromBuffer(buf);
    expect([view.width, view.height, view.pitch, view.channels, view.format]).toEqual([4, 2, 16, 4, 'RGBA']);
    view.fillSync([1, 2, 3, 4]);
    expect(Array.from(view.downloadSync().subarray(0, 8))).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    const data = Uint8Array.from({ length: 32 }, (_, i) => i);
    view.uploadSync(data);
    const out = new Uint8Array(32);
    view.downloadIntoSync(out);
    expect(out).toEqual(data);
    view.memsetSync(255);
    expect(view.downloadSync().every((b) => b === 255)).toBe(true);
    const d = view.surfaceInfo();
    expect(d.dataPtr).toBeGreaterThan(0n);
    expect([d.pitch, d.width, d.height, d.memType, d.cudaStream]).toEqual([16, 4, 2, 'system', 0n]);
    expect(codeOf(() => view.fillSync([1, 2, 3]))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => view.uploadSync(new Uint8Array(31)))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => view.fillSync([256, 0, 0, 0])).toThrow(RangeError);
    expect(codeOf(() => SurfaceView.fromBuffer(buf, 1))).toBe(ErrorCode.SLOT_OUT_OF_RANGE);
    // The view keeps the buffer: releasing the handle does not free it.
    buf.release();
    expect(gen.available).toBe(gen.poolSize - 1);
    expect(view.downloadSync()).toHaveLength(32);
  });

  it('fills, uploads and downloads off the JS thread: the event loop runs while a 64 MiB copy is in flight', async () => {
    const gen = new BufferGenerator(VideoFormat.RGBA, 4096, 4096, { poolSize: 1 });
    const view = SurfaceView.fromBuffer(await gen.acquire());
    await view.fill([9, 8, 7, 6]);
    let ticks = 0;
    const ticking = setInterval(() => (ticks += 1), 0);
    const pending = view.download();
    const before = ticks;
    const pixels = await pending;
    clearInterval(ticking);
    expect(before).toBe(0); // the call returned before the copy was made
    expect(pixels.length).toBe(4096 * 4096 * 4);
    expect([...pixels.subarray(-4)]).toEqual([9, 8, 7, 6]);
    const data = Uint8Array.from({ length: pixels.length }, (_, i) => i % 251);
    const upload = view.upload(data);
    data.fill(0); // copied before upload() returned: the caller may reuse it
    await upload;
    expect((await view.download())[1000]).toBe(1000 % 251);
    await view.memset(3);
    expect(view.downloadSync()[5]).toBe(3);
    await expect(view.fill([1, 2, 3])).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(view.upload(new Uint8Array(3))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(view.fill([256, 0, 0, 0])).rejects.toThrow(RangeError);
    // A copy in flight keeps its buffer even when the view is released.
    const last = view.download();
    view.release();
    expect((await last).length).toBe(4096 * 4096 * 4);
    await expect(view.download()).rejects.toMatchObject({ code: ErrorCode.CONSUMED });
  });

  it('treats planar formats as planes', () => {
    const view = SurfaceView.fromBuffer(new BufferGenerator(VideoFormat.NV12, 6, 4).tryAcquire());
    expect(view.channels).toBeNull();
    // Black: Y = 16, UV = 128 (limited range).
    expect(Array.from(view.downloadSync())).toEqual([...Array(24).fill(16), ...Array(12).fill(128)]);
    expect(codeOf(() => view.fillSync([0]))).toBe(ErrorCode.UNSUPPORTED_FORMAT);
  });
});

describe('batches', () => {
  it('a uniform batch is finalized once, with its ids', async () => {
    const gen = new UniformBatchGenerator(VideoFormat.GRAY8, 32, 32, 4, { poolSize: 1 });
    const batch = await gen.acquireBatch({}, [{ kind: 'batch', id: 5n }]);
    expect(codeOf(() => gen.tryAcquireBatch())).toBe(ErrorCode.POOL_EXHAUSTED);
    batch.memsetSlot(0, 7);
    batch.uploadSlot(2, new Uint8Array(32 * 32).fill(9));
    expect(batch.numFilled).toBe(2);
    expect(codeOf(() => batch.sharedBuffer())).toBe(ErrorCode.BATCH_STATE);
    expect(codeOf(() => batch.memsetSlot(4, 0))).toBe(ErrorCode.SLOT_OUT_OF_RANGE);
    batch.finalize();
    expect(codeOf(() => batch.finalize())).toBe(ErrorCode.BATCH_STATE);
    expect(codeOf(() => batch.memsetSlot(1, 0))).toBe(ErrorCode.BATCH_STATE);
    const buf = batch.sharedBuffer();
    // Filled up to the last slot written.
    expect([buf.batchSize, buf.numFilled]).toEqual([4, 3]);
    expect(buf.savantIds()).toEqual([{ kind: 'batch', id: 5n }]);
    expect(batch.view(2).downloadSync()[0]).toBe(9);
  });

  it('a released batch goes back to its pool at once, and is unusable after', async () => {
    const gen = new UniformBatchGenerator(VideoFormat.RGBA, 16, 16, 2, { poolSize: 1 });
    for (let round = 0; round < 3; round++) {
      const batch = await gen.acquireBatch({});
      batch.memsetSlot(0, round);
      batch.finalize();
      const view = batch.view(0);
      expect(view.downloadSync()[0]).toBe(round);
      view.release();
      batch.release();
      expect(codeOf(() => batch.memsetSlot(0, 1))).toBe(ErrorCode.CONSUMED);
      expect(gen.available).toBe(1); // not waiting for the garbage collector
    }
  });

  it('transformPlacement says where a transform puts the picture, as frame-model steps', () => {
    const p = transformPlacement(800, 600, 800, 800);
    expect(p.letterBox).toEqual({ kind: 'letter_box', outerWidth: 800, outerHeight: 800, left: 0, top: 100, right: 0, bottom: 100 });
    const cut = transformPlacement(1920, 1080, 640, 640, { padding: 'right_bottom' }, { top: 100, left: 200, width: 800, height: 600 });
    expect(cut.crop).toEqual({ left: 200, top: 100, right: 920, bottom: 380 });
    expect(cut.dst).toEqual({ top: 0, left: 0, width: 640, height: 480 });
    expect(codeOf(() => transformPlacement(100, 100, 10, 10))).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  it('a non-uniform batch references its sources without copying', () => {
    const small = new BufferGenerator(VideoFormat.RGBA, 8, 8).tryAcquire();
    const gray = new BufferGenerator(VideoFormat.GRAY8, 20, 10).tryAcquire();
    const views = [SurfaceView.fromBuffer(small), SurfaceView.fromBuffer(gray)];
    const batch = new NonUniformBatch();
    views.forEach((v) => batch.add(v));
    const buf = batch.finalize([{ kind: 'batch', id: 1n }]);
    expect(buf.batchSize).toBe(2);
    expect(buf.surfaceInfo(1)).toMatchObject({ width: 20, height: 10, format: 'GRAY8', dataPtr: views[1]!.dataPtr });
    expect(buf.surfaceInfo(0).dataPtr).toBe(views[0]!.dataPtr);
    expect(codeOf(() => batch.finalize())).toBe(ErrorCode.BATCH_STATE);
    expect(codeOf(() => new NonUniformBatch().finalize())).toBe(ErrorCode.BATCH_STATE);
  });
});
