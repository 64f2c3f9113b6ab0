#!/usr/bin/env node
// The whole draw + encode job, as a recorder of many cameras runs it:
// 1080p30 H.264 in → decode → 50 boxes + labels → H.264 (x264 ultrafast,
// zerolatency, no B-frames, keyframe every 30) → MP4, for --streams streams
// at once on every core, whole processes, interleaved, median of --runs:
//   ours:   one Node process: MediaSource → FlexibleDecoderPool → PicassoEngine → Mp4Muxer
//   ffmpeg: one process per stream: 50 drawbox + 50 drawtext, libx264 → mp4
//   gst:    one gst-launch per stream: avdec_h264 → rsvgoverlay (the 50 boxes and labels as SVG) → x264enc → mp4mux
// Throughput is frames/s over all streams; "streams per core" is that over
// 30 fps and the cores. Then the latency our engine adds, sendFrame →
// onEncodedFrame, for one stream sent at 30 fps.
//
//   node benchmarks/picasso.mjs [--streams 4] [--frames 300] [--runs 3] [--split]
//
// --split adds where the CPU goes, per frame (CPU time of the whole
// process(es) through /usr/bin/time, over all streams): our decode alone
// (the engine dropping), our decode + place + encode with nothing drawn,
// ffmpeg's decode alone and ffmpeg's transcode with nothing drawn.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeH264 } from './support.mjs';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '4' },
    frames: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    child: { type: 'string' },
    split: { type: 'boolean', default: false },
    file: { type: 'string' },
    out: { type: 'string' },
  },
});
const streams = Number(values.streams);
const W = 1920;
const H = 1080;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** The 50 objects: a 10 × 5 grid of 120 × 80 boxes, each labelled. */
const boxes = Array.from({ length: 50 }, (_, i) => ({
  x: 60 + (i % 10) * 185,
  y: 120 + Math.floor(i / 10) * 190,
  w: 120,
  h: 80,
  text: `car ${(0.5 + (i % 50) / 100).toFixed(2)}`,
}));

