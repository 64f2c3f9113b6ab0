#!/usr/bin/env node
// Records an RTSP camera into an MP4 without decoding it: MediaSource hands
// out the camera's H.264/HEVC access units, Mp4Muxer writes them into a
// fragmented MP4 that stays playable at every moment. The camera may drop
// and come back: MediaSource reconnects and keeps the timestamps
// increasing. Without a URL, a test camera (gst-rtsp-server, 1280×720 at
// 25 fps) is started on the loopback.
//
//   node examples/camera-to-mp4/index.mjs [rtsp://…] [output.mp4] [--seconds N]
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { MediaSource, Mp4Muxer } from '@proj/gstreamer';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string', default: '10' } },
});
const seconds = Number(values.seconds);
const output = positionals.find((p) => !p.startsWith('rtsp')) ?? join(tmpdir(), 'proj-camera.mp4');
let url = positionals.find((p) => p.startsWith('rtsp'));

let camera = null;
if (!url) {
  const script = fileURLToPath(new URL('../../packages/gstreamer/test/support/rtsp-server.py', import.meta.url));
  camera = spawn('/usr/bin/python3', [script, '--size', '1280x720'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    camera.stdout.on('data', (chunk) => {
      const ready = /ready (\d+)/.exec(chunk.toString());
      if (ready) resolve(Number(ready[1]));
    });
    camera.on('exit', (code) => reject(new Error(`the test camera exited (${code})`)));
  });
  url = `rtsp://127.0.0.1:${port}/cam`;
}

const source = new MediaSource(url, { audio: false });
source.on('connected', () => console.log(`connected to ${url}`));
source.on('disconnected', (reason) => console.log(`disconnected: ${reason}`));
source.on('reconnecting', (attempt, ms) => console.log(`reconnecting (attempt ${attempt}) in ${ms} ms`));

let muxer = null;
let first = null;
const until = performance.now() + seconds * 1000;
try {
  for await (const packet of source) {
    if (packet.kind !== 'video') continue;
    if (!muxer) {
      if (!packet.keyframe) continue; // a recording starts at a keyframe
      muxer = new Mp4Muxer(packet.codec, output, { fpsNum: 25 });
      first = packet.ptsNs;
    }
    muxer.push(packet.data, packet.ptsNs - first, packet.dtsNs === null ? undefined : packet.dtsNs - first);
    if (performance.now() >= until) break;
  }
} finally {
  source.close();
  if (muxer) await muxer.finish();
  camera?.kill();
}
const { frames, bytes } = muxer.stats;
const stats = source.stats();
console.log(`recorded ${frames} frames (${(bytes / 1e6).toFixed(1)} MB) in ${seconds} s → ${output}; dropped ${stats.droppedOldest + stats.droppedNewest}, reconnects ${stats.reconnects}`);
const probe = spawnSync('ffprobe', [
  ...['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-of', 'default=nw=1'],
  ...['-show_entries', 'stream=codec_name,width,height,nb_read_packets', output],
], { encoding: 'utf8' });
console.log(probe.status === 0 ? probe.stdout.trim() : `ffprobe failed: ${probe.stderr}`);
if (probe.status !== 0 || !probe.stdout.includes(`nb_read_packets=${frames}`)) process.exitCode = 1;
