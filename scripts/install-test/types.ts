// Type-checked (not run) by scripts/install-test.sh against the installed
// packages' .d.ts, as an ESM TypeScript user imports them.
import { BufferGenerator, type SharedBuffer, VideoFormat, VideoFrame } from '@proj/deepstream';
import { Codec, Mp4Muxer, type SourcePacket } from '@proj/gstreamer';
import { PicassoEngine } from '@proj/picasso';
import { VideoFrame as NativeFrame } from '@proj/native';

export async function letterbox(src: SharedBuffer): Promise<SharedBuffer> {
  return new BufferGenerator(VideoFormat.RGBA, 256, 256).transform(src);
}
export function record(packets: SourcePacket[], file: string): Promise<void> {
  const muxer = new Mp4Muxer(Codec.H264, file, { fpsNum: 30 });
  for (const p of packets) muxer.push(p.data, p.ptsNs ?? 0n);
  return muxer.finish();
}
export const frame: VideoFrame = new VideoFrame({ sourceId: 'cam', width: 320, height: 240 });
export type Engine = PicassoEngine;
export type Native = NativeFrame;