async function ours(file, count, outDir, paced, mode = 'draw') {
  const { EncoderConfig, EncoderProperties, FlexibleDecoderPool, FlexibleDecoderPoolConfig, H264CpuProps, MemType, VideoFrame } = await import('@proj/deepstream');
  const { Codec, MediaSource, Mp4Muxer } = await import('@proj/gstreamer');
  const { BoundingBoxDraw, CodecSpec, ColorDraw, GeneralSpec, LabelDraw, ObjectDraw, ObjectDrawSpec, PicassoEngine, SourceSpec } = await import('@proj/picasso');
  const draw = new ObjectDrawSpec();
  draw.insert('det', 'car', new ObjectDraw({
    boundingBox: new BoundingBoxDraw({ borderColor: new ColorDraw(255, 0, 0, 255), backgroundColor: new ColorDraw(0, 0, 0, 0), thickness: 2 }),
    label: new LabelDraw(new ColorDraw(255, 255, 255, 255), { backgroundColor: new ColorDraw(0, 0, 0, 150), fontScale: 14 / 12, format: ['{label} {confidence:.2f}'] }),
  }));
  const config = new EncoderConfig('h264', W, H).properties(EncoderProperties.h264Cpu(new H264CpuProps({ preset: 'ultrafast' })));
  const muxers = new Map();
  const finished = [];
  const engine = new PicassoEngine(new GeneralSpec(), {
    onEncodedFrame: (m) => {
      if (m.isEos) {
        finished.push(muxers.get(m.asEos().sourceId).finish());
        return;
      }
      const f = m.asVideoFrame();
      let muxer = muxers.get(f.sourceId);
      if (!muxer) muxers.set(f.sourceId, (muxer = new Mp4Muxer(Codec.H264, join(outDir, `${f.sourceId}.mp4`), { fpsNum: 30 })));
      muxer.push(f.content.data, f.pts);
    },
    onError: (s, e) => console.error(s, e.code, e.message),
  });
  const n = paced ? 1 : count;
  const codec = mode === 'decode' ? CodecSpec.dropFrames() : CodecSpec.encode({}, config);
  for (let s = 0; s < n; s++) engine.setSourceSpec(`s${s}`, new SourceSpec({ codec, draw: mode === 'draw' ? draw : new ObjectDrawSpec() }));
  const sends = [];
  const pool = new FlexibleDecoderPool(new FlexibleDecoderPoolConfig(0, 8).withMemType(MemType.SYSTEM), (output) => {
    const delivery = output.asFrame()?.takeDelivery();
    if (!delivery) return;
    sends.push(delivery.unseal().then(([frame, buffer]) => {
      for (const b of boxes) frame.addObject({ namespace: 'det', label: 'car', confidence: Number(b.text.slice(4)), detectionBox: { xc: b.x + b.w / 2, yc: b.y + b.h / 2, width: b.w, height: b.h } }, { idPolicy: 'generate' });
      return engine.sendFrame(frame.sourceId, frame, buffer);
    }));
  });
  await Promise.all(Array.from({ length: n }, async (_, s) => {
    const start = performance.now();
    let i = 0;
    for await (const packet of new MediaSource(file, { audio: false })) {
      if (paced) {
        const due = start + (i++ * 1000) / 30;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await pool.submit(VideoFrame.fromPacket(`s${s}`, packet), packet.data);
    }
  }));
  await pool.gracefulShutdown();
  await Promise.all(sends);
  const stats = engine.stats();
  for (let s = 0; s < n; s++) engine.sendEos(`s${s}`);
  await engine.shutdown();
  await Promise.all(finished);
  return stats;
}

if (values.child === 'decode' || values.child === 'transcode') {
  await ours(values.file, streams, values.out, false, values.child);
  process.exit(0);
}
if (values.child === 'ours' || values.child === 'latency') {
  const stats = await ours(values.file, streams, values.out, values.child === 'latency');
  process.stdout.write(JSON.stringify(stats.sources.map((s) => ({ encoded: s.encoded, latencyMs: s.latencyMs, drawMs: s.drawMs, encodeMs: s.encodeMs, transformMs: s.transformMs }))));
  process.exit(0);
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(-500)}`))));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'bench-picasso-'));
const input = join(dir, 'in.mp4');
makeH264(input, Number(values.frames), 'veryfast');
const svg = join(dir, 'boxes.svg');
writeFileSync(svg, `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${boxes.map((b) =>
  `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" fill="none" stroke="red" stroke-width="2"/>` +
  `<rect x="${b.x}" y="${b.y - 24}" width="70" height="20" fill="black" fill-opacity="0.6"/>` +
  `<text x="${b.x + 2}" y="${b.y - 9}" font-family="DejaVu Sans" font-size="14" fill="white">${b.text}</text>`).join('')}</svg>`);
const filters = boxes.map((b) =>
  `drawbox=x=${b.x}:y=${b.y}:w=${b.w}:h=${b.h}:color=red:t=2,` +
  `drawtext=fontfile=${FONT}:text='${b.text}':x=${b.x + 2}:y=${b.y - 22}:fontsize=14:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=2`).join(',');
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-g', '30'];

const tools = {
  ours: () => run(process.execPath, [process.argv[1], '--child', 'ours', '--file', input, '--streams', String(streams), '--out', dir]),
  ffmpeg: () => Promise.all(Array.from({ length: streams }, (_, s) => run('ffmpeg', ['-v', 'error', '-y', '-i', input, '-vf', filters, ...x264, join(dir, `ff${s}.mp4`)]))),
  gst: () => Promise.all(Array.from({ length: streams }, (_, s) => run('gst-launch-1.0', ['-q',
    'filesrc', `location=${input}`, '!', 'qtdemux', '!', 'h264parse', '!', 'avdec_h264', '!', 'videoconvert', '!',
    'rsvgoverlay', `location=${svg}`, '!', 'videoconvert', '!',
    'x264enc', 'speed-preset=ultrafast', 'tune=zerolatency', 'key-int-max=30', '!', 'mp4mux', '!', 'filesink', `location=${join(dir, `gst${s}.mp4`)}`]))),
};

const times = { ours: [], ffmpeg: [], gst: [] };
for (let r = 0; r < Number(values.runs); r++) {
  for (const [name, go] of Object.entries(tools)) {
    const t = performance.now();
    await go();
    times[name].push((performance.now() - t) / 1000);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cores = cpus().length;
const total = streams * Number(values.frames);
const fps = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, total / median(v)]));
/** CPU seconds (user + system) of `command` and its children. */
async function cpuSeconds(command, args) {
  const out = await new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/time', ['-f', '%U %S', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(err) : reject(new Error(err))));
  });
  const [user, sys] = out.trim().split('\n').pop().split(' ').map(Number);
  return user + sys;
}
const split = {};
if (values.split) {
  const self = [process.argv[1], '--file', input, '--streams', String(streams), '--out', dir];
  const all = (cmd) => `for i in $(seq ${streams}); do ${cmd} & done; wait`;
  const x = x264.join(' ');
  split['ours: decode (to RGBA)'] = await cpuSeconds(process.execPath, [...self, '--child', 'decode']);
  split['ours: decode + place + encode, nothing drawn'] = await cpuSeconds(process.execPath, [...self, '--child', 'transcode']);
  split['ffmpeg: decode'] = await cpuSeconds('bash', ['-c', all(`ffmpeg -v error -i ${input} -f null -`)]);
  split['ffmpeg: decode + encode, nothing drawn'] = await cpuSeconds('bash', ['-c', all(`ffmpeg -v error -i ${input} ${x} -f null -`)]);
}
const latency = JSON.parse(await run(process.execPath, [process.argv[1], '--child', 'latency', '--file', input, '--streams', '1', '--out', dir]))[0];
rmSync(dir, { recursive: true, force: true });

console.log(`machine: ${cpus()[0].model}, ${cores} cores; ${streams} streams × ${values.frames} frames of 1080p30 at once; median of ${values.runs}`);
console.log('| pipeline | frames/s (all streams) | real-time 1080p30 streams per core | ours ÷ it |');
console.log('|---|---|---|---|');
for (const [name, f] of Object.entries(fps)) {
  console.log(`| ${name} | ${f.toFixed(0)} | ${(f / 30 / cores).toFixed(2)} | ${(fps.ours / f).toFixed(2)} |`);
}
const p = (x) => `${x.p50.toFixed(1)} / ${x.p99.toFixed(1)}`;
for (const [name, cpu] of Object.entries(split)) console.log(`CPU per frame, ${name}: ${((cpu * 1000) / total).toFixed(2)} ms`);
console.log(`latency sendFrame → onEncodedFrame, one stream sent at 30 fps (p50 / p99 ms): ${p(latency.latencyMs)}; of it: place ${p(latency.transformMs)}, draw ${p(latency.drawMs)}, encode ${p(latency.encodeMs)}`);
