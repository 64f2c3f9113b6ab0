import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, Mp4Muxer, ProjError } from '../src/index.js';
import { frameMd5s, probeStream } from './support/probe.js';
import { type EncodedStream, encodeStream, scratchDir } from './support/streams.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

let dir: string;
let h264: EncodedStream;
let hevc: EncodedStream;
let av1: EncodedStream;
let jpeg: EncodedStream;

beforeAll(() => {
  dir = scratchDir('bad');
  h264 = encodeStream({ codec: 'h264', frames: 30 }, dir);
  hevc = encodeStream({ codec: 'hevc', frames: 5 }, dir);
  av1 = encodeStream({ codec: 'av1', frames: 5 }, dir);
  jpeg = encodeStream({ codec: 'jpeg', frames: 3 }, dir);
});

describe('construction errors', () => {
  it('rejects unknown codecs, bad options and unwritable paths with typed errors', () => {
    const out = join(dir, 'x.mp4');
    expect(codeOf(() => new Mp4Muxer('vp9', out))).toBe(ErrorCode.UNKNOWN_CODEC);
    expect(codeOf(() => new Mp4Muxer('h264', out, { fpsNum: 0 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => new Mp4Muxer('h264', out, { fpsDen: 1.5 })).toThrow(RangeError);
    expect(() => new Mp4Muxer('h264', 42 as unknown as string)).toThrow(TypeError);
    expect(codeOf(() => new Mp4Muxer('h264', join(dir, 'missing-dir', 'x.mp4')))).toBe(ErrorCode.OUTPUT_OPEN);
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    expect(codeOf(() => new Mp4Muxer('h264', directory))).toBe(ErrorCode.OUTPUT_OPEN);
  });
});

describe('push rejects bad frames with a typed error and keeps the muxer usable', () => {
  it('loses nothing that was accepted', async () => {
    const output = join(dir, 'survivor.mp4');
    const muxer = new Mp4Muxer('h264', output);
    const [first, second] = h264.frames;
    const push = (data: Uint8Array, pts: number | bigint, dts?: number | bigint | null) => () => muxer.push(data, pts, dts);

    // Before the first keyframe: a P/B frame cannot start the file.
    expect(codeOf(push(second!.data, second!.ptsNs, second!.dtsNs))).toBe(ErrorCode.NEEDS_KEYFRAME);

    for (const [i, frame] of h264.frames.entries()) {
      muxer.push(frame.data, frame.ptsNs, frame.dtsNs);
      if (i !== 10) continue;
      // Between two good frames, everything a caller can get wrong:
      const next = frame.dtsNs + 1n;
      expect(codeOf(push(new Uint8Array(0), next, next))).toBe(ErrorCode.INVALID_DATA);
      expect(codeOf(push(Buffer.from('definitely not h264'), next, next))).toBe(ErrorCode.INVALID_DATA);
      expect(codeOf(push(hevc.frames[0]!.data, next, next))).toBe(ErrorCode.INVALID_DATA);
      expect(codeOf(push(hevc.frames[1]!.data, next, next))).toBe(ErrorCode.INVALID_DATA);
      expect(codeOf(push(jpeg.frames[0]!.data, next, next))).toBe(ErrorCode.INVALID_DATA);
      expect(codeOf(push(av1.frames[0]!.data, next, next))).toBe(ErrorCode.INVALID_DATA);
      expect(codeOf(push(first!.data, frame.dtsNs + 10n, frame.dtsNs))).toBe(ErrorCode.DTS_NOT_INCREASING);
      expect(codeOf(push(first!.data, frame.dtsNs + 10n, frame.dtsNs - 1n))).toBe(ErrorCode.DTS_NOT_INCREASING);
      expect(codeOf(push(first!.data, frame.dtsNs + 5n, frame.dtsNs + 10n))).toBe(ErrorCode.PTS_BEFORE_DTS);
      // Timestamps JS can get wrong: missing, negative, fractional, unsafe.
      expect(() => muxer.push(first!.data, undefined as unknown as number)).toThrow(TypeError);
      expect(() => muxer.push(first!.data, -1)).toThrow(RangeError);
      expect(() => muxer.push(first!.data, -1n)).toThrow(RangeError);
      expect(() => muxer.push(first!.data, 1.5)).toThrow(RangeError);
      expect(() => muxer.push(first!.data, Number.NaN)).toThrow(RangeError);
      expect(() => muxer.push(first!.data, 2 ** 60)).toThrow(RangeError);
      expect(() => muxer.push(first!.data, next, next, 0)).toThrow(ProjError);
      expect(() => muxer.push('frame' as unknown as Uint8Array, next)).toThrow(TypeError);
    }
    expect(muxer.stats.frames).toBe(h264.frames.length);
    const finishing = muxer.finish();
    // The stream ends at the call; the file completes in the background.
    expect(muxer.isFinished).toBe(true);
    expect(codeOf(() => muxer.push(first!.data, 10n ** 12n))).toBe(ErrorCode.FINISHED);
    await Promise.all([finishing, muxer.finish()]);
    await muxer.finish();

    expect(Number(probeStream(output).nb_read_frames)).toBe(h264.frames.length);
    expect(frameMd5s(output)).toEqual(frameMd5s(h264.source));
  });

  it('rejects truncated AV1 temporal units and JPEG images', async () => {
    const av1Muxer = new Mp4Muxer('av1', join(dir, 'av1.mp4'), { fpsNum: 25 });
    const key = av1.frames[0]!.data;
    expect(codeOf(() => av1Muxer.push(key.subarray(0, key.length - 7), 0))).toBe(ErrorCode.INVALID_DATA);
    av1Muxer.push(key, 0);
    await av1Muxer.finish();

    const jpegMuxer = new Mp4Muxer('jpeg', join(dir, 'jpeg.mp4'));
    const image = jpeg.frames[0]!.data;
    expect(codeOf(() => jpegMuxer.push(image.subarray(0, image.length / 2), 0))).toBe(ErrorCode.INVALID_DATA);
    jpegMuxer.push(image, 0);
    await jpegMuxer.finish();
    expect(Number(probeStream(join(dir, 'jpeg.mp4')).nb_read_frames)).toBe(1);
  });

  it('rejects an image whose size differs from the first one', async () => {
    const small = encodeStream({ codec: 'jpeg', frames: 1, width: 64, height: 48 }, scratchDir('jpeg-small'));
    const muxer = new Mp4Muxer('jpeg', join(dir, 'sizes.mp4'));
    muxer.push(jpeg.frames[0]!.data, 0);
    expect(codeOf(() => muxer.push(small.frames[0]!.data, 40_000_000))).toBe(ErrorCode.INVALID_DATA);
    muxer.push(jpeg.frames[1]!.data, 40_000_000);
    await muxer.finish();
    expect(Number(probeStream(join(dir, 'sizes.mp4')).nb_read_frames)).toBe(2);
  });

  it('survives randomly corrupted and truncated frames without crashing', async () => {
    // Deterministic pseudo-random mutations of real frames. Each push either
    // succeeds or throws a ProjError; the process must never abort.
    let seed = 0x2545f491;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (const stream of [h264, hevc, av1, jpeg]) {
      const output = join(dir, `fuzz-${stream.codec}.mp4`);
      const muxer = new Mp4Muxer(stream.codec, output);
      let dts = 0n;
      for (let i = 0; i < 150; i++) {
        const source = stream.frames[i % stream.frames.length]!.data;
        const data = Buffer.from(source.subarray(0, Math.max(1, Math.floor(source.length * (0.2 + random())))));
        for (let flips = Math.floor(random() * 4); flips > 0; flips--) {
          data[Math.floor(random() * data.length)] = Math.floor(random() * 256);
        }
        dts += 40_000_000n;
        try {
          muxer.push(data, dts, dts);
        } catch (error) {
          expect(error).toBeInstanceOf(ProjError);
        }
      }
      await muxer.finish().catch((error: unknown) => expect(error).toBeInstanceOf(ProjError));
      expect(muxer.isFinished).toBe(true);
    }
  });
});
