// The Encoder from JavaScript: pool buffers in, encoded frames out through
// the callback and the async iterator with the submitted timestamps and
// ids; the file they make is read back by ffprobe/ffmpeg; a dGPU config on
// this machine runs on the CPU and says which fields it could not honour;
// bad input is a typed error and loses nothing accepted.
import { join } from 'node:path';

import { Mp4Muxer } from '@proj/gstreamer';
import { describe, expect, it } from 'vitest';

import { psnr } from '../../gstreamer/test/support/pictures.js';
import { probeStream } from '../../gstreamer/test/support/probe.js';
import { scratchDir } from '../../gstreamer/test/support/streams.js';
import { run } from '../../gstreamer/test/support/tools.js';
import {
  type BackendChange,
  BufferGenerator,
  type EncodedFrame,
  Encoder,
  EncoderConfig,
  EncoderProperties,
  ErrorCode,
  H264CpuProps,
  H264DgpuProps,
  HevcCpuProps,
  MemType,
  SurfaceView,
  VideoFormat,
} from '../src/index.js';

const [W, H] = [640, 360];

/** Frame `i`: smooth colour gradients with a moving bright bar. */
function picture(i: number): Uint8Array {
  const out = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const at = (y * W + x) * 4;
      const bar = Math.abs(x - ((i * 16) % W)) < 24 ? 80 : 0;
      out[at] = Math.min(255, (x * 200) / W + bar);
      out[at + 1] = Math.min(255, (y * 200) / H + bar);
      out[at + 2] = 96 + bar;
      out[at + 3] = 255;
    }
  }
  return out;
}

