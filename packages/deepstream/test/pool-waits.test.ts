// Waiting for a pool never hangs silently: JS has no reference counting, so
// a loop that drops buffers without release() exhausts its pool. Waits are
// first come, first served, bounded by timeoutMs or an AbortSignal (a waiter
// that gives up never takes a buffer later), their number is capped, and a
// long wait is counted (and logged with PROJ_LOG=warn) and reported as a
// process warning after 3 s.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BufferGenerator, ErrorCode, SharedBuffer, UniformBatchGenerator, VideoFormat } from '../src/index.js';

const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );

describe('waits for a free buffer', () => {
  it('end with ERR_PROJ_TIMEOUT when buffers are never released (the usual first mistake)', async () => {
    const generator = new BufferGenerator(VideoFormat.RGBA, 64, 64, { poolSize: 2 });
    const src = generator.tryAcquire();
    const kept: SharedBuffer[] = [];
    // Results dropped without release(): the pool empties...
    kept.push(await generator.transform(src, undefined, { timeoutMs: 1000 }));
    // ...and the next transform says so instead of hanging.
    const started = Date.now();
    expect(await codeOf(generator.transform(src, undefined, { timeoutMs: 200 }))).toBe(ErrorCode.TIMEOUT);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(generator.waiting).toBe(0);
    // A timed-out waiter takes nothing later: the released buffer is free.
    kept.pop()!.release();
    expect(generator.available).toBe(1);
  });

  it('end with ERR_PROJ_ABORTED on their AbortSignal, and an aborted waiter never takes a buffer', async () => {
    const generator = new BufferGenerator(VideoFormat.RGBA, 16, 16, { poolSize: 1 });
    const held = generator.tryAcquire();
    const controller = new AbortController();
    const aborted = generator.acquire({ signal: controller.signal });
    const next = generator.acquire();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(generator.waiting).toBe(2);
    controller.abort();
    expect(await codeOf(aborted)).toBe(ErrorCode.ABORTED);
    held.release();
    const got = await next; // the buffer went past the aborted waiter
    expect(got).toBeInstanceOf(SharedBuffer);
    expect(generator.waiting).toBe(0);
    // An already aborted signal rejects at once.
    expect(await codeOf(generator.acquire({ signal: controller.signal }))).toBe(ErrorCode.ABORTED);
    got.release();
  });

  it('are served in the order they were made', async () => {
    const generator = new BufferGenerator(VideoFormat.RGBA, 16, 16, { poolSize: 1 });
    let held = generator.tryAcquire();
    const order: number[] = [];
    const waiters = Array.from({ length: 20 }, (_, i) =>
      generator.acquire().then((buffer) => {
        order.push(i);
        return buffer;
      }),
    );
    for (let i = 0; i < 20; i += 1) {
      held.release();
      held = await waiters[i]!;
    }
    held.release();
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('are capped: past 1024 waiters a pool answers ERR_PROJ_QUEUE_FULL', async () => {
    const generator = new UniformBatchGenerator(VideoFormat.RGBA, 8, 8, 2, { poolSize: 1 });
    const held = generator.tryAcquireBatch();
    const controller = new AbortController();
    const waiters = Array.from({ length: 1024 }, () => generator.acquireBatch(undefined, undefined, { signal: controller.signal }).catch((e: { code?: string }) => e.code));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(generator.waiting).toBe(1024);
    expect(await codeOf(generator.acquireBatch())).toBe(ErrorCode.QUEUE_FULL);
    controller.abort();
    expect(new Set(await Promise.all(waiters))).toEqual(new Set([ErrorCode.ABORTED]));
    expect(generator.waiting).toBe(0);
    void held;
  });

  it('that last longer than 3 s are counted as stalls and reported as a process warning', async () => {
    const warnings: string[] = [];
    const listener = (w: Error & { code?: string }) => warnings.push(w.code ?? w.name);
    process.on('warning', listener);
    const generator = new BufferGenerator(VideoFormat.RGBA, 16, 16, { poolSize: 1 });
    const held = generator.tryAcquire();
    const waiter = generator.acquire();
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(generator.stalledWaits).toBe(1);
    held.release();
    (await waiter).release();
    process.off('warning', listener);
    expect(warnings).toEqual(['PROJ_POOL_STALL']);
  });

  it('make a script whose every buffer is held say so (it was silent)', async () => {
    const index = join(import.meta.dirname, '..', 'dist', 'index.js');
    const script = `import { BufferGenerator } from ${JSON.stringify(index)};
      const generator = new BufferGenerator('RGBA', 16, 16, { poolSize: 1 });
      const held = generator.tryAcquire();
      await generator.acquire();`;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no warning in 15 s; stderr: ${stderr}`)), 15_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('every buffer of the pool is held')) {
          clearTimeout(deadline);
          resolve();
        }
      });
      child.on('exit', () => {
        clearTimeout(deadline);
        resolve();
      });
    });
    child.kill();
    expect(stderr).toContain('PROJ_POOL_STALL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });
});

describe('a decoder whose output buffers are all held', () => {
  it('says so loudly (an event output and a PROJ_POOL_STALL warning), and goes on once they are released', async () => {
    const { FlexibleDecoder, FlexibleDecoderConfig, FrameOutput, MemType, VideoFrame } = await import('../src/index.js');
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === 'PROJ_POOL_STALL') warnings.push(w.message);
    };
    process.on('warning', onWarning);
    const [w, h] = [64, 48];
    const held: Array<{ release(): void }> = [];
    const events: string[] = [];
    let frames = 0;
    const decoder = new FlexibleDecoder(new FlexibleDecoderConfig('held', 0, 2).withMemType(MemType.SYSTEM), (output) => {
      if (output.kind === 'event') events.push((output as unknown as { summary: string }).summary);
      if (!(output instanceof FrameOutput)) return;
      frames += 1;
      // The usual mistake: the buffer taken and kept, never released.
      const delivery = output.takeDelivery()!;
      void delivery.unseal().then(([, buffer]) => held.push(buffer));
    });
    const picture = new Uint8Array(w * h * 4).fill(90);
    const frame = (i: number) => new VideoFrame({ sourceId: 'held', width: w, height: h, codec: 'raw_rgba', pts: BigInt(i) * 40_000_000n, keyframe: true });
    // Two frames fill the pool of two; the third waits.
    await decoder.submit(frame(0), picture);
    await decoder.submit(frame(1), picture);
    const third = decoder.submit(frame(2), picture);
    const started = Date.now();
    while (warnings.length === 0 && Date.now() - started < 15_000) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warnings[0]).toMatch(/waited 5 s for a free output buffer/);
    expect(events.some((e) => e.startsWith('stalled:'))).toBe(true);
    for (const b of held.splice(0)) b.release();
    await third;
    await decoder.gracefulShutdown();
    for (const b of held.splice(0)) b.release();
    process.off('warning', onWarning);
    expect(frames).toBe(3);
  }, 30_000);
});
