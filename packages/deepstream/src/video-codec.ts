import * as native from '@proj/native';
import { argumentError, native as call } from '@proj/gstreamer/internal';

const codecs = {
  H264: 'h264',
  HEVC: 'hevc',
  JPEG: 'jpeg',
  AV1: 'av1',
  PNG: 'png',
  VP8: 'vp8',
  VP9: 'vp9',
  RAW_RGBA: 'raw_rgba',
  RAW_RGB: 'raw_rgb',
  RAW_NV12: 'raw_nv12',
} as const;

/** What a frame's content is: an encoded format or a raw pixel layout. */
export type VideoCodec = (typeof codecs)[keyof typeof codecs];

type VideoCodecEnum = { readonly [K in keyof typeof codecs]: (typeof codecs)[K] } & {
  /** Parses a name in any case (`avc` and `h265` are aliases); throws
   * `ERR_PROJ_UNKNOWN_CODEC` for anything else. */
  fromName(name: string): VideoCodec;
  values(): readonly VideoCodec[];
};

function fromName(name: string): VideoCodec {
  if (typeof name !== 'string') {
    throw argumentError('type', `a codec name must be a string, got ${typeof name}`);
  }
  return call(() => native.videoCodecFromName(name)) as VideoCodec;
}

/** Codecs a `VideoFrame` can carry: `VideoCodec.H264 === 'h264'`. */
export const VideoCodec: VideoCodecEnum = Object.freeze(
  Object.defineProperties(
    { ...codecs },
    {
      fromName: { value: fromName },
      values: { value: () => Object.values(codecs) },
    },
  ) as VideoCodecEnum,
);
