#!/usr/bin/env node
// Encode benchmark, whole processes on one core (taskset -c 0), interleaved,
// median of --runs: 1080p RGBA frames → H.264 (x264 ultrafast, zerolatency,
// one thread) through our Encoder from a pool, against
//   ffmpeg -f rawvideo -pix_fmt rgba … -c:v libx264 -preset ultrafast -tune zerolatency -threads 1
//   gst-launch-1.0 filesrc ! rawvideoparse ! videoconvert ! x264enc … threads=1
// and JPEG (quality 85) against ffmpeg's mjpeg; then 8 concurrent 720p H.264
// encoders on both cores, aggregate frames per second, against 8 ffmpeg.
//
//   node benchmarks/encode.mjs [--frames 120] [--runs 3]
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '120' },
    runs: { type: 'string', default: '3' },
    child: { type: 'string' },
    file: { type: 'string' },
    width: { type: 'string', default: '1920' },
    height: { type: 'string', default: '1080' },
  },
});
const frames = Number(values.frames);

/** The child: our Encoder fed from a pool, frames read from the raw file. */
async function child(kind, file, W, H) {
  const { BufferGenerator, Encoder, EncoderConfig, EncoderProperties, H264CpuProps, JpegProps, SurfaceView } = await import('@proj/deepstream');
  const size = W * H * 4;
  const count = statSync(file).size / size;
  const config =
    kind === 'jpeg'
      ? new EncoderConfig('jpeg', W, H).format('RGBA').properties(EncoderProperties.jpeg(new JpegProps({ quality: 85 })))
      : new EncoderConfig('h264', W, H).format('RGBA').properties(EncoderProperties.h264Cpu(new H264CpuProps({ preset: 'ultrafast', threads: 1 })));
  let bytes = 0;
  const encoder = new Encoder(config, (f) => (bytes += f.data.length));
  const pool = new BufferGenerator('RGBA', W, H, { poolSize: 2, memType: 'system' });
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(size);
  for (let i = 0; i < count; i++) {
    readSync(fd, chunk, 0, size, i * size);
    const buffer = await pool.acquire();
    const view = SurfaceView.fromBuffer(buffer);
    view.uploadSync(chunk);
    view.release();
    await encoder.submit(buffer, BigInt(i) * 40_000_000n);
    buffer.release();
  }
  closeSync(fd);
  await encoder.finish();
  process.stdout.write(String(bytes));
}

if (values.child) {
  await child(values.child, values.file, Number(values.width), Number(values.height));
  process.exit(0);
}

const runs = Number(values.runs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const script = new URL(import.meta.url).pathname;

function rawFile(W, H, n) {
  const file = join(tmpdir(), `proj-encode-${W}x${H}-${n}.rgba`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=25`, '-frames:v', String(n), '-pix_fmt', 'rgba', '-f', 'rawvideo', file]);
  return file;
}

/** Seconds a command takes, spawned to exit. */
function time(cmd, args) {
  const start = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 20 });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const one = (cmd, args) => ['taskset', ['-c', '0', cmd, ...args]];

function contenders(file, W, H) {
  const raw = ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${W}x${H}`, '-r', '25', '-i', file];
  const gstIn = ['-q', 'filesrc', `location=${file}`, `blocksize=${W * H * 4}`, '!', 'rawvideoparse', `width=${W}`, `height=${H}`, 'format=rgba', 'framerate=25/1', '!'];
  return {
    h264: {
      ours: one(process.execPath, [script, '--child', 'h264', '--file', file, '--width', String(W), '--height', String(H)]),
      ffmpeg: one('ffmpeg', [...raw, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1', '-f', 'h264', '-y', '/dev/null']),
      'gst-launch': one('gst-launch-1.0', [...gstIn, 'videoconvert', '!', 'x264enc', 'speed-preset=ultrafast', 'tune=zerolatency', 'threads=1', '!', 'fakesink']),
    },
    jpeg: {
      ours: one(process.execPath, [script, '--child', 'jpeg', '--file', file, '--width', String(W), '--height', String(H)]),
      ffmpeg: one('ffmpeg', [...raw, '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '3', '-threads', '1', '-f', 'mjpeg', '-y', '/dev/null']),
      'gst-launch': one('gst-launch-1.0', [...gstIn, 'videoconvert', '!', 'jpegenc', 'quality=85', '!', 'fakesink']),
    },
  };
}

const file = rawFile(1920, 1080, frames);
console.log(`${cpus().length}× ${cpus()[0]?.model ?? '?'}; ${frames} frames of 1080p RGBA (testsrc2); one core (taskset -c 0); median of ${runs} whole-process runs`);
for (const [codec, table] of Object.entries(contenders(file, 1920, 1080))) {
  const times = Object.fromEntries(Object.keys(table).map((k) => [k, []]));
  for (let r = 0; r < runs; r++) for (const [name, [cmd, args]] of Object.entries(table)) times[name].push(time(cmd, args));
  const ours = median(times.ours);
  console.log(`\n${codec}\n| contender | s | frames/s | ours ÷ it (speed) |\n|---|---:|---:|---:|`);
  for (const [name, t] of Object.entries(times)) {
    const m = median(t);
    console.log(`| ${name} | ${m.toFixed(2)} | ${(frames / m).toFixed(1)} | ${(m / ours).toFixed(2)} |`);
  }
}

// 8 concurrent 720p H.264 encoders on every core.
const file720 = rawFile(1280, 720, frames);
async function concurrent(makeArgs) {
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 8 }, () => new Promise((resolve, reject) => {
      const [cmd, args] = makeArgs();
      spawn(cmd, args, { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
    })),
  );
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const eight = { ours: [], ffmpeg: [] };
for (let r = 0; r < runs; r++) {
  eight.ours.push(await concurrent(() => [process.execPath, [script, '--child', 'h264', '--file', file720, '--width', '1280', '--height', '720']]));
  eight.ffmpeg.push(await concurrent(() => ['ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', '1280x720', '-r', '25', '-i', file720, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1', '-f', 'h264', '-y', '/dev/null']]));
}
console.log(`\n8 concurrent 720p H.264 encoders (separate processes, ${frames} frames each, all cores)\n| contender | s | aggregate frames/s | ours ÷ it (speed) |\n|---|---:|---:|---:|`);
const o = median(eight.ours);
for (const [name, t] of Object.entries(eight)) console.log(`| ${name} | ${median(t).toFixed(2)} | ${((8 * frames) / median(t)).toFixed(1)} | ${(median(t) / o).toFixed(2)} |`);
writeFileSync('/dev/null', '');
