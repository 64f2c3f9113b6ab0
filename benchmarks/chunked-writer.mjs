#!/usr/bin/env node
// omgrab's job: two 720p30 RGB cameras plus an IMU data track (one ~200 B
// JSON payload per frame), `--seconds` of frames, rotated every `--chunk`
// seconds into one MKV per chunk, libx264 at omgrab's 2 Mbit/s. Same frames
// (ffmpeg testsrc2, 30 distinct frames looped) and same timestamps for:
//   ours:   @proj/gstreamer ChunkedWriter (in this process)
//   omgrab: omgrab 0.1.2's ChunkedWriter (PyAV + ffmpeg merge), run by
//           benchmarks/omgrab/omgrab_record.py in its venv (setup.sh)
// Reported: CPU time (user+sys, children included) per recorded second,
// wall time, and latency from the last frame of a chunk written to that
// chunk being durable (ours: the `chunk-durable` event; omgrab: its final
// NNNNN.mkv appearing). `--pace fast` feeds as fast as each writer admits
// (never dropping); `--pace realtime` at 30 fps of wall time.
//
// x264's preset is `--preset` for ours (default medium: omgrab's PyAV
// libx264 runs at its default, medium); ours keeps tune=zerolatency (no
// B-frames, nothing held across a chunk boundary). PSNR of the first
// chunk's cam0 against the source frames says what each bought.
//
//   node benchmarks/chunked-writer.mjs [--seconds 60] [--chunk 10] [--pace fast] [--preset medium] [--no-omgrab]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { ChunkedWriter } from '@proj/gstreamer';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    chunk: { type: 'string', default: '10' },
    pace: { type: 'string', default: 'fast' },
    'no-omgrab': { type: 'boolean', default: false },
    preset: { type: 'string', default: 'medium' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
    silent: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const CHUNK = Number(values.chunk);
const W = Number(values.width);
const H = Number(values.height);
// `--silent cam1:2`: cam1 gets no frame after 2 s (the others go on).
const [silentStream, silentAfter] = values.silent ? [values.silent.split(':')[0], Number(values.silent.split(':')[1])] : [null, Infinity];
const FPS = 30;
const here = fileURLToPath(new URL('.', import.meta.url));
const framesFile = join(tmpdir(), `proj-bench-frames-${W}x${H}.rgb`);
if (!existsSync(framesFile)) {
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=${FPS}`, '-frames:v', '30', '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-y', framesFile]);
}
const all = readFileSync(framesFile);
const size = W * H * 3;
const frames = Array.from({ length: all.length / size }, (_, i) => all.subarray(i * size, (i + 1) * size));

/** Luma PSNR (dB) of `file`'s first video stream against `reference`, our
 * lossless encode of the same frames (same RGB→YUV conversion), so only the
 * encoder's loss counts. */
function psnr(file, reference) {
  const out = spawnSync('ffmpeg', ['-v', 'info', '-i', `file:${file}`, '-i', `file:${reference}`,
    '-lavfi', '[0:v:0]format=yuv420p[a];[1:v:0]format=yuv420p[b];[a][b]psnr', '-frames:v', String(CHUNK * FPS), '-f', 'null', '-'], { encoding: 'utf8' });
  const m = / y:([0-9.]+)/.exec(out.stderr);
  return m ? Number(m[1]) : NaN;
}

function packets(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', `file:${file}`]).toString();
  return out.trim().split('\n').map(Number);
}

let t0 = 0;
async function ours(lossless = false) {
  const dir = mkdtempSync(join(tmpdir(), 'proj-bench-chunked-'));
  const options = lossless ? { preset: 'ultrafast', qp: '0' } : { preset: values.preset };
  const cam = { width: W, height: H, fps: FPS, streamOptions: options };
  const writer = new ChunkedWriter('bench', dir, { cam0: cam, cam1: cam }, {
    chunkLengthS: CHUNK,
    sensorStreamConfigs: { imu: { codec: 'json' } },
  });
  const lastWritten = new Map();
  const latency = [];
  const durableAt = [];
  writer.on('chunk-durable', (c) => durableAt.push(((performance.now() - t0) / 1000).toFixed(1)));
  writer.on('chunk-durable', (c) => {
    const last = lastWritten.get(c.seq);
    if (last !== undefined) latency.push((performance.now() - last) / 1000);
  });
  await writer.start();
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const epoch0 = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < (lossless ? CHUNK : SECONDS) * FPS; i++) {
    if (values.pace === 'realtime' && !lossless) {
      const wait = t0 + (i * 1000) / FPS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const ts = epoch0 + (BigInt(i) * 1_000_000_000n) / BigInt(FPS);
    const f = frames[i % frames.length];
    const imu = `{"i":${i},"t":${ts},"accel":[0.0123,-0.0456,9.8012],"gyro":[0.0011,-0.0022,0.0033],"mag":[21.5,-4.25,39.75],"temp":36.6,"pad":"${'x'.repeat(40)}"}`;
    const silent = (name) => name === silentStream && i >= silentAfter * FPS;
    await Promise.all([
      silent('cam0') ? null : writer.writeFrame('cam0', f, ts),
      silent('cam1') ? null : writer.writeFrame('cam1', f, ts),
      silent('imu') ? null : writer.writeData('imu', imu, ts),
    ]);
    lastWritten.set(Math.floor(i / (CHUNK * FPS)), performance.now());
  }
  const manifest = await writer.stop();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rss = process.memoryUsage().rss / 2 ** 20;
  const files = readdirSync(dir).filter((f) => f.endsWith('.mkv')).sort();
  const counts = files.map((f) => packets(join(dir, f)));
  const bytes = manifest.chunks.reduce((a, c) => a + c.bytes, 0);
  if (lossless) return { dir, file: join(dir, files[0]) };
  const quality = psnr(join(dir, files[0]), reference.file);
  rmSync(dir, { recursive: true, force: true });
  return { cpu: (cpu.user + cpu.system) / 1e6, wall, latency, chunks: files.length, counts, bytes, psnr: quality, rss, durableAt };
}

function omgrab() {
  const setup = spawnSync('bash', [join(here, 'omgrab', 'setup.sh')], { encoding: 'utf8' });
  if (setup.status !== 0) return { error: `omgrab setup failed: ${setup.stderr.slice(-500)}` };
  const python = setup.stdout.trim().split('\n').at(-1);
  const out = mkdtempSync(join(tmpdir(), 'proj-bench-omgrab-'));
  const run = spawnSync(
    python,
    [join(here, 'omgrab', 'omgrab_record.py'), '--frames', framesFile, '--width', String(W), '--height', String(H), '--fps', String(FPS),
      '--streams', '2', '--data', '--seconds', String(SECONDS), '--chunk', String(CHUNK), '--pace', values.pace, '--out', out,
      ...(values.silent ? ['--silent', values.silent, '--watchdog', String(SECONDS * 2 + 60)] : [])],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  if (run.status !== 0) return { error: `omgrab failed: ${run.stderr.slice(-800)}` };
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1));
  const counts = (r.chunks ?? []).map((c) => (c.path && existsSync(c.path) ? packets(c.path) : null));
  const appeared = (r.chunks ?? []).map((c) => c.appeared_at_s);
  // Not measured: PyAV's RGB→YUV conversion is not ours, and a reference
  // through it (a lossless omgrab encode) is not something omgrab offers.
  const quality = NaN;
  const bytes = (r.chunks ?? []).reduce((a, c) => a + (c.bytes ?? 0), 0);
  rmSync(out, { recursive: true, force: true });
  const latency = Array.isArray(r.durable_latency_s) ? r.durable_latency_s : (r.chunks ?? []).map((c) => c.durable_latency_s).filter((x) => typeof x === 'number');
  return { cpu: r.cpu_user_s + r.cpu_sys_s, wall: r.wall_s, latency, chunks: r.chunks?.length ?? 0, bytes, psnr: quality, counts, appeared, rss: r.rss_max_mb, refused: r.frames_refused };
}

const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const reference = await ours(true);
const a = await ours();
rmSync(reference.dir, { recursive: true, force: true });
const b = values['no-omgrab'] ? null : omgrab();
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB; ${SECONDS} s of 2×${W}x${H}@${FPS} + imu, ${CHUNK} s chunks, pace ${values.pace}`);
console.log(`ours: ${a.chunks} chunks, packets per chunk ${JSON.stringify(a.counts)}, durable at ${a.durableAt.join(', ')} s, RSS ${a.rss.toFixed(0)} MiB`);
if (b && !b.error) console.log(`omgrab: ${b.chunks} chunks, packets per chunk ${JSON.stringify(b.counts)}, appeared at ${b.appeared.join(', ')} s, RSS max ${b.rss} MiB, frames refused ${JSON.stringify(b.refused)}`);
const row = (name, r) =>
  `| ${name} | ${(r.cpu / SECONDS).toFixed(3)} | ${r.cpu.toFixed(1)} | ${r.wall.toFixed(1)} | ${median(r.latency).toFixed(2)} | ${Math.max(...r.latency).toFixed(2)} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${r.psnr.toFixed(1)} |`;
console.log('| recorder | CPU s per recorded s | CPU s | wall s | latency to durable, median s | max s | MiB | Y PSNR cam0 chunk 0, dB |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
console.log(row(`ours (x264 ${values.preset})`, a));
if (b && !b.error) {
  console.log(row('omgrab 0.1.2', b));
  console.log(`CPU ours ÷ omgrab: ${(a.cpu / b.cpu).toFixed(2)}×; latency (median) ours ÷ omgrab: ${(median(a.latency) / median(b.latency)).toFixed(2)}×`);
} else if (b) console.log(b.error);
