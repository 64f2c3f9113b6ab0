#!/usr/bin/env node
// Records a live H.264 stream into an MP4, the way a camera recorder would:
// an encoder (x264 through ffmpeg, standing in for a camera) emits an Annex-B
// byte stream, we cut it into access units as they arrive and push each one
// into @proj/gstreamer's Mp4Muxer. The file on disk is playable at every
// moment, even if this process is killed.
//
//   node examples/mux-mp4/index.mjs [output.mp4] [--seconds N] [--size WxH] [--fps N]
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Codec, Mp4Muxer } from '@proj/gstreamer';

import { accessUnits } from './annexb.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    size: { type: 'string', default: '1280x720' },
    fps: { type: 'string', default: '30' },
  },
});
const output = positionals[0] ?? join(tmpdir(), 'proj-demo.mp4');
const fps = Number(values.fps);
const frames = Math.round(Number(values.seconds) * fps);

// The "camera": x264 with an access unit delimiter before every frame, no
// B-frames (so decode order is presentation order, as from most cameras).
const encoder = spawn(
  'ffmpeg',
  [
    ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${values.size}:rate=${fps}`, '-frames:v', String(frames)],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', String(fps), '-bf', '0'],
    ...['-x264-params', 'aud=1', '-pix_fmt', 'yuv420p', '-f', 'h264', '-'],
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);

const frameNs = 1_000_000_000n / BigInt(fps);
const started = performance.now();
let pushed = 0;
const muxer = new Mp4Muxer(Codec.H264, output, { fpsNum: fps });
try {
  for await (const au of accessUnits(encoder.stdout)) {
    muxer.push(au, BigInt(pushed) * frameNs);
    pushed += 1;
    if (process.stdout.isTTY && pushed % (fps * 2) === 0) {
      const { frames: n, bytes } = muxer.stats;
      process.stdout.write(`\r${n} frames, ${(bytes / 1e6).toFixed(1)} MB`);
    }
  }
} finally {
  // Completes the file even if the loop threw; frames already pushed are kept.
  await muxer.finish();
}
const seconds = (performance.now() - started) / 1000;
const { frames: muxed, bytes } = muxer.stats;
console.log(`${process.stdout.isTTY ? '\r' : ''}recorded ${muxed} frames (${(bytes / 1e6).toFixed(1)} MB of H.264) in ${seconds.toFixed(1)} s → ${output}`);

// What an independent tool sees in the file.
const probe = spawnSync('ffprobe', [
  ...['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-of', 'default=nw=1'],
  ...['-show_entries', 'format=format_name,duration,size:stream=codec_name,profile,width,height,r_frame_rate,nb_read_packets', output],
], { encoding: 'utf8' });
console.log(probe.status === 0 ? probe.stdout.trim() : `ffprobe failed: ${probe.stderr}`);
if (probe.status !== 0 || !probe.stdout.includes(`nb_read_packets=${muxed}`)) process.exitCode = 1;