describe('Encoder', () => {
  it('encodes pool buffers to H.264 on the CPU: every frame out in order, with its PTS and id, keyframes at the interval; ffprobe and ffmpeg agree', async () => {
    const frames = 20;
    const pool = new BufferGenerator(VideoFormat.RGBA, W, H, { memType: MemType.SYSTEM, poolSize: 2 });
    const config = new EncoderConfig('h264', W, H)
      .format(VideoFormat.RGBA)
      .fps(25, 1)
      .properties(EncoderProperties.h264Cpu(new H264CpuProps({ keyframeInterval: 10 })));
    const seen: EncodedFrame[] = [];
    const encoder = new Encoder(config, (frame) => seen.push(frame));
    expect([encoder.backend, encoder.zeroDelay]).toEqual(['x264enc', true]);
    const iterated: bigint[] = [];
    const iterating = (async () => {
      for await (const frame of encoder) iterated.push(frame.ptsNs);
    })();
    for (let i = 0; i < frames; i++) {
      const buffer = await pool.acquire();
      const view = SurfaceView.fromBuffer(buffer); // a view keeps its buffer out of the pool: release it
      view.uploadSync(picture(i));
      view.release();
      await encoder.submit(buffer, BigInt(i) * 40_000_000n, { durationNs: 40_000_000n, frameId: BigInt(100 + i) });
      buffer.release();
      expect(seen).toHaveLength(i + 1); // zero delay: out before submit resolves
    }
    await encoder.finish();
    await iterating;
    expect(seen.map((f) => f.ptsNs)).toEqual(Array.from({ length: frames }, (_, i) => BigInt(i) * 40_000_000n));
    expect(iterated).toEqual(seen.map((f) => f.ptsNs));
    expect(seen.map((f) => f.frameId)).toEqual(Array.from({ length: frames }, (_, i) => BigInt(100 + i)));
    expect(seen.flatMap((f, i) => (f.keyframe ? [i] : []))).toEqual([0, 10]);

    const file = join(scratchDir('encoder'), 'out.mp4');
    const muxer = new Mp4Muxer('h264', file, { fpsNum: 25 });
    for (const f of seen) muxer.push(f.data, f.ptsNs, f.dtsNs ?? undefined, f.durationNs ?? undefined);
    await muxer.finish();
    expect(probeStream(file).nb_read_frames).toBe(String(frames));
    const decoded = run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-']);
    const size = W * H * 4;
    const worst = Math.min(...Array.from({ length: frames }, (_, i) => psnr(decoded.subarray(i * size, (i + 1) * size), picture(i))));
    console.log(`H.264 from a pool through JS: worst PSNR against the source ${worst.toFixed(1)} dB`);
    expect(worst).toBeGreaterThanOrEqual(38);
  });

  it('runs a dGPU config on the CPU here, says so (event and backendChanges) and lists the fields x264 cannot honour', async () => {
    const props = new H264DgpuProps({ bitrate: 2_000_000, iframeinterval: 30, aq: 8, temporalAq: true });
    const changes: BackendChange[] = [];
    const seen: EncodedFrame[] = [];
    const encoder = new Encoder(
      new EncoderConfig('h264', 320, 240).properties(EncoderProperties.h264Dgpu(props)),
      (f) => seen.push(f),
      { onBackendChange: (c) => changes.push(c) },
    );
    expect(encoder.backend).toBe('x264enc');
    expect([...encoder.unmapped].sort()).toEqual(['aq', 'temporalAq']);
    expect(encoder.backendChanges).toMatchObject([{ from: 'nvh264enc', to: 'x264enc', replayed: 0 }]);
    expect(encoder.backendChanges[0]!.reason).toContain('nvh264enc');
    await encoder.submit(new Uint8Array((320 * 240 * 3) / 2), 0n);
    await encoder.finish();
    // The change reached the callback before the first frame.
    expect(changes).toEqual(encoder.backendChanges);
    expect([...changes[0]!.unmapped].sort()).toEqual(['aq', 'temporalAq']);
    expect(seen).toHaveLength(1);
  });

  it('makes submit wait while a slow encoder is behind: frames admitted ahead of the outputs stay bounded', async () => {
    // x265 "slow" at 1280x720 on this machine: far slower than submits.
    const [w, h] = [1280, 720];
    const config = new EncoderConfig('hevc', w, h)
      .format(VideoFormat.I420)
      .properties(EncoderProperties.hevcCpu(new HevcCpuProps({ preset: 'slow', threads: 1 })));
    let out = 0;
    let ahead = 0;
    let admitted = 0;
    const encoder = new Encoder(config, () => (out += 1));
    const frame = new Uint8Array((w * h * 3) / 2).fill(90);
    const count = 16;
    // Every submit at once, none awaited: admission is the encoder's pace.
    const submits = Array.from({ length: count }, (_, i) =>
      encoder.submit(frame.map((v, at) => (at < w * h ? (v + i * 7 + (at % w)) & 0xff : v)), BigInt(i) * 40_000_000n).then(() => {
        admitted += 1;
        ahead = Math.max(ahead, admitted - out);
      }),
    );
    await Promise.all(submits);
    await encoder.finish(120_000);
    console.log(`slow encoder: at most ${ahead} frames admitted ahead of the outputs`);
    expect(out).toBe(count);
    // appsrc holds 4 frames, x265 one or two: never all 16 at once.
    expect(ahead).toBeLessThanOrEqual(8);
    expect(ahead).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('bounds an iterator nobody reads: it ends with ERR_PROJ_QUEUE_FULL, the callback gets every frame', async () => {
    const seen: bigint[] = [];
    const encoder = new Encoder(new EncoderConfig('jpeg', 64, 48).format('RGBA'), (f) => seen.push(f.ptsNs));
    const unread = encoder.outputs({ maxQueued: 3 });
    const read = encoder.outputs();
    const frame = new Uint8Array(64 * 48 * 4).fill(200);
    for (let i = 1; i <= 6; i++) await encoder.submit(frame, BigInt(i));
    await encoder.finish();
    expect(seen).toHaveLength(6);
    await expect(unread.next()).rejects.toMatchObject({ code: ErrorCode.QUEUE_FULL });
    const all: bigint[] = [];
    for await (const f of read) all.push(f.ptsNs);
    expect(all).toEqual(seen);
    // After the end, a new iterator is done at once.
    expect(await encoder.outputs().next()).toEqual({ value: undefined, done: true });
  });

  it('refuses bad frames with typed errors and keeps what it accepted', async () => {
    const seen: bigint[] = [];
    const encoder = new Encoder(new EncoderConfig('jpeg', 64, 48).format('RGBA'), (f) => seen.push(f.ptsNs));
    const frame = new Uint8Array(64 * 48 * 4).fill(128);
    await encoder.submit(frame, 1_000n);
    await expect(encoder.submit(new Uint8Array(10), 2_000n)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(encoder.submit(frame, 500n)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT }); // backwards
    const wrongPool = new BufferGenerator(VideoFormat.RGBA, 32, 32, { memType: MemType.SYSTEM, poolSize: 1 }).tryAcquire();
    await expect(encoder.submit(wrongPool, 3_000n)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(encoder.submit('x' as never, 4_000n)).rejects.toThrow(TypeError);
    // 2^64-1 is GStreamer's "none": a typed error (gstreamer-rs would panic).
    await expect(encoder.submit(frame, 2n ** 64n - 1n)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await encoder.submit(frame, 5_000n);
    await encoder.finish();
    expect(seen).toEqual([1_000n, 5_000n]);
    await expect(encoder.submit(frame, 6_000n)).rejects.toMatchObject({ code: expect.stringMatching(/ERR_PROJ_(SHUT_DOWN|FINISHED)/) });
    await expect(encoder.finish()).rejects.toMatchObject({ code: expect.stringMatching(/ERR_PROJ_(SHUT_DOWN|FINISHED)/) });
  });
});
