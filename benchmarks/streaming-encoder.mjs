#!/usr/bin/env node
// torio's job in Node: 720p30 RGB frames + 48 kHz stereo float audio →
// H.264 (x264 ultrafast, CRF 23) + AAC (128 kbit/s) → fragmented MP4, fed
// chunk by chunk from JavaScript, in the same run, interleaved, median of
// --runs:
//   ours:   StreamingMediaEncoder (one write per second of frames and audio)
//   ffmpeg: what Node users do today: spawn ffmpeg, pipe raw frames into
//           stdin and raw audio into a second pipe, honouring back-pressure
// Throughput is frames/s of the whole job (from the first write to a
// complete file); quality is the PSNR of each output against the frames.
//
//   node benchmarks/streaming-encoder.mjs [--seconds 10] [--runs 3]
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { StreamingMediaEncoder } from '@proj/gstreamer';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const W = 1280;
const H = 720;
const FPS = 30;
const RATE = 48_000;

function frames(first) {
  const out = new Uint8Array(FPS * W * H * 3);
  let o = 0;
  for (let f = first; f < first + FPS; f++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        out[o++] = (x * 255) / W;
        out[o++] = (y * 255) / H;
        out[o++] = 128 + 100 * Math.sin((x + 4 * f) / 23) * Math.cos((y - 2 * f) / 17);
      }
    }
  }
  return out;
}
// Two different seconds, alternated: content that moves, made once.
const second = [frames(0), frames(FPS)];
const audio = new Float32Array(RATE * 2);
for (let i = 0; i < RATE; i++) audio[2 * i] = audio[2 * i + 1] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE);

async function ours(file) {
  const enc = new StreamingMediaEncoder(file);
  const v = enc.addVideoStream(FPS, W, H, 'rgb24', { encoder: 'libx264', encoderOption: { preset: 'ultrafast', crf: '23' } });
  const a = enc.addAudioStream(RATE, 2, 'flt', { encoder: 'aac', codecConfig: { bitRate: 128_000 } });
  const start = process.hrtime.bigint();
  await enc.open();
  for (let s = 0; s < SECONDS; s++) {
    await enc.writeVideoChunk(v, second[s % 2]);
    await enc.writeAudioChunk(a, audio);
  }
  await enc.close();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function write(stream, data) {
  return stream.write(data) ? Promise.resolve() : new Promise((r) => stream.once('drain', r));
}

async function ffmpeg(file) {
  const start = process.hrtime.bigint();
  const child = spawn(
    'ffmpeg',
    ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-r', String(FPS), '-i', 'pipe:0',
      '-f', 'f32le', '-ar', String(RATE), '-ac', '2', '-i', 'pipe:3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-c:a', 'aac', '-b:a', '128k',
      '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '500000', '-y', file],
    { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] },
  );
  const done = new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}`)))));
  const audioPipe = child.stdio[3];
  // Both pipes fed at once, each honouring its back-pressure: ffmpeg reads
  // its inputs as its muxer interleaves them, so one writer feeding the
  // pipes in turn deadlocks (seen: a second of video blocks on a full pipe
  // while ffmpeg waits for audio).
  const frame = W * H * 3;
  await Promise.all([
    (async () => {
      for (let s = 0; s < SECONDS; s++) {
        for (let f = 0; f < FPS; f++) await write(child.stdin, second[s % 2].subarray(f * frame, (f + 1) * frame));
      }
      child.stdin.end();
    })(),
    (async () => {
      for (let s = 0; s < SECONDS; s++) await write(audioPipe, Buffer.from(audio.buffer));
      audioPipe.end();
    })(),
  ]);
  await done;
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function psnr(file) {
  const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-frames:v', '60', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 });
  const want = Buffer.concat([second[0], second[1]]);
  let sum = 0;
  for (let i = 0; i < want.length; i++) sum += (want[i] - decoded[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / want.length));
}

function probe(file) {
  return execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'csv=p=0', file]).toString().trim().replace(/\n/g, ' ');
}

const dir = mkdtempSync(join(tmpdir(), 'proj-bench-sme-'));
const times = { ours: [], ffmpeg: [] };
for (let r = 0; r < Number(values.runs); r++) {
  times.ours.push(await ours(join(dir, 'ours.mp4')));
  times.ffmpeg.push(await ffmpeg(join(dir, 'ffmpeg.mp4')));
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const total = SECONDS * FPS;
const fps = { ours: total / median(times.ours), ffmpeg: total / median(times.ffmpeg) };
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}`);
console.log(`job: ${SECONDS} s of ${W}x${H}@${FPS} rgb24 + ${RATE} Hz stereo flt → H.264 ultrafast CRF 23 + AAC 128k → fragmented MP4, median of ${values.runs}`);
for (const name of ['ours', 'ffmpeg']) {
  const file = join(dir, `${name}.mp4`);
  console.log(`${name.padEnd(7)} ${fps[name].toFixed(1).padStart(6)} fps   (${median(times[name]).toFixed(2)} s)   PSNR ${psnr(file).toFixed(2)} dB   ${probe(file)}`);
}
console.log(`ours / ffmpeg-pipe: ${(fps.ours / fps.ffmpeg).toFixed(2)}×`);
rmSync(dir, { recursive: true, force: true });
