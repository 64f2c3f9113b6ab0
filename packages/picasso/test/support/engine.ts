// Helpers for the engine tests: frames and pictures, and an independent
// check of what the engine encoded (ffmpeg decodes it, ffprobe counts it).
import { spawnSync } from 'node:child_process';
import { BufferGenerator, type SharedBuffer, SurfaceView, VideoFrame } from '@proj/deepstream';
import { BoundingBoxDraw, ColorDraw, ObjectDraw, type OutputMessage } from '../../src/index.js';

export const FRAME_NS = 33_333_333;

const generators = new Map<string, BufferGenerator>();

/** A pooled RGBA picture filled with one colour. */
export async function picture(width: number, height: number, rgba: [number, number, number, number] = [40, 40, 40, 255], pool = ''): Promise<SharedBuffer> {
  const key = `${width}x${height}:${pool}`;
  let g = generators.get(key);
  if (!g) generators.set(key, (g = new BufferGenerator('RGBA', width, height, { poolSize: 16 })));
  const b = await g.acquire({ timeoutMs: 10_000 });
  const view = SurfaceView.fromBuffer(b);
  await view.fill(rgba);
  view.release(); // a view holds its buffer out of the pool until released
  return b;
}

export interface BoxInit {
  id?: number;
  label?: string;
  xc: number;
  yc: number;
  width: number;
  height: number;
}

/** A frame of `sourceId` at frame index `i` (33.3 ms apart) with objects. */
export function frame(sourceId: string, i: number, width: number, height: number, boxes: BoxInit[] = []): VideoFrame {
  const f = new VideoFrame({ sourceId, width, height, pts: i * FRAME_NS, duration: FRAME_NS });
  boxes.forEach((b, k) => {
    f.addObject({ id: b.id ?? k + 1, namespace: 'det', label: b.label ?? 'car', detectionBox: { xc: b.xc, yc: b.yc, width: b.width, height: b.height } });
  });
  return f;
}

export const solidBox = (rgba: [number, number, number, number], thickness = 4): ObjectDraw =>
  new ObjectDraw({ boundingBox: new BoundingBoxDraw({ borderColor: new ColorDraw(...rgba), backgroundColor: new ColorDraw(0, 0, 0, 0), thickness }) });

/** Collects a callback's outputs. */
export class Outputs {
  readonly items: OutputMessage[] = [];
  readonly push = (m: OutputMessage): void => {
    this.items.push(m);
  };
  get frames(): VideoFrame[] {
    return this.items.filter((m) => m.isVideoFrame).map((m) => m.asVideoFrame());
  }
  get eos(): number {
    return this.items.filter((m) => m.isEos).length;
  }
  /** The encoded frames' bitstream, concatenated (Annex-B). */
  bitstream(frames = this.frames): Buffer {
    return Buffer.concat(frames.map((f) => {
      const c = f.content;
      if (c.kind !== 'internal') throw new Error('an encoded frame without its bitstream');
      return c.data;
    }));
  }
}

/** ffmpeg's decode of an H.264 stream: RGB24 pictures. */
export function decodeH264(stream: Buffer, width: number, height: number): Buffer[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { input: stream, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  const size = width * height * 3;
  const out: Buffer[] = [];
  for (let o = 0; o + size <= r.stdout.length; o += size) out.push(r.stdout.subarray(o, o + size));
  return out;
}

/** ffprobe's view of an H.264 stream: frames and the size. */
export function probeH264(stream: Buffer): { frames: number; width: number; height: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-f', 'h264', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', 'pipe:0'], { input: stream });
  if (r.status !== 0) throw new Error(`ffprobe failed: ${r.stderr.toString()}`);
  const s = JSON.parse(r.stdout.toString()).streams[0];
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height };
}

export function pixel(rgb: Buffer, width: number, x: number, y: number): [number, number, number] {
  const o = (y * width + x) * 3;
  return [rgb[o]!, rgb[o + 1]!, rgb[o + 2]!];
}

/** Within `tolerance` of `rgb` on every channel (H.264 is lossy). */
export function near(actual: [number, number, number], rgb: [number, number, number], tolerance = 40): boolean {
  return actual.every((v, i) => Math.abs(v - rgb[i]!) <= tolerance);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` holds, checking every 10 ms; throws after `timeoutMs`
 * (a slow machine, or the emulated arm64 run, takes longer than a guess). */
export async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done after ${timeoutMs} ms`);
    await sleep(10);
  }
}
