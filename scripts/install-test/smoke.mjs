// What a new user's first script does, through the installed tarballs only
// (run by scripts/install-test.sh in an empty project): mux, decode and
// letterbox. Every result is checked; ffprobe reads the MP4.
//   node smoke.mjs OUT_DIR
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { BufferGenerator, FlexibleDecoderPool, FlexibleDecoderPoolConfig, MemType, SurfaceView, VideoFormat, VideoFrame } from '@proj/deepstream';
import { Codec, MediaSource, Mp4Muxer } from '@proj/gstreamer';
import { BoundingBoxDraw, ColorDraw, ObjectDraw } from '@proj/picasso';

const dir = process.argv[2];
const FRAMES = 30;
const check = (ok, what) => {
  if (!ok) throw new Error(`smoke: ${what}`);
};

// A camera's H.264 (x264, B-frames), 320x240.
const input = join(dir, 'camera.mp4');
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-frames:v', String(FRAMES),
  '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-g', '15', '-pix_fmt', 'yuv420p', input]);

// Mux: demux it and record the packets into a crash-safe MP4.
const muxed = join(dir, 'muxed.mp4');
const muxer = new Mp4Muxer(Codec.H264, muxed, { fpsNum: 30 });
for await (const p of new MediaSource(input, { audio: false })) muxer.push(p.data, p.ptsNs ?? 0n, p.dtsNs, p.durationNs);
await muxer.finish();
const probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'csv=p=0', muxed], { encoding: 'utf8' }).trim();
check(probe === `h264,320,240,${FRAMES}`, `ffprobe reads ${probe} from the muxed MP4`);

// Decode the camera's stream (B-frames), and letterbox every picture into a
// 256x256 model input.
const letterbox = new BufferGenerator(VideoFormat.RGBA, 256, 256, { poolSize: 2 });
const letterboxed = [];
const pool = new FlexibleDecoderPool(new FlexibleDecoderPoolConfig(0, 2, 60_000).withMemType(MemType.SYSTEM), (output) => {
  const delivery = output.asFrame()?.takeDelivery();
  if (delivery) {
    letterboxed.push(delivery.unseal().then(async ([, buffer]) => {
      const out = await letterbox.transform(buffer);
      buffer.release();
      const view = SurfaceView.fromBuffer(out);
      const pixels = view.downloadSync();
      view.release();
      out.release();
      return pixels;
    }));
  }
});
for await (const p of new MediaSource(input, { audio: false })) await pool.submit(VideoFrame.fromPacket('cam', p), p.data);
await pool.gracefulShutdown();
const pictures = await Promise.all(letterboxed);
check(pictures.length === FRAMES, `${pictures.length} of ${FRAMES} frames decoded`);
// 320x240 in 256x256: 256x192 in the middle, 32-pixel black bars above and below.
const at = (px, x, y) => Array.from(px.subarray((y * 256 + x) * 4, (y * 256 + x) * 4 + 4));
for (const px of pictures) {
  check(at(px, 128, 10).slice(0, 3).every((v) => v === 0) && at(px, 128, 250).slice(0, 3).every((v) => v === 0), 'the bars are black');
  check(at(px, 128, 128).slice(0, 3).some((v) => v > 0) && at(px, 5, 40).slice(0, 3).some((v) => v > 0), 'the picture is inside the bars');
}

// Drawing specs (the addon's built-in font is part of it).
check(new ObjectDraw({ boundingBox: new BoundingBoxDraw(new ColorDraw(255, 0, 0, 255)) }) instanceof ObjectDraw, 'picasso draw spec');
console.log(`smoke (${process.arch}, ESM): muxed ${FRAMES} frames (ffprobe: ${probe}), decoded and letterboxed ${pictures.length} to 256x256`);
