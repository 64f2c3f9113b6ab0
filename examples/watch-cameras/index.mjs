#!/usr/bin/env node
// The whole pipeline, for N sources at once:
//
//   MediaSource (file or RTSP) → FlexibleDecoderPool (RGBA pictures)
//     → a letterboxed batch for a model (UniformBatchGenerator, 256×256)
//     → detections: a motion detector over the batch (motion.mjs)
//     → PicassoEngine: boxes, labels, a blurred privacy zone, H.264
//     → one crash-safe MP4 per source (Mp4Muxer)
//
// It prints each source's frames per second while it runs, then what
// ffprobe sees in each MP4, and writes a PNG of one annotated frame.
// Without sources, it makes four test files with ffmpeg (moving boxes over
// test patterns; H.264 with B-frames and HEVC).
//
//   node examples/watch-cameras/index.mjs [--out DIR] [--seconds N] [file | rtsp://… …]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  EncoderConfig,
  EncoderProperties,
  FlexibleDecoderPool,
  FlexibleDecoderPoolConfig,
  H264CpuProps,
  hasNvenc,
  ticksToNs,
  transformPlacement,
  UniformBatchGenerator,
  VideoFrame,
} from '@proj/deepstream';
import { Codec, MediaSource, Mp4Muxer } from '@proj/gstreamer';
import {
  BoundingBoxDraw,
  CodecSpec,
  ColorDraw,
  GeneralSpec,
  LabelDraw,
  ObjectDraw,
  ObjectDrawSpec,
  PaddingDraw,
  PicassoEngine,
  SourceSpec,
} from '@proj/picasso';
import { MotionDetector } from './motion.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const outDir = resolve(option('--out', join(root, 'out/watch-cameras')));
const seconds = Number(option('--seconds', '0')); // 0: until the sources end
let uris = args;
mkdirSync(outDir, { recursive: true });

