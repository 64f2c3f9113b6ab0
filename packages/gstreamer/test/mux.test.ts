import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Mp4Muxer, type Codec } from '../src/index.js';
import { frameMd5s, packetTimes, probeStream, topLevelBoxes } from './support/probe.js';
import { encodeStream, type EncodedStream, scratchDir, type StreamSpec } from './support/streams.js';

interface Case {
  name: string;
  spec: StreamSpec;
  ffprobeCodec: string;
}

const cases: Case[] = [
  { name: 'H.264 High with B-frames (x264)', spec: { codec: 'h264', frames: 75, width: 320, height: 240 }, ffprobeCodec: 'h264' },
  {
    name: 'H.264 at an odd size and 30000/1001 fps (x264)',
    spec: { codec: 'h264', frames: 40, width: 202, height: 134, fpsNum: 30000, fpsDen: 1001 },
    ffprobeCodec: 'h264',
  },
  { name: 'HEVC with B-frames (x265)', spec: { codec: 'hevc', frames: 50, fpsNum: 25 }, ffprobeCodec: 'hevc' },
  { name: 'AV1 (libaom)', spec: { codec: 'av1', frames: 30, fpsNum: 25 }, ffprobeCodec: 'av1' },
  { name: 'JPEG (jpegenc)', spec: { codec: 'jpeg', frames: 30 }, ffprobeCodec: 'mjpeg' },
  { name: 'PNG (pngenc)', spec: { codec: 'png', frames: 12, width: 160, height: 120, fpsNum: 10 }, ffprobeCodec: 'png' },
];

async function mux(stream: EncodedStream, output: string, codecName: Codec | string = stream.codec): Promise<void> {
  const muxer = new Mp4Muxer(codecName, output, { fpsNum: stream.fpsNum, fpsDen: stream.fpsDen });
  for (const f of stream.frames) {
    muxer.push(f.data, f.ptsNs, f.dtsNs, f.durationNs > 0n ? f.durationNs : undefined);
  }
  expect(muxer.stats.frames).toBe(stream.frames.length);
  await muxer.finish();
  expect(muxer.isFinished).toBe(true);
}

function sourceDecodeArgs(stream: EncodedStream): string[] {
  return stream.codec === 'jpeg' || stream.codec === 'png' ? ['-framerate', `${stream.fpsNum}/${stream.fpsDen}`] : [];
}

describe('Mp4Muxer writes files that ffprobe and ffmpeg read back exactly', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dir = scratchDir('mux');
      const stream = encodeStream(c.spec, dir);
      expect(stream.frames.length).toBe(c.spec.frames);
      if (c.spec.codec === 'h264' || c.spec.codec === 'hevc') {
        // The awkward case: decode order differs from presentation order.
        expect(stream.frames.some((f) => f.ptsNs !== f.dtsNs)).toBe(true);
      }
      const output = join(dir, 'out.mp4');
      await mux(stream, output);

      const info = probeStream(output);
      expect(info.codec_name).toBe(c.ffprobeCodec);
      expect([info.width, info.height]).toEqual([stream.width, stream.height]);
      expect(Number(info.nb_read_frames)).toBe(stream.frames.length);
      expect(info.r_frame_rate).toBe(`${stream.fpsNum}/${stream.fpsDen}`);

      // Timestamps: decode order strictly increasing; presentation times are
      // the pushed ones, shifted by one constant.
      const times = packetTimes(output);
      expect(times).toHaveLength(stream.frames.length);
      for (let i = 1; i < times.length; i++) expect(times[i]!.dts).toBeGreaterThan(times[i - 1]!.dts);
      const pushed = stream.frames.map((f) => Number(f.ptsNs) / 1e9).sort((a, b) => a - b);
      const written = times.map((t) => t.pts).sort((a, b) => a - b);
      const shift = written[0]! - pushed[0]!;
      written.forEach((pts, i) => expect(pts - pushed[i]!).toBeCloseTo(shift, 3));

      // Pixels: every decoded frame equals ffmpeg's decode of the encoder output.
      expect(frameMd5s(output)).toEqual(frameMd5s(stream.source, sourceDecodeArgs(stream)));

      // Crash-safe layout: the header first, then fragments, then the index.
      const boxes = topLevelBoxes(readFileSync(output));
      expect(boxes.slice(0, 2)).toEqual(['ftyp', 'moov']);
      expect(boxes).toContain('moof');
      expect(boxes.at(-1)).toBe('mfra');
    });
  }

  it('accepts codec names in any case and the h265 alias', async () => {
    const dir = scratchDir('alias');
    const stream = encodeStream({ codec: 'hevc', frames: 10 }, dir);
    const output = join(dir, 'alias.mp4');
    await mux(stream, output, 'H265');
    expect(probeStream(output).codec_name).toBe('hevc');
  });

  it('writes a regular MP4 when fragments are disabled', async () => {
    const dir = scratchDir('plain');
    const stream = encodeStream({ codec: 'h264', frames: 20 }, dir);
    const output = join(dir, 'plain.mp4');
    const muxer = new Mp4Muxer('h264', output, { fragmentDurationMs: 0 });
    for (const f of stream.frames) muxer.push(f.data, f.ptsNs, f.dtsNs);
    await muxer.finish();
    expect(Number(probeStream(output).nb_read_frames)).toBe(20);
    expect(frameMd5s(output)).toEqual(frameMd5s(stream.source));
    expect(topLevelBoxes(readFileSync(output))).not.toContain('moof');
  });
});
