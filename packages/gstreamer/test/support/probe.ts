// Independent checks of muxed files with ffprobe and ffmpeg.
import { run, runJson } from './tools.js';

export interface StreamInfo {
  codec_name: string;
  width: number;
  height: number;
  r_frame_rate: string;
  avg_frame_rate: string;
  nb_read_frames?: string;
  nb_read_packets?: string;
}

export function probeStream(file: string): StreamInfo {
  const out = runJson<{ streams: StreamInfo[] }>('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-count_packets', '-of', 'json'],
    ...['-show_entries', 'stream=codec_name,width,height,r_frame_rate,avg_frame_rate,nb_read_frames,nb_read_packets', file],
  ]);
  const stream = out.streams[0];
  if (!stream) throw new Error(`${file} has no video stream`);
  return stream;
}

export function probeFormat(file: string): { format_name: string } {
  return runJson<{ format: { format_name: string } }>('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'json', file]).format;
}

/** Packet timestamps in seconds, in file (decode) order. */
export function packetTimes(file: string): { pts: number; dts: number }[] {
  const out = runJson<{ packets: { pts_time?: string; dts_time?: string }[] }>('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-of', 'json', '-show_entries', 'packet=pts_time,dts_time', file],
  ]);
  return out.packets.map((p) => ({ pts: Number(p.pts_time ?? NaN), dts: Number(p.dts_time ?? NaN) }));
}

/** MD5 of every decoded frame, in presentation order. */
export function frameMd5s(input: string, inputArgs: string[] = []): string[] {
  const out = run('ffmpeg', ['-v', 'error', ...inputArgs, '-i', input, '-map', '0:v:0', '-f', 'framemd5', '-']).toString();
  return out
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)?.trim() ?? '');
}

/** Top-level MP4 boxes, to tell a regular MP4 from a fragmented one. */
export function topLevelBoxes(bytes: Buffer): string[] {
  const boxes: string[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    let size = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (size === 1) size = Number(bytes.readBigUInt64BE(at + 8));
    boxes.push(type);
    if (size < 8) break;
    at += size;
  }
  return boxes;
}
