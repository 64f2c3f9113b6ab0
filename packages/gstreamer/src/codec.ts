import * as native from '@proj/native';

import { argumentError, native as call } from './errors.js';

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

function fromName(name: string): Codec {
  if (typeof name !== 'string') {
    throw argumentError('type', `a codec name must be a string, got ${typeof name}`);
  }
  return call(() => native.codecFromName(name)) as Codec;
}

/** Video codecs: `Codec.H264 === 'h264'`. Enumerating it yields only the codecs. */
export const Codec: CodecEnum = Object.freeze(
  Object.defineProperties(
    { ...codecs },
    {
      fromName: { value: fromName },
      nameOf: { value: fromName },
      values: { value: () => Object.values(codecs) },
    },
  ) as CodecEnum,
);
