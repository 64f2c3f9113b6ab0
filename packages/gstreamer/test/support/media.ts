// Raw media the streaming encoder's tests and benchmark feed in, and
// readings of what comes out, made with ffmpeg/ffprobe (not ours).

import { run, runJson } from './tools.js';

/** `n` RGB24 frames of a smooth moving pattern (what codecs keep well). */
export function rgbFrames(n: number, width: number, height: number, first = 0): Uint8Array {
  const out = new Uint8Array(n * width * height * 3);
  let o = 0;
  for (let f = first; f < first + n; f++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        out[o++] = (x * 255) / width;
        out[o++] = (y * 255) / height;
        out[o++] = 128 + 100 * Math.sin((x + 4 * f) / 23) * Math.cos((y - 2 * f) / 17);
      }
    }
  }
  return out;
}

/** Interleaved float samples of a sine at `hz`, amplitude 0.5. */
export function sine(samples: number, channels: number, rate = 48_000, hz = 440, first = 0): Float32Array {
  const out = new Float32Array(samples * channels);
  for (let i = 0; i < samples; i++) {
    const v = 0.5 * Math.sin((2 * Math.PI * hz * (first + i)) / rate);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}

export interface ProbedStream {
  codec_name: string;
  codec_type: string;
  nb_read_frames?: string;
  start_time?: string;
  sample_rate?: string;
  channels?: number;
}

export function probeStreams(file: string): ProbedStream[] {
  return runJson<{ streams: ProbedStream[] }>('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file]).streams;
}

export function formatTags(file: string): Record<string, string> {
  return runJson<{ format: { tags?: Record<string, string> } }>('ffprobe', ['-v', 'error', '-show_format', '-of', 'json', file]).format.tags ?? {};
}

/** The video decoded to RGB24 by ffmpeg. */
export function decodeRgb(file: string): Buffer {
  return run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
}

/** The first audio stream decoded by ffmpeg to interleaved f32 at its rate. */
export function decodeAudio(file: string): Float32Array {
  const bytes = run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a:0', '-f', 'f32le', '-']);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Signal-to-noise ratio of `got` against `want` over their common length, dB. */
export function snr(want: Float32Array, got: Float32Array): number {
  let signal = 0;
  let noise = 0;
  const n = Math.min(want.length, got.length);
  for (let i = 0; i < n; i++) {
    signal += want[i]! ** 2;
    noise += (want[i]! - got[i]!) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-20));
}

/** Per packet of the data (subtitle) stream: its bytes and PTS. */
export function dataPackets(file: string): { pts: number; data: Buffer }[] {
  const text = run('ffprobe', ['-v', 'error', '-select_streams', 's', '-show_packets', '-show_data', '-of', 'json', file]).toString();
  const packets = (JSON.parse(text) as { packets: { pts_time: string; data: string }[] }).packets;
  return packets.map((p) => ({
    pts: Number(p.pts_time),
    data: Buffer.from(
      p.data
        .split('\n')
        .map((line) => line.slice(10, 50).replace(/\s/g, ''))
        .join(''),
      'hex',
    ),
  }));
}
