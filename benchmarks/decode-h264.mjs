// Decode 1080p H.264 to RGBA: ours (FlexibleDecoder, frames delivered to
// JS as RGBA buffers) against gst-launch (avdec_h264 ! videoconvert) and
// node-av (FFmpeg bindings: decoder + format=rgba filter), in the same run;
// then 8 concurrent streams through FlexibleDecoderPool.
//
//   node benchmarks/decode-h264.mjs [--frames 300] [--runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { makeH264, option, shimWithResolvers } from './support.mjs';

const args = process.argv.slice(2);

/** The packets of a .ts file: Annex-B access units with timestamps. */
function loadPackets(dir) {
  const index = JSON.parse(readFileSync(join(dir, 'packets.json'), 'utf8'));
  const bytes = readFileSync(join(dir, 'packets.bin'));
  let offset = 0;
  return index.map((p) => {
    const data = bytes.subarray(offset, offset + p.size);
    offset += p.size;
    return { ...p, data, pts: BigInt(p.pts), dts: BigInt(p.dts) };
  });
}

async function childOurs(dir, streams) {
  const { FlexibleDecoder, FlexibleDecoderPool, FlexibleDecoderConfig, FlexibleDecoderPoolConfig, MemType, VideoFrame } = await import('@proj/deepstream');
  const packets = loadPackets(dir);
  let frames = 0;
  const onOutput = (output) => {
    if (output.isFrame) frames += 1;
  };
  const frameOf = (p, sourceId) => new VideoFrame({ sourceId, width: 1920, height: 1080, codec: 'h264', pts: p.pts, dts: p.dts, keyframe: p.keyframe });
  const start = performance.now();
  if (streams === 1) {
    const decoder = new FlexibleDecoder(new FlexibleDecoderConfig('cam', 0, 4).withMemType(MemType.SYSTEM), onOutput);
    for (const p of packets) await decoder.submit(frameOf(p, 'cam'), p.data);
    await decoder.gracefulShutdown();
  } else {
    const pool = new FlexibleDecoderPool(new FlexibleDecoderPoolConfig(0, 4, 60_000).withMemType(MemType.SYSTEM), onOutput);
    await Promise.all(
      Array.from({ length: streams }, async (_, s) => {
        for (const p of packets) await pool.submit(frameOf(p, `cam-${s}`), p.data);
      }),
    );
    await pool.gracefulShutdown();
  }
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ ms, frames }));
}

async function childNodeAv(source) {
  shimWithResolvers();
  const { Decoder, Demuxer, FilterAPI } = await import('node-av/api');
  const start = performance.now();
  // Node 20 has no `using`: close by hand.
  const input = await Demuxer.open(source);
  const stream = input.video();
  const decoder = await Decoder.create(stream);
  const filter = FilterAPI.create('format=rgba', { timeBase: stream.timeBase });
  let frames = 0;
  for await (const frame of filter.frames(decoder.frames(input.packets(stream.index)))) {
    if (frame) {
      frames += 1;
      frame.free?.();
    }
  }
  const ms = performance.now() - start;
  if (frames === 0) throw new Error('node-av decoded no frames');
  filter.close?.();
  decoder.close?.();
  await input.close?.();
  process.stdout.write(JSON.stringify({ ms, frames }));
}

if (args[0] === '--child') {
  const [, kind, dir, streams] = args;
  if (kind === 'ours') await childOurs(dir, Number(streams));
  else await childNodeAv(join(dir, 'in.ts'));
  process.exit(0);
}

const framesWanted = Number(option('frames', '300'));
const runs = Number(option('runs', '3'));
const dir = mkdtempSync(join(tmpdir(), 'proj-decode-'));
const source = join(dir, 'in.ts');
makeH264(source, framesWanted, 'veryfast');
// Cut into access units with ffprobe's packet table (not timed).
const probe = JSON.parse(
  execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-of', 'json', '-show_entries', 'packet=pts,dts,size,flags', source]).toString(),
);
const es = execFileSync('ffmpeg', ['-v', 'error', '-i', source, '-map', '0:v:0', '-c', 'copy', '-f', 'data', '-'], { maxBuffer: 1 << 30 });
writeFileSync(join(dir, 'packets.bin'), es);
const toNs = (ticks) => String((BigInt(ticks) * 1_000_000_000n) / 90_000n);
writeFileSync(
  join(dir, 'packets.json'),
  JSON.stringify(probe.packets.map((p) => ({ size: Number(p.size), pts: toNs(p.pts), dts: toNs(p.dts), keyframe: p.flags.startsWith('K') }))),
);
const count = probe.packets.length;
const self = fileURLToPath(import.meta.url);

function timed(command, argv, parse) {
  const start = performance.now();
  const result = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')}: ${result.stderr}`);
  return { wall, ...(parse ? JSON.parse(result.stdout) : {}) };
}

const gst = (caps) => ['-q', 'filesrc', `location=${source}`, '!', 'tsdemux', '!', 'h264parse', '!', 'avdec_h264', '!', 'videoconvert', '!', ...caps, 'fakesink'];
const contenders = {
  ours: () => timed('node', [self, '--child', 'ours', dir, '1'], true),
  'gst-rgba': () => timed('gst-launch-1.0', gst(['video/x-raw,format=RGBA', '!'])),
  'gst-i420': () => timed('gst-launch-1.0', gst([])),
  'node-av': () => timed('node', [self, '--child', 'node-av', dir], true),
};
const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let r = 0; r < runs; r++) {
  for (const [name, run] of Object.entries(contenders)) results[name].push(run());
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const oursWall = median(results.ours.map((r) => r.wall));

console.log(`1920x1080 H.264 (x264 veryfast, B-frames), ${count} frames → RGBA, median of ${runs} whole-process runs, ${cpus().length}× ${cpus()[0]?.model}\n`);
console.log('| contender | what runs | whole process, s | frames/s | ours is … × as fast |');
console.log('|---|---|---:|---:|---:|');
const describe = {
  ours: '`FlexibleDecoder` (avdec_h264 → RGBA in our pool, each frame to a JS callback)',
  'gst-rgba': '`gst-launch-1.0 … avdec_h264 ! videoconvert ! video/x-raw,format=RGBA ! fakesink`',
  'gst-i420': '`gst-launch-1.0 … avdec_h264 ! videoconvert ! fakesink` (no conversion: I420 passes through)',
  'node-av': '`node-av` 6.1.1: Demuxer → Decoder → FilterAPI `format=rgba`',
};
for (const name of Object.keys(contenders)) {
  const wall = median(results[name].map((r) => r.wall));
  console.log(`| ${name} | ${describe[name]} | ${(wall / 1000).toFixed(3)} | ${((count * 1000) / wall).toFixed(0)} | ${(wall / oursWall).toFixed(2)} |`);
}
const inProcess = (name) => median(results[name].map((r) => r.ms));
console.log(`\nIn process (decoder start to last frame): ours ${(inProcess('ours') / 1000).toFixed(3)} s (${((count * 1000) / inProcess('ours')).toFixed(0)} fps), node-av ${(inProcess('node-av') / 1000).toFixed(3)} s (${((count * 1000) / inProcess('node-av')).toFixed(0)} fps); frames delivered: ours ${results.ours[0].frames}, node-av ${results['node-av'][0].frames}.`);

const pool = timed('node', [self, '--child', 'ours', dir, '8'], true);
console.log(`8 concurrent streams through FlexibleDecoderPool: ${pool.frames} frames in ${(pool.ms / 1000).toFixed(2)} s = ${((pool.frames * 1000) / pool.ms).toFixed(0)} fps aggregate.`);
