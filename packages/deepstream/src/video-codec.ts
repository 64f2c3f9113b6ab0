import * as native from '@proj/native';
import { makeEnum } from '@proj/gstreamer/internal';

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

/** Codecs a `VideoFrame` can carry: `VideoCodec.H264 === 'h264'`. Names
 * parse in any case (`avc` and `h265` are aliases); others throw
 * `ERR_PROJ_UNKNOWN_CODEC`. */
export const VideoCodec = makeEnum('codec', codecs, native.videoCodecFromName);
