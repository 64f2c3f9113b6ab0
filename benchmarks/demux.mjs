// Demux a 1080p H.264 MP4 (B-frames) into packets in JavaScript: ours
// (MediaSource: parsebin → Annex-B access units delivered to JS) against
// node-av's Demuxer (FFmpeg bindings) and `ffprobe -show_packets`, whole
// processes, interleaved, in the same run.
//
//   node benchmarks/demux.mjs [--frames 1800] [--runs 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { makeH264, option, shimWithResolvers } from './support.mjs';

const args = process.argv.slice(2);

async function childOurs(file) {
  const { MediaSource } = await import('@proj/gstreamer');
  const start = performance.now();
  const source = new MediaSource(file, { audio: false });
  let packets = 0;
  let bytes = 0;
  for await (const p of source) {
    packets += 1;
    bytes += p.data.length;
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - start, packets, bytes }));
}

async function childNodeAv(file) {
  shimWithResolvers();
  const { Demuxer } = await import('node-av/api');
  const start = performance.now();
  const input = await Demuxer.open(file);
  const stream = input.video();
  let packets = 0;
  let bytes = 0;
  for await (const packet of input.packets(stream.index)) {
    if (!packet) continue;
    packets += 1;
    bytes += packet.size;
    packet.free?.();
  }
  await input.close?.();
  process.stdout.write(JSON.stringify({ ms: performance.now() - start, packets, bytes }));
}

if (args[0] === '--child') {
  if (args[1] === 'ours') await childOurs(args[2]);
  else await childNodeAv(args[2]);
  process.exit(0);
}

const frames = Number(option('frames', '1800'));
const runs = Number(option('runs', '5'));
const dir = mkdtempSync(join(tmpdir(), 'proj-demux-'));
const file = join(dir, 'in.mp4');
makeH264(file, frames, 'ultrafast');
const self = fileURLToPath(import.meta.url);
const contenders = {
  ours: ['node', [self, '--child', 'ours', file]],
  'node-av': ['node', [self, '--child', 'node-av', file]],
  ffprobe: ['ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_packets', '-of', 'csv', file]],
};
const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let r = 0; r < runs; r++) {
  for (const [name, [command, argv]] of Object.entries(contenders)) {
    const start = performance.now();
    const out = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 28 });
    const wall = performance.now() - start;
    if (out.status !== 0) throw new Error(`${name}: ${out.stderr}`);
    const inner = name === 'ffprobe' ? { packets: out.stdout.trim().split('\n').length } : JSON.parse(out.stdout);
    results[name].push({ wall, ...inner });
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = median(results.ours.map((r) => r.wall));
console.log(`${cpus().length}× ${cpus()[0].model.trim()}; ${frames} frames of 1080p H.264 (B-frames) in MP4; median of ${runs} whole-process runs`);
console.log('| contender | s | packets | packets/s | its time ÷ ours |\n|---|---:|---:|---:|---:|');
for (const [name, rs] of Object.entries(results)) {
  const wall = median(rs.map((r) => r.wall));
  const packets = rs[0].packets;
  console.log(`| ${name} | ${(wall / 1000).toFixed(2)} | ${packets} | ${((packets * 1000) / wall).toFixed(0)} | ${(wall / ours).toFixed(2)} |`);
}
const inProcess = (name) => median(results[name].map((r) => r.ms));
console.log(`\nIn process (open to last packet): ours ${inProcess('ours').toFixed(0)} ms, node-av ${inProcess('node-av').toFixed(0)} ms.`);
