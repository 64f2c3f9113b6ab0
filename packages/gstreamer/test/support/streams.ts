// Encoded test streams made at test time by real encoders (x264, x265,
// libaom through ffmpeg; jpegenc and pngenc through GStreamer), split into
// the frames a camera or encoder would hand to the muxer.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Codec } from '../../src/index.js';
import { run, runJson } from './tools.js';

export interface EncodedFrame {
  data: Buffer;
  ptsNs: bigint;
  dtsNs: bigint;
  durationNs: bigint;
  keyframe: boolean;
}

export interface EncodedStream {
  codec: Codec;
  fpsNum: number;
  fpsDen: number;
  width: number;
  height: number;
  frames: EncodedFrame[];
  /** The encoder's own container, for reference decodes with ffmpeg. */
  source: string;
}

export interface StreamSpec {
  codec: Codec;
  frames: number;
  width?: number;
  height?: number;
  fpsNum?: number;
  fpsDen?: number;
  /** Extra ffmpeg encoder arguments. */
  encoderArgs?: string[];
}

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `proj-${prefix}-`));
}

const ffmpegEncoders: Partial<Record<Codec, { args: string[]; container: string }>> = {
  h264: { args: ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '30', '-profile:v', 'high'], container: 'ts' },
  hevc: { args: ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:bframes=3:keyint=30'], container: 'ts' },
  av1: { args: ['-c:v', 'libaom-av1', '-cpu-used', '8', '-b:v', '400k', '-g', '30', '-lag-in-frames', '10'], container: 'mkv' },
};

/** Encodes a moving test pattern and splits it into frames. */
export function encodeStream(spec: StreamSpec, dir = scratchDir('stream')): EncodedStream {
  const { codec, frames } = spec;
  const width = spec.width ?? 320;
  const height = spec.height ?? 240;
  const fpsNum = spec.fpsNum ?? 30;
  const fpsDen = spec.fpsDen ?? 1;
  const encoder = ffmpegEncoders[codec];
  if (encoder) {
    const source = join(dir, `${codec}-${width}x${height}.${encoder.container}`);
    run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fpsNum}/${fpsDen}`],
      ...['-frames:v', String(frames), '-pix_fmt', 'yuv420p', ...encoder.args, ...(spec.encoderArgs ?? []), source],
    ]);
    return { codec, fpsNum, fpsDen, width, height, frames: splitContainer(source), source };
  }
  return encodeImages(codec, { frames, width, height, fpsNum, fpsDen }, dir);
}

/** JPEG/PNG: GStreamer's jpegenc/pngenc write one file per frame. */
function encodeImages(
  codec: Codec,
  s: { frames: number; width: number; height: number; fpsNum: number; fpsDen: number },
  dir: string,
): EncodedStream {
  const framesDir = join(dir, `${codec}-frames`);
  mkdirSync(framesDir, { recursive: true });
  const element = codec === 'png' ? 'pngenc' : 'jpegenc';
  run('gst-launch-1.0', [
    '-q',
    ...['videotestsrc', `num-buffers=${s.frames}`, 'pattern=ball', '!'],
    ...[`video/x-raw,width=${s.width},height=${s.height},framerate=${s.fpsNum}/${s.fpsDen}`, '!', 'videoconvert', '!'],
    ...[element, '!', 'multifilesink', `location=${join(framesDir, `%05d.${codec}`)}`],
  ]);
  const names = readdirSync(framesDir).sort();
  const durationNs = (1_000_000_000n * BigInt(s.fpsDen)) / BigInt(s.fpsNum);
  const frames = names.map((name, i) => {
    const ptsNs = (BigInt(i) * 1_000_000_000n * BigInt(s.fpsDen)) / BigInt(s.fpsNum);
    return { data: readFileSync(join(framesDir, name)), ptsNs, dtsNs: ptsNs, durationNs, keyframe: true };
  });
  const source = join(framesDir, `%05d.${codec}`);
  return { codec, ...s, frames, source };
}

interface ProbePackets {
  streams: { time_base: string }[];
  packets: { pts?: number; dts?: number; duration?: number; size: string; flags: string }[];
}

/** Splits a container's video stream into frames with their timestamps,
 * shifted so the first decode timestamp is 0. */
export function splitContainer(file: string): EncodedFrame[] {
  const probe = runJson<ProbePackets>('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-of', 'json'],
    ...['-show_entries', 'stream=time_base:packet=pts,dts,duration,size,flags', file],
  ]);
  const bytes = run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-c', 'copy', '-f', 'data', '-']);
  const [num, den] = (probe.streams[0]?.time_base ?? '').split('/').map((v) => BigInt(v));
  if (!num || !den) throw new Error(`no time base in ${file}`);
  const ns = (ticks: number) => (BigInt(ticks) * num * 1_000_000_000n) / den;
  let offset = 0;
  const frames = probe.packets.map((p) => {
    const size = Number(p.size);
    const data = bytes.subarray(offset, offset + size);
    offset += size;
    const pts = ns(p.pts ?? p.dts ?? 0);
    const dts = ns(p.dts ?? p.pts ?? 0);
    return { data, ptsNs: pts, dtsNs: dts, durationNs: ns(p.duration ?? 0), keyframe: p.flags.startsWith('K') };
  });
  if (offset !== bytes.length) {
    throw new Error(`${file}: packet sizes add up to ${offset} bytes but ffmpeg copied ${bytes.length}`);
  }
  const first = frames.reduce((min, f) => (f.dtsNs < min ? f.dtsNs : min), frames[0]?.dtsNs ?? 0n);
  return frames.map((f) => ({ ...f, ptsNs: f.ptsNs - first, dtsNs: f.dtsNs - first }));
}
