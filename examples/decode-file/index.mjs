#!/usr/bin/env node
// Decodes video files through FlexibleDecoderPool: MediaSource demuxes each
// file into access units, VideoFrame.fromPacket makes the frames, and the
// pool decodes one stream per source id into RGBA pool buffers. Without
// files, two are made with ffmpeg (1080p H.264 with B-frames, 720p HEVC).
//
//   node examples/decode-file/index.mjs [file …]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FlexibleDecoderPool, FlexibleDecoderPoolConfig, MemType, VideoFrame } from '@proj/deepstream';
import { MediaSource } from '@proj/gstreamer';

let files = process.argv.slice(2);
if (files.length === 0) {
  const dir = mkdtempSync(join(tmpdir(), 'proj-decode-file-'));
  const make = (name, size, codec) => {
    const file = join(dir, name);
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-frames:v', '150', ...codec, '-pix_fmt', 'yuv420p', file]);
    return file;
  };
  files = [
    make('h264.mp4', '1920x1080', ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2']),
    make('hevc.mkv', '1280x720', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=none']),
  ];
}

const decoded = new Map();
const pool = new FlexibleDecoderPool(new FlexibleDecoderPoolConfig(0, 4, 60_000).withMemType(MemType.SYSTEM), (output) => {
  const frame = output.asFrame();
  if (!frame) return;
  const id = frame.frame.sourceId;
  decoded.set(id, (decoded.get(id) ?? 0) + 1);
  // Not taken (takeDelivery()): the buffer goes back to the pool when
  // this callback returns.
});
const started = performance.now();
const packets = new Map();
await Promise.all(
  files.map(async (file, i) => {
    const id = `file-${i}`;
    for await (const packet of new MediaSource(file, { audio: false })) {
      await pool.submit(VideoFrame.fromPacket(id, packet), packet.data);
      packets.set(id, (packets.get(id) ?? 0) + 1);
    }
  }),
);
await pool.gracefulShutdown();
const seconds = (performance.now() - started) / 1000;
let total = 0;
files.forEach((file, i) => {
  const id = `file-${i}`;
  total += decoded.get(id) ?? 0;
  console.log(`${file}: ${packets.get(id) ?? 0} packets, ${decoded.get(id) ?? 0} frames decoded`);
});
console.log(`${total} frames in ${seconds.toFixed(2)} s (${(total / seconds).toFixed(0)} frames/s)`);
if (files.some((_, i) => (decoded.get(`file-${i}`) ?? 0) !== (packets.get(`file-${i}`) ?? -1))) process.exitCode = 1;
