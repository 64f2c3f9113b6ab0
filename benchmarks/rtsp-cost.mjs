// What RTSP cameras cost us: CPU (per cent of a core), threads and memory of
// the Node process reading N 1080p30 cameras through MediaSource (packets
// counted, not decoded), the cameras served by gst-rtsp-server on the
// loopback (its own process, not counted).
//
//   node benchmarks/rtsp-cost.mjs [--cameras 1] [--seconds 10] [--bitrate 4000]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

import { MediaSource } from '@proj/gstreamer';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return Number(at >= 0 ? args[at + 1] : fallback);
};
const cameras = option('cameras', 1);
const seconds = option('seconds', 10);
const bitrate = option('bitrate', 4000);

const script = fileURLToPath(new URL('../packages/gstreamer/test/support/rtsp-server.py', import.meta.url));
const server = spawn('/usr/bin/python3', [script, '--size', '1920x1080', '--fps', '30', '--bitrate', String(bitrate), '--pattern', 'smpte'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((resolve) =>
  server.stdout.on('data', (chunk) => {
    const ready = /ready (\d+)/.exec(chunk.toString());
    if (ready) resolve(Number(ready[1]));
  }),
);
const threads = () => readdirSync('/proc/self/task').length;
const before = threads();
const counts = new Array(cameras).fill(0);
const bytes = new Array(cameras).fill(0);
const sources = counts.map((_, i) => {
  const source = new MediaSource(`rtsp://127.0.0.1:${port}/cam`);
  (async () => {
    for await (const p of source) {
      counts[i] += 1;
      bytes[i] += p.data.length;
    }
  })().catch(() => {});
  return source;
});
await new Promise((resolve) => setTimeout(resolve, 3000)); // warm-up
const during = threads();
const [rss0, c0, n0, b0] = [process.memoryUsage().rss, process.cpuUsage(), counts.reduce((a, b) => a + b), bytes.reduce((a, b) => a + b)];
const start = performance.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const used = process.cpuUsage(c0);
const elapsed = (performance.now() - start) / 1000;
const [rss1, n1, b1] = [process.memoryUsage().rss, counts.reduce((a, b) => a + b), bytes.reduce((a, b) => a + b)];
const core = ((used.user + used.system) / 1e6 / elapsed) * 100;
console.log(`${cpus().length}× ${cpus()[0].model.trim()}; ${cameras} camera(s), 1080p30 H.264 at ${bitrate} kbit/s, ${seconds} s after 3 s of warm-up`);
console.log(`| cameras | packets/s each | Mbit/s each | CPU, % of a core | per camera | threads per camera | RSS change |`);
console.log(`|---:|---:|---:|---:|---:|---:|---:|`);
console.log(
  `| ${cameras} | ${((n1 - n0) / elapsed / cameras).toFixed(1)} | ${(((b1 - b0) * 8) / elapsed / cameras / 1e6).toFixed(2)} | ${core.toFixed(1)} | ${(core / cameras).toFixed(1)} | ${((during - before) / cameras).toFixed(1)} | ${((rss1 - rss0) / 1e6).toFixed(1)} MB |`,
);
for (const s of sources) s.close();
server.kill();
process.exit(0);
