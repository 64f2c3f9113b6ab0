// StreamingMediaEncoder (in @proj/gstreamer) fed with our pool buffers:
// what a pipeline that draws on pooled pictures writes out.
import { join } from 'node:path';

import { StreamingMediaEncoder } from '@proj/gstreamer';
import { describe, expect, it } from 'vitest';

import { probeStream } from '../../gstreamer/test/support/probe.js';
import { scratchDir } from '../../gstreamer/test/support/streams.js';
import { run } from '../../gstreamer/test/support/tools.js';
import { BufferGenerator, SurfaceView } from '../src/index.js';

describe('StreamingMediaEncoder with pool buffers', () => {
  it('encodes RGBA pool buffers, each released once its write resolves', async () => {
    const file = join(scratchDir('sme-pool'), 'pool.mkv');
    const pool = new BufferGenerator('RGBA', 320, 240, { poolSize: 2, memType: 'system' });
    const enc = new StreamingMediaEncoder(file);
    const v = enc.addVideoStream(30, 320, 240, 'rgba');
    await enc.open();
    for (let f = 0; f < 12; f++) {
      const buffer = await pool.acquire();
      const view = SurfaceView.fromBuffer(buffer);
      view.fillSync([200, 30, 30, 255]);
      view.release();
      await enc.writeVideoChunk(v, buffer);
      // A pool of two: without the releases the third acquire would wait.
      buffer.release();
    }
    await enc.close();
    expect(probeStream(file)).toMatchObject({ codec_name: 'h264', width: 320, height: 240, nb_read_frames: '12' });
    const frames = run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    expect(frames.length).toBe(12 * 320 * 240 * 3);
    const middle = (120 * 320 + 160) * 3;
    expect(Math.abs(frames[middle]! - 200)).toBeLessThan(8);
    expect(Math.abs(frames[middle + 1]! - 30)).toBeLessThan(8);
  });
});
