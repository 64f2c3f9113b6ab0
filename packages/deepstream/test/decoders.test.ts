// FlexibleDecoder and FlexibleDecoderPool from JavaScript: outputs on the
// JS thread through the callback and as an async iterator, pixels against
// ffmpeg's decode, back-pressure from the output pool, the pool's routing
// and eviction, and typed errors.
import { describe, expect, it } from 'vitest';

import { psnr } from '../../gstreamer/test/support/pictures.js';

import { type EncodedStream, encodeStream } from '../../gstreamer/test/support/streams.js';
import { run } from '../../gstreamer/test/support/tools.js';
import {
  DecoderConfig,
  ErrorCode,
  EvictionDecision,
  FlexibleDecoder,
  FlexibleDecoderConfig,
  type FlexibleDecoderOutput,
  FlexibleDecoderPool,
  FlexibleDecoderPoolConfig,
  FrameOutput,
  MemType,
  SkippedOutput,
  SurfaceView,
  VideoFrame,
} from '../src/index.js';

const h264 = encodeStream({ codec: 'h264', frames: 40, width: 320, height: 240 });

function frameOf(stream: EncodedStream, i: number, sourceId = 'cam'): VideoFrame {
  const f = stream.frames[i]!;
  return new VideoFrame({ sourceId, width: stream.width, height: stream.height, codec: stream.codec, pts: f.ptsNs, dts: f.dtsNs, keyframe: f.keyframe });
}

/** Collects the codes of process warnings until `stop()`. */
function collectWarnings(): { seen: string[]; stop(): string[] } {
  const codes: string[] = [];
  const listener = (w: Error & { code?: string }) => codes.push(w.code ?? w.name);
  process.on('warning', listener);
  return {
    seen: codes,
    stop: () => {
      process.off('warning', listener);
      return codes;
    },
  };
}

const config = (sourceId = 'cam', poolSize = 4) => new FlexibleDecoderConfig(sourceId, 0, poolSize).withMemType(MemType.SYSTEM);

