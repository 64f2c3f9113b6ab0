// A file read by MediaSource decodes through FlexibleDecoder to what
// ffmpeg decodes (PSNR ≥ 40 dB), B-frames and all, with VideoFrame.fromPacket
// making each frame; a mid-file size change reaches the decoder as such.
import { join } from 'node:path';

import { MediaSource } from '@proj/gstreamer';
import { describe, expect, it } from 'vitest';

import { psnr } from '../../gstreamer/test/support/pictures.js';
import { scratchDir } from '../../gstreamer/test/support/streams.js';
import { run } from '../../gstreamer/test/support/tools.js';
import { FlexibleDecoder, FlexibleDecoderConfig, FrameOutput, MemType, SurfaceView, VideoFrame } from '../src/index.js';

const dir = scratchDir('source-decode');

async function decodeFile(file: string): Promise<Array<{ pts: bigint; width: number; height: number; pixels: Uint8Array }>> {
  const decoder = new FlexibleDecoder(new FlexibleDecoderConfig('file', 0, 4).withMemType(MemType.SYSTEM));
  const pictures: Array<{ pts: bigint; width: number; height: number; pixels: Uint8Array }> = [];
  const collected = (async () => {
    for await (const output of decoder) {
      if (!(output instanceof FrameOutput)) continue;
      const delivery = output.takeDelivery()!;
      const done = delivery.unseal();
      output.release();
      const [frame, buffer] = await done;
      const view = SurfaceView.fromBuffer(buffer);
      pictures.push({ pts: frame.pts, width: view.width, height: view.height, pixels: view.downloadSync() });
      view.release();
      buffer.release();
    }
  })();
  const source = new MediaSource(file, { audio: false });
  for await (const packet of source) await decoder.submit(VideoFrame.fromPacket('file', packet, '25/1'), packet.data);
  await decoder.gracefulShutdown();
  await collected;
  return pictures.sort((a, b) => (a.pts < b.pts ? -1 : 1));
}

function reference(file: string, width: number, height: number): Uint8Array[] {
  const raw = run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-']);
  const size = width * height * 4;
  return Array.from({ length: raw.length / size }, (_, i) => raw.subarray(i * size, (i + 1) * size));
}

describe('MediaSource → FlexibleDecoder', () => {
  for (const [name, codec] of [
    ['h264-bframes.mp4', ['-c:v', 'libx264', '-bf', '2', '-g', '12']],
    ['hevc.mkv', ['-c:v', 'libx265', '-x265-params', 'log-level=none:bframes=2:keyint=15']],
    ['mjpeg.avi', ['-c:v', 'mjpeg', '-q:v', '3']],
  ] as const) {
    it(`decodes ${name} to ffmpeg's pictures`, async () => {
      const file = join(dir, name);
      run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=322x242:rate=25', '-t', '2', ...codec, '-pix_fmt', name.includes('mjpeg') ? 'yuvj420p' : 'yuv420p', file]);
      const ours = await decodeFile(file);
      const theirs = reference(file, 322, 242);
      expect(ours.length).toBe(theirs.length);
      const worst = Math.min(...ours.map((p, i) => psnr(p.pixels, theirs[i]!)));
      console.log(`${name}: ${ours.length} frames, worst PSNR against ffmpeg ${worst.toFixed(1)} dB`);
      expect(worst).toBeGreaterThanOrEqual(40);
    }, 60_000);
  }

  it('passes a mid-file size change on: the decoder gives pictures of the new size', async () => {
    const parts = [
      ['a.ts', '320x240'],
      ['b.ts', '480x272'],
    ].map(([name, size]) => {
      const file = join(dir, name!);
      run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-t', '1', '-c:v', 'libx264', '-g', '10', '-pix_fmt', 'yuv420p', file]);
      return file;
    });
    const joined = join(dir, 'joined.ts');
    run('sh', ['-c', `cat ${parts.join(' ')} > ${joined}`]);
    const source = new MediaSource(joined);
    const sizes = new Set<string>();
    for await (const p of source) sizes.add(`${p.width}x${p.height}`);
    expect([...sizes]).toEqual(['320x240', '480x272']);
    const pictures = await decodeFile(joined);
    expect(new Set(pictures.map((p) => `${p.width}x${p.height}`))).toEqual(new Set(['320x240', '480x272']));
    expect(pictures).toHaveLength(50);
  }, 60_000);
});