if (uris.length === 0) {
  const dir = join(root, '.cache/demo-media');
  mkdirSync(dir, { recursive: true });
  const scenes = [
    ['street-h264.mp4', 'testsrc2', ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2']],
    ['yard-hevc.mkv', 'smptebars', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=none']],
    ['gate-h264.mp4', 'rgbtestsrc', ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2']],
    ['dock-h264.mp4', 'testsrc', ['-c:v', 'libx264', '-preset', 'veryfast']],
  ];
  uris = scenes.map(([name, pattern, codec], k) => {
    const file = join(dir, name);
    if (!existsSync(file)) {
      // Two boxes cross the picture at different speeds: something to detect.
      const ext = name.split('.').pop();
      execFileSync('ffmpeg', [
        '-v', 'error', '-f', 'lavfi', '-i', `${pattern}=size=1280x720:rate=30`,
        '-f', 'lavfi', '-i', 'color=c=orange:size=120x90', '-f', 'lavfi', '-i', 'color=c=navy:size=70x140',
        '-filter_complex', `[0][1]overlay=x='mod(t*${180 + 40 * k},1160)':y=${200 + 60 * k}[a];[a][2]overlay=x='1100-mod(t*${120 + 30 * k},1000)':y=520`,
        '-t', '10', ...codec, '-pix_fmt', 'yuv420p', `${file}.part.${ext}`,
      ]);
      renameSync(`${file}.part.${ext}`, file);
    }
    return file;
  });
  console.log(`sources: ${uris.length} test files made with ffmpeg (${dir})`);
}
console.log('detections: a motion detector (frame differencing on the model batch), not a neural network');

const MODEL = 256; // the model's input: 256×256, letterboxed
const sources = uris.map((uri, i) => ({ id: `cam-${i}`, uri, decoded: 0, encoded: 0, muxer: null, file: join(outDir, `cam-${i}.mp4`), done: null }));
const byId = new Map(sources.map((s) => [s.id, s]));

// Drawing: moving regions in red with a label; the privacy zone blurred.
const draw = new ObjectDrawSpec();
draw.insert('motion', 'moving', new ObjectDraw({
  boundingBox: new BoundingBoxDraw({ borderColor: new ColorDraw(255, 40, 40, 255), backgroundColor: new ColorDraw(255, 40, 40, 40), thickness: 3 }),
  label: new LabelDraw(new ColorDraw(255, 255, 255, 255), { backgroundColor: new ColorDraw(200, 30, 30, 220), fontScale: 1.5, padding: new PaddingDraw(4, 2, 4, 2), format: ['{label} {confidence:.2f}'] }),
}));
draw.insert('privacy', 'zone', new ObjectDraw({ blur: true, boundingBox: new BoundingBoxDraw({ borderColor: new ColorDraw(255, 255, 0, 255), backgroundColor: new ColorDraw(0, 0, 0, 0), thickness: 1 }) }));

const engine = new PicassoEngine(new GeneralSpec({ name: 'watch-cameras', statsIntervalMs: 1000 }), {
  onEncodedFrame: (out) => {
    if (out.isEos) {
      const s = byId.get(out.asEos().sourceId);
      s.done = s.muxer?.finish();
      return;
    }
    const frame = out.asVideoFrame();
    const s = byId.get(frame.sourceId);
    s.muxer ??= new Mp4Muxer(Codec.H264, s.file, { fpsNum: 30 });
    s.muxer.push(frame.content.data, ticksToNs(frame.pts, frame.timeBase));
    s.encoded++;
  },
  onStats: (stats) => {
    const line = stats.sources.map((s) => `${s.sourceId} ${s.fps.toFixed(0).padStart(3)} fps`).join(' | ');
    if (line) console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  },
  onError: (sourceId, error) => console.error(`${sourceId}: ${error.code} ${error.message}`),
});

const encoderProps = hasNvenc() ? null : EncoderProperties.h264Cpu(new H264CpuProps({ preset: 'ultrafast' }));
const detector = new MotionDetector();
const batches = new UniformBatchGenerator('RGBA', MODEL, MODEL, sources.length, { poolSize: 2 });

// The batcher: decoded pictures wait here until one per running source has
// arrived (or 20 ms passed), then go to the model together.
const waiting = [];
let timer = null;
let chain = Promise.resolve();
function enqueue(item) {
  waiting.push(item);
  const running = sources.filter((s) => !s.ended).length;
  if (waiting.length >= running) flush();
  else timer ??= setTimeout(flush, 20);
}
function flush() {
  clearTimeout(timer);
  timer = null;
  const items = waiting.splice(0, sources.length);
  if (items.length > 0) chain = chain.then(() => infer(items)).catch((e) => console.error('batch:', e));
}

async function infer(items) {
  const batch = await batches.acquireBatch({});
  await Promise.all(items.map((it, slot) => batch.transformSlot(slot, it.buffer)));
  batch.finalize();
  for (const [slot, { frame, buffer }] of items.entries()) {
    const view = batch.view(slot);
    const pixels = await view.download();
    view.release();
    // The model saw the picture letterboxed: its boxes are in the batch's
    // pixels, which the frame's chain says; Picasso maps them back.
    frame.addTransformation(transformPlacement(frame.width, frame.height, MODEL, MODEL).letterBox);
    for (const d of detector.detect(frame.sourceId, pixels, MODEL, MODEL)) {
      frame.addObject({ namespace: 'motion', label: 'moving', confidence: Math.min(1, d.cells / ((d.width * d.height) / 16)), detectionBox: { xc: d.xc, yc: d.yc, width: d.width, height: d.height } }, { idPolicy: 'generate' });
    }
    const p = transformPlacement(frame.width, frame.height, MODEL, MODEL).dst;
    frame.addObject({ namespace: 'privacy', label: 'zone', detectionBox: { xc: p.left + p.width * 0.85, yc: p.top + p.height * 0.2, width: p.width * 0.22, height: p.height * 0.25 } }, { idPolicy: 'generate' });
    await engine.sendFrame(frame.sourceId, frame, buffer);
  }
  batch.release();
}

const configured = new Set();
const pool = new FlexibleDecoderPool(new FlexibleDecoderPoolConfig(0, 12, 60_000), (output) => {
  const delivery = output.asFrame()?.takeDelivery();
  if (!delivery) return;
  // The seal opens when this callback returns.
  void delivery.unseal().then(([frame, buffer]) => {
    const s = byId.get(frame.sourceId);
    s.decoded++;
    if (!configured.has(s.id)) {
      configured.add(s.id);
      let config = new EncoderConfig('h264', frame.width, frame.height);
      if (encoderProps) config = config.properties(encoderProps);
      engine.setSourceSpec(s.id, new SourceSpec({ codec: CodecSpec.encode({}, config), draw }));
    }
    enqueue({ frame, buffer });
  });
});

const started = performance.now();
await Promise.all(sources.map(async (s) => {
  const source = new MediaSource(s.uri, { audio: false });
  source.on('reconnecting', (attempt, delayMs) => console.log(`${s.id}: reconnecting (try ${attempt}) in ${delayMs} ms`));
  // --seconds ends a source even while it waits for a camera.
  const timer = seconds > 0 ? setTimeout(() => source.close(), seconds * 1000) : null;
  try {
    for await (const packet of source) {
      if (packet.kind !== 'video') continue;
      await pool.submit(VideoFrame.fromPacket(s.id, packet), packet.data);
    }
  } catch (error) {
    s.failed = `${error.code ?? 'error'}: ${error.message}`;
    console.error(`${s.id} (${s.uri}) ended: ${s.failed}`);
  } finally {
    clearTimeout(timer);
    source.close();
  }
}));
await pool.gracefulShutdown();
for (const s of sources) s.ended = true;
flush();
await chain;
for (const s of sources) engine.sendEos(s.id);
await engine.shutdown();
await Promise.all(sources.map((s) => s.done));
const elapsed = (performance.now() - started) / 1000;

// What tools we did not write see in the outputs.
let failed = false;
for (const s of sources) {
  if (s.encoded === 0) {
    console.log(`${s.uri}: nothing recorded${s.failed ? ` (${s.failed})` : ''}`);
    failed = true;
    continue;
  }
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames:format=duration', '-of', 'json', s.file]).toString());
  const st = probe.streams[0];
  const ok = Number(st.nb_read_frames) === s.decoded && s.encoded === s.decoded;
  failed ||= !ok;
  console.log(`${s.file}: ${st.codec_name} ${st.width}x${st.height}, ${st.nb_read_frames} frames, ${Number(probe.format.duration).toFixed(2)} s (decoded ${s.decoded}, encoded ${s.encoded})${ok ? '' : '  ← MISMATCH'}`);
}
const total = sources.reduce((n, s) => n + s.encoded, 0);
console.log(`${total} frames through the whole pipeline in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)} frames/s)`);
const shown = sources.find((s) => s.encoded > 0);
if (shown) {
  const png = join(outDir, 'annotated.png');
  const n = Math.min(45, shown.encoded - 1);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', shown.file, '-vf', `select=eq(n\\,${n})`, '-frames:v', '1', png]);
  console.log(`one annotated frame (${shown.id}, frame ${n}): ${png}`);
}
if (failed) process.exitCode = 1;
