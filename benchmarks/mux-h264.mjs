#!/usr/bin/env node
// Remux benchmark: 3000 frames of 1080p H.264 into MP4, whole processes
// timed in the same run, interleaved, median of N.
//
//   ours          node: read the Annex-B file, cut access units, Mp4Muxer
//                 (default 500 ms fragments, i.e. crash-safe)
//   ours-regular  the same with fragmentDurationMs: 0 (plain MP4)
//   ffmpeg-es     ffmpeg -f h264 -i in.h264 -c copy out.mp4 (same input as ours)
//   ffmpeg-ts     ffmpeg -i in.ts -c copy out.mp4
//   gst-ts        gst-launch-1.0 filesrc ! tsdemux ! h264parse ! qtmux ! filesink
//
//   node benchmarks/mux-h264.mjs [--runs 9] [--frames 3000]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '9' },
    frames: { type: 'string', default: '3000' },
    child: { type: 'boolean', default: false },
    fragment: { type: 'string', default: '500' },
  },
});

if (values.child) {
  // One muxing process, reading the way a fast Node recorder would: into
  // one reused buffer, since push copies what it is given.
  const { Codec, Mp4Muxer } = await import('@proj/gstreamer');
  const { findDelimiter } = await import('../examples/mux-mp4/annexb.mjs');
  const [input, output] = positionals;
  const started = performance.now();
  const muxer = new Mp4Muxer(Codec.H264, output, { fpsNum: 30, fragmentDurationMs: Number(values.fragment) });
  const frameNs = 1_000_000_000n / 30n;
  let frame = 0n;
  const push = (au) => muxer.push(au, frame++ * frameNs);
  const fd = openSync(input, 'r');
  let buffer = Buffer.allocUnsafe(8 << 20);
  let length = 0;
  let scanFrom = 1;
  for (;;) {
    if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    length += read;
    if (read === 0) break;
    const bytes = buffer.subarray(0, length);
    let start = 0;
    for (let next = findDelimiter(bytes, scanFrom); next >= 0; next = findDelimiter(bytes, next + 1)) {
      push(bytes.subarray(start, next));
      start = next;
    }
    buffer.copy(buffer, 0, start, length);
    length -= start;
    scanFrom = Math.max(1, length - 4);
  }
  if (length > 0) push(buffer.subarray(0, length));
  await muxer.finish();
  // In-process time: what a long-running recorder pays per file.
  console.log(JSON.stringify({ inProcessSeconds: (performance.now() - started) / 1000 }));
  process.exit(0);
}

const frames = Number(values.frames);
const runs = Number(values.runs);
const dir = join(tmpdir(), 'proj-bench');
mkdirSync(dir, { recursive: true });
const es = join(dir, `h264-1080p-${frames}.h264`);
const ts = join(dir, `h264-1080p-${frames}.ts`);

function run(command, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const inProcess = /"inProcessSeconds":([0-9.e-]+)/.exec(result.stdout)?.[1];
  return { seconds, inProcess: inProcess === undefined ? undefined : Number(inProcess) };
}

if (!existsSync(ts) || !existsSync(es)) {
  console.error(`encoding ${frames} frames of 1080p H.264 into ${dir} (once)…`);
  run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-frames:v', String(frames)],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-bf', '0', '-x264-params', 'aud=1', '-pix_fmt', 'yuv420p', '-f', 'h264', es],
  ]);
  run('ffmpeg', ['-v', 'error', '-y', '-f', 'h264', '-framerate', '30', '-i', es, '-c', 'copy', ts]);
}

const contenders = {
  ours: (out) => [process.execPath, [self, '--child', es, out]],
  'ours-regular': (out) => [process.execPath, [self, '--child', '--fragment', '0', es, out]],
  'ffmpeg-es': (out) => ['ffmpeg', ['-v', 'error', '-y', '-f', 'h264', '-framerate', '30', '-i', es, '-c', 'copy', out]],
  'ffmpeg-ts': (out) => ['ffmpeg', ['-v', 'error', '-y', '-i', ts, '-c', 'copy', out]],
  'gst-ts': (out) => [
    'gst-launch-1.0',
    ['-q', 'filesrc', `location=${ts}`, '!', 'tsdemux', '!', 'h264parse', '!', 'qtmux', '!', 'filesink', `location=${out}`],
  ],
};

// Warm the page cache so every contender reads from memory.
readFileSync(es);
readFileSync(ts);
const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
const inProcess = { ours: [], 'ours-regular': [] };
for (let i = 0; i < runs; i++) {
  for (const [name, command] of Object.entries(contenders)) {
    const out = join(dir, `${name}.mp4`);
    rmSync(out, { force: true });
    const { seconds, inProcess: s } = run(...command(out));
    times[name].push(seconds);
    if (s !== undefined) inProcess[name].push(s);
    checkOutput(name, out);
    rmSync(out, { force: true });
  }
}

/** Every contender must write all frames, or its time means nothing. */
function checkOutput(name, file) {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  });
  if (Number(probe.stdout.trim()) !== frames) throw new Error(`${name} wrote ${probe.stdout.trim()} frames, expected ${frames}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = median(times.ours);
const mb = readFileSync(es).length / 1e6;
console.log(`${frames} frames of 1080p30 H.264 (${mb.toFixed(0)} MB), median of ${runs} runs, ${cpus().length}× ${cpus()[0]?.model ?? '?'}`);
console.log('');
console.log('| contender | whole process, s | frames/s | time ÷ ours |');
console.log('|---|---:|---:|---:|');
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(`| ${name} | ${m.toFixed(3)} | ${Math.round(frames / m)} | ${(m / ours).toFixed(2)} |`);
}
console.log('');
console.log('In a running process (no Node start-up or addon load), per file, against spawning ffmpeg per file:');
for (const [name, xs] of Object.entries(inProcess)) {
  const m = median(xs);
  console.log(`- ${name}: ${m.toFixed(3)} s, ${Math.round(frames / m)} frames/s, ffmpeg-es takes ${(median(times['ffmpeg-es']) / m).toFixed(2)}× as long, ffmpeg-ts ${(median(times['ffmpeg-ts']) / m).toFixed(2)}×`);
}
