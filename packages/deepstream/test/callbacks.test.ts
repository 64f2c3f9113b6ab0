// The JS callbacks the decoders call, when they misbehave: a decoder-config
// callback that throws or answers for another codec leaves the default
// config (the frames still decode), an eviction callback that throws
// evicts, a decoder-config callback that gives no answer in 10 s is logged
// and the default used, and a delivery that stays sealed rejects
// unseal({ timeoutMs }).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { encodeStream } from '../../gstreamer/test/support/streams.js';
import {
  DecoderConfig,
  ErrorCode,
  FlexibleDecoder,
  FlexibleDecoderConfig,
  FlexibleDecoderPool,
  FlexibleDecoderPoolConfig,
  FrameOutput,
  JpegDecoderConfig,
  MemType,
  type SealedDelivery,
  VideoFrame,
} from '../src/index.js';

const h264 = encodeStream({ codec: 'h264', frames: 10, width: 160, height: 120 });
const frameOf = (i: number, sourceId = 'cam') => {
  const f = h264.frames[i]!;
  return new VideoFrame({ sourceId, width: h264.width, height: h264.height, codec: 'h264', pts: f.ptsNs, dts: f.dtsNs, keyframe: f.keyframe });
};

async function decodeWith(callback: (config: DecoderConfig) => DecoderConfig): Promise<{ frames: number; calls: number }> {
  let calls = 0;
  let frames = 0;
  const config = new FlexibleDecoderConfig('cam', 0, 4)
    .withMemType(MemType.SYSTEM)
    .withDecoderConfigCallback((c) => {
      calls += 1;
      return callback(c);
    });
  const decoder = new FlexibleDecoder(config, (output) => {
    if (output instanceof FrameOutput) frames += 1;
  });
  for (let i = 0; i < h264.frames.length; i++) await decoder.submit(frameOf(i), h264.frames[i]!.data);
  await decoder.gracefulShutdown();
  return { frames, calls };
}

describe('misbehaving callbacks', () => {
  it('a decoder-config callback that throws leaves the default config', async () => {
    const result = await decodeWith(() => {
      throw new Error('a bug in the callback');
    });
    expect(result).toEqual({ frames: h264.frames.length, calls: 1 });
  });

  it('a decoder-config callback that answers for another codec leaves the default config', async () => {
    const result = await decodeWith(() => DecoderConfig.fromJpeg(JpegDecoderConfig.cpu()));
    expect(result).toEqual({ frames: h264.frames.length, calls: 1 });
  });

  it('a decoder-config callback that gives no answer in 10 s: the decoder goes on with the default and says so', () => {
    const child = path.join(import.meta.dirname, 'fixtures', 'config-timeout-child.cjs');
    const run = (blockMs: number) =>
      spawnSync(process.execPath, [child], { env: { ...process.env, PROJ_LOG: 'warn', BLOCK_MS: String(blockMs) }, encoding: 'utf8', timeout: 60_000 });
    const late = run(10_500);
    expect(JSON.parse(late.stdout)).toEqual({ frames: 3, calls: 1 });
    expect(late.stderr).toContain('a callback gave no answer in 10 s');
    // The control: an answer within the wait is taken without a word.
    const prompt = run(0);
    expect(JSON.parse(prompt.stdout)).toEqual({ frames: 3, calls: 1 });
    expect(prompt.stderr).not.toContain('gave no answer');
  }, 60_000);

  it('an eviction callback that throws evicts the idle source', async () => {
    let asked = 0;
    const pool = new FlexibleDecoderPool(new FlexibleDecoderPoolConfig(0, 4, 150).withMemType(MemType.SYSTEM), undefined, () => {
      asked += 1;
      throw new Error('a bug in the callback');
    });
    for (let i = 0; i < 3; i++) await pool.submit(frameOf(i), h264.frames[i]!.data);
    expect(pool.streamCount).toBe(1);
    const started = Date.now();
    while (pool.streamCount > 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(pool.streamCount).toBe(0);
    expect(asked).toBeGreaterThanOrEqual(1);
    await pool.shutdown();
  });

  it('unseal({ timeoutMs }) rejects while the output is held, and resolves once it is let go', async () => {
    const deliveries: SealedDelivery[] = [];
    // A pool with room for every frame: the decoder never waits here.
    const decoder = new FlexibleDecoder(new FlexibleDecoderConfig('cam', 0, 16).withMemType(MemType.SYSTEM), (output) => {
      if (output instanceof FrameOutput) deliveries.push(output.takeDelivery()!);
    });
    // An iterator that has not moved on holds each output (and its seal).
    const iterator = decoder.outputs();
    // Fed in the background: with every output held, the decoder soon waits.
    const feeding = (async () => {
      for (let i = 0; i < h264.frames.length; i++) await decoder.submit(frameOf(i), h264.frames[i]!.data);
    })().catch(() => undefined);
    while (deliveries.length < 2) await new Promise((r) => setTimeout(r, 10));
    const first = deliveries[0]!;
    await expect(first.unseal({ timeoutMs: 50 })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    const opened = first.unseal({ timeoutMs: 5000 });
    // The iterator reaches the first frame's output (after events such as
    // caps), then moves on: that output's seal is released.
    for (;;) {
      const { value } = await iterator.next();
      if (value instanceof FrameOutput) break;
    }
    await iterator.next();
    const [frame, buffer] = await opened;
    expect(frame.pts).toBe(h264.frames[0]!.ptsNs);
    buffer.release();
    await iterator.return?.();
    await decoder.shutdown();
    await feeding;
  });
});