describe('FlexibleDecoder', () => {
  it('decodes H.264 with B-frames on the JS thread, matching ffmpeg (PSNR ≥ 40 dB)', async () => {
    const reference = run('ffmpeg', ['-v', 'error', '-i', h264.source, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-']);
    const size = h264.width * h264.height * 4;
    const pictures = new Map<bigint, Uint8Array>();
    const kinds: string[] = [];
    const decoder = new FlexibleDecoder(config(), (output) => {
      kinds.push(output.kind);
      const frame = output.asFrame();
      if (!frame) return;
      expect(frame.decodedFrame.frameId).toBe(frame.frame.uuid);
      const delivery = frame.takeDelivery()!;
      // Sealed while the callback runs (and until the iterator moves on).
      expect(delivery.isReleased()).toBe(false);
      expect(delivery.tryUnseal()).toBeNull();
      expect(frame.takeDelivery()).toBeNull();
      void delivery.unseal().then(([, buffer]) => buffer.release());
    });
    const iterator = decoder.outputs();
    const consumed = (async () => {
      for await (const output of iterator) {
        // The callback took the buffer before the iterator saw the output.
        if (output.isFrame) expect(output.asFrame()!.decodedFrame.hasBuffer).toBe(false);
      }
    })();
    for (let i = 0; i < h264.frames.length; i++) await decoder.submit(frameOf(h264, i), h264.frames[i]!.data);
    await decoder.gracefulShutdown();
    await consumed;
    expect(kinds.filter((k) => k === 'frame')).toHaveLength(h264.frames.length);
    expect(decoder.isShutDown).toBe(true);
    await expect(decoder.submit(frameOf(h264, 0), h264.frames[0]!.data)).rejects.toMatchObject({ code: ErrorCode.SHUT_DOWN });

    // Pixels, through deliveries unsealed after the callback returned; the
    // pool of 4 keeps going because views and buffers are released.
    const second = new FlexibleDecoder(config('cam', 4));
    const collected = (async () => {
      for await (const output of second) {
        if (!(output instanceof FrameOutput)) continue;
        const delivery = output.takeDelivery()!;
        const done = delivery.unseal();
        output.release();
        const [frame, buffer] = await done;
        const view = SurfaceView.fromBuffer(buffer);
        pictures.set(frame.pts, view.downloadSync());
        view.release();
        buffer.release();
      }
    })();
    for (let i = 0; i < h264.frames.length; i++) await second.submit(frameOf(h264, i), h264.frames[i]!.data);
    await second.gracefulShutdown();
    await collected;
    const ordered = [...pictures.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, p]) => p);
    expect(ordered).toHaveLength(reference.length / size);
    const worst = Math.min(...ordered.map((p, i) => psnr(p, reference.subarray(i * size, (i + 1) * size))));
    console.log(`H.264 through JS: ${ordered.length} frames, worst PSNR against ffmpeg ${worst.toFixed(1)} dB`);
    expect(worst).toBeGreaterThanOrEqual(40);
  });

  it('reports a picture no submitted frame matches as an OrphanFrameOutput with its pixels', async () => {
    // One submission carrying two access units (the IDR and the next
    // frame in decode order): the second picture belongs to no frame.
    const [first, second] = [h264.frames[0]!, h264.frames[1]!];
    const both = new Uint8Array(first.data.length + second.data.length);
    both.set(first.data);
    both.set(second.data, first.data.length);
    const outputs: { kind: string; pts: bigint; frameId: string | null; pixels: Uint8Array | null }[] = [];
    const decoder = new FlexibleDecoder(config(), (output) => {
      const orphan = output.asOrphanFrame();
      const frame = output.asFrame();
      if (!orphan && !frame) return;
      const buffer = orphan ? orphan.takeBuffer() : null;
      const view = buffer ? SurfaceView.fromBuffer(buffer) : null;
      const d = (orphan ?? frame)!.decodedFrame;
      outputs.push({ kind: output.kind, pts: d.ptsNs, frameId: d.frameId, pixels: view?.downloadSync() ?? null });
      view?.release();
      buffer?.release();
    });
    await decoder.submit(frameOf(h264, 0), both);
    await decoder.gracefulShutdown();
    expect(outputs.map((o) => o.kind)).toEqual(['frame', 'orphan_frame']);
    const orphan = outputs[1]!;
    expect(orphan.frameId).toBeNull();
    // Its pixels are the second picture in decode order, as ffmpeg decodes it.
    const displayIndex = h264.frames.map((f) => f.ptsNs).sort((a, b) => (a < b ? -1 : 1)).indexOf(second.ptsNs);
    const size = h264.width * h264.height * 4;
    const reference = run('ffmpeg', ['-v', 'error', '-i', h264.source, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-']);
    const quality = psnr(orphan.pixels!, reference.subarray(displayIndex * size, (displayIndex + 1) * size));
    console.log(`orphan picture (display index ${displayIndex}) vs ffmpeg: ${quality.toFixed(1)} dB`);
    expect(quality).toBeGreaterThanOrEqual(35);
  });

  it('waits when the consumer holds every output buffer, and goes on when it lets go', async () => {
    const held: Array<() => void> = [];
    const decoder = new FlexibleDecoder(config('cam', 2), (output) => {
      const delivery = output.asFrame()?.takeDelivery();
      if (delivery) held.push(() => void delivery.unseal().then(([, buffer]) => buffer.release()));
    });
    let submitted = 0;
    const feeding = (async () => {
      for (let i = 0; i < h264.frames.length; i++) {
        await decoder.submit(frameOf(h264, i), h264.frames[i]!.data);
        submitted += 1;
      }
    })();
    // The event loop keeps running while the decoder waits.
    const stalledAt = await new Promise<number>((resolve) => {
      let last = -1;
      const check = setInterval(() => {
        if (submitted === last) {
          clearInterval(check);
          resolve(submitted);
        }
        last = submitted;
      }, 300);
    });
    expect(held.length).toBe(2);
    expect(stalledAt).toBeLessThan(h264.frames.length);
    // Let go of everything, now and from now on.
    const releaseAll = setInterval(() => held.splice(0).forEach((release) => release()), 5);
    await feeding;
    await decoder.gracefulShutdown();
    clearInterval(releaseAll);
    expect(submitted).toBe(h264.frames.length);
  });

  it('shares one graceful shutdown between concurrent calls', async () => {
    const decoder = new FlexibleDecoder(config('cam', 4));
    for (let i = 0; i < 3; i++) await decoder.submit(frameOf(h264, i), h264.frames[i]!.data);
    const [first, second] = [decoder.gracefulShutdown(), decoder.gracefulShutdown()];
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(decoder.gracefulShutdown()).resolves.toBeUndefined();
    expect(decoder.isShutDown).toBe(true);
  });

  it('refuses to hand out a delivery after its callback returned, instead of losing it silently', async () => {
    const kept: FrameOutput[] = [];
    const decoder = new FlexibleDecoder(config('cam', 4), (output) => {
      if (output instanceof FrameOutput) kept.push(output);
    });
    for (let i = 0; i < 3; i++) await decoder.submit(frameOf(h264, i), h264.frames[i]!.data);
    await decoder.gracefulShutdown();
    expect(kept).toHaveLength(3);
    for (const output of kept) {
      expect(() => output.takeDelivery()).toThrow(expect.objectContaining({ code: ErrorCode.CONSUMED }));
    }
  });

  it('ends an outputs() iterator that falls maxQueued behind (ERR_PROJ_QUEUE_FULL, buffers released), and warns first', async () => {
    const warnings = collectWarnings();
    let frames = 0;
    const decoder = new FlexibleDecoder(config('cam', 4), (o) => {
      if (o.isFrame) frames += 1;
    });
    const unread = decoder.outputs({ maxQueued: 72 });
    const aborted = new AbortController();
    const stopped = decoder.outputs({ signal: aborted.signal });
    aborted.abort();
    expect(await stopped.next()).toEqual({ value: undefined, done: true });
    // 70 skipped outputs (no payload), then frames: the third frame would
    // be the 73rd unread output, which ends the iterator and lets its
    // pool buffers go, so decoding goes on.
    for (let i = 0; i < 70; i += 1) await decoder.submit(frameOf(h264, 0));
    for (let i = 0; i < h264.frames.length; i += 1) await decoder.submit(frameOf(h264, i), h264.frames[i]!.data);
    await decoder.gracefulShutdown();
    expect(frames).toBe(h264.frames.length);
    expect(warnings.stop()).toContain('PROJ_OUTPUTS_UNREAD');
    await expect(unread.next()).rejects.toMatchObject({ code: ErrorCode.QUEUE_FULL });
    expect(() => decoder.outputs({ maxQueued: 0 })).toThrow(RangeError);
  });

  it('says so when an outputs() iterator nobody reads pins the pool, and goes on when it is returned', async () => {
    const warnings = collectWarnings();
    const decoder = new FlexibleDecoder(config('cam', 2), () => {});
    const unread = decoder.outputs();
    const submits = h264.frames.slice(0, 6).map((f, i) => decoder.submit(frameOf(h264, i), f.data));
    // The iterator's own warning (5 s unread), and the decoder's: it has
    // waited 5 s for a buffer the unread outputs hold.
    const started = Date.now();
    while (warnings.seen.length < 2 && Date.now() - started < 12_000) await new Promise((r) => setTimeout(r, 100));
    expect(warnings.stop().sort()).toEqual(['PROJ_OUTPUTS_UNREAD', 'PROJ_POOL_STALL']);
    await unread.return!();
    await Promise.all(submits);
    await decoder.gracefulShutdown();
  }, 20_000);

  it('reports bad frames as skipped outputs with reasons and rejects bad arguments with typed errors', async () => {
    const outputs: FlexibleDecoderOutput[] = [];
    const seen: string[] = [];
    const decoder = new FlexibleDecoder(
      config().withDecoderConfigCallback((c, frame) => {
        seen.push(`${c.codec}:${frame.width}x${frame.height}`);
        return c;
      }),
      (o) => outputs.push(o),
    );
    expect(() => decoder.submit({} as VideoFrame)).toThrow(TypeError);
    expect(() => decoder.submit(frameOf(h264, 0), 'nope' as unknown as Uint8Array)).toThrow(TypeError);
    await decoder.submit(frameOf(h264, 0, 'other'), h264.frames[0]!.data);
    await decoder.submit(frameOf(h264, 0));
    await decoder.submit(new VideoFrame({ sourceId: 'cam', width: 2, height: 2, codec: 'raw_rgba' }), new Uint8Array(3));
    await decoder.submit(frameOf(h264, 0), h264.frames[0]!.data);
    await decoder.gracefulShutdown();
    const skipped = outputs.filter((o): o is SkippedOutput => o instanceof SkippedOutput);
    expect(skipped.map((s) => s.reason)).toEqual(['source_id_mismatch', 'no_payload', 'invalid_payload']);
    expect(skipped[2]!.detail).toMatch(/3 bytes/);
    expect(outputs.filter((o) => o.isFrame)).toHaveLength(1);
    expect(seen).toEqual(['h264:320x240']);
    expect(() => new FlexibleDecoderConfig('', 0, 4)).toThrow(TypeError);
    expect(() => new FlexibleDecoderConfig('cam', 0, 0)).toThrow(RangeError);
    expect(DecoderConfig.fromPng(new (await import('../src/index.js')).PngDecoderConfig()).asH264()).toBeNull();
  });
});

describe('FlexibleDecoderPool', () => {
  it('decodes at most maxSources sources at once: one more is skipped (decoder_creation_failed) until one ends', async () => {
    const outputs: FlexibleDecoderOutput[] = [];
    const pool = new FlexibleDecoderPool(new FlexibleDecoderPoolConfig(0, 2, 30_000).withMemType(MemType.SYSTEM).withMaxSources(2), (o) => {
      outputs.push(o);
      o.asFrame()?.takeDelivery()?.unseal().then(([, b]) => b.release());
    });
    const raw = (sourceId: string, pts: number) => new VideoFrame({ sourceId, width: 4, height: 2, codec: 'raw_rgba', pts: BigInt(pts), keyframe: true });
    for (const source of ['a', 'b', 'c']) await pool.submit(raw(source, 0), new Uint8Array(32));
    await pool.sourceEos('a');
    await pool.submit(raw('c', 1000), new Uint8Array(32));
    await pool.gracefulShutdown();
    const seen = outputs.map((o) => (o instanceof SkippedOutput ? `${o.frame.sourceId}:${o.reason}` : o.isFrame ? `${o.asFrame()!.frame.sourceId}:frame` : null)).filter(Boolean);
    expect(seen).toEqual(['a:frame', 'b:frame', 'c:decoder_creation_failed', 'c:frame']);
    expect((outputs.find((o) => o instanceof SkippedOutput) as SkippedOutput).detail).toMatch(/maxSources/);
    expect(() => new FlexibleDecoderPoolConfig().withMaxSources(0)).toThrow(RangeError);
  });

  it('routes sources to their own decoders, reports source EOS after their frames, and evicts idle ones', async () => {
    const bySource = new Map<string, string[]>();
    const asked: string[] = [];
    const pool = new FlexibleDecoderPool(
      new FlexibleDecoderPoolConfig(0, 4, 200).withMemType(MemType.SYSTEM),
      (output) => {
        const source = output.asFrame()?.frame.sourceId ?? output.asSourceEos()?.sourceId;
        if (source) bySource.set(source, [...(bySource.get(source) ?? []), output.kind]);
      },
      (sourceId) => {
        asked.push(sourceId);
        return sourceId === 'keep-me' && asked.filter((s) => s === 'keep-me').length < 2 ? EvictionDecision.KEEP : EvictionDecision.EVICT;
      },
    );
    const sources = ['a', 'b', 'keep-me'];
    await Promise.all(
      sources.map(async (source) => {
        for (let i = 0; i < 20; i++) await pool.submit(frameOf(h264, i, source), h264.frames[i]!.data);
      }),
    );
    await pool.sourceEos('a');
    expect(bySource.get('a')).toEqual([...Array(20).fill('frame'), 'source_eos']);
    // The others go idle: offered for eviction, 'keep-me' kept once.
    await new Promise((r) => setTimeout(r, 1500));
    expect(pool.streamCount).toBe(0);
    expect(asked.filter((s) => s === 'keep-me').length).toBeGreaterThanOrEqual(2);
    expect(bySource.get('b')!.filter((k) => k === 'frame')).toHaveLength(20);
    await pool.gracefulShutdown();
    await expect(pool.submit(frameOf(h264, 0, 'a'), h264.frames[0]!.data)).rejects.toMatchObject({ code: ErrorCode.SHUT_DOWN });
  });
});
