import * as native from '@proj/native';

import { makeEnum } from './enum.js';

const codecs = { H264: 'h264', HEVC: 'hevc', JPEG: 'jpeg', AV1: 'av1', PNG: 'png' } as const;

/** A video codec; the value is its canonical name. */
export type Codec = (typeof codecs)[keyof typeof codecs];

interface CodecEnum {
  readonly H264: 'h264';
  readonly HEVC: 'hevc';
  readonly JPEG: 'jpeg';
  readonly AV1: 'av1';
  readonly PNG: 'png';
  /** Parses `h264`, `hevc`, `h265`, `jpeg`, `av1`, `png` (any case).
   * Throws `ProjError` `ERR_PROJ_UNKNOWN_CODEC` for anything else. */
  fromName(name: string): Codec;
  /** The canonical name of a codec (`hevc` for `h265`). */
  nameOf(codec: Codec | string): string;
  /** Every codec, in declaration order. */
  values(): readonly Codec[];
}

/** Video codecs: `Codec.H264 === 'h264'`. Enumerating it yields only the codecs. */
export const Codec: CodecEnum = makeEnum('codec', codecs, native.codecFromName, (fromName) => ({ nameOf: fromName }));
