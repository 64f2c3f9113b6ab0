import * as native from '@proj/native';
import { type EnumObject, type EnumValue, makeEnum as makeNativeEnum } from '@proj/gstreamer/internal';

type Values<E> = EnumValue<E>;

/** An enum of the buffers crate, parsed by its native name table (the
 * enums below without one are checked by `makeEnum` itself). */
function makeEnum<T extends Record<string, string>>(kind: string, values: T): EnumObject<T> {
  return makeNativeEnum(kind, values, (name) => native.parseBufferName(kind, name));
}

/** Pixel layouts: `RGBA`, `BGRx` (4 bytes per pixel), `GRAY8`, the 4:2:0
 * formats `NV12`, `NV21`, `I420` and packed 4:2:2 `UYVY`. */
export const VideoFormat = makeEnum('videoFormat', {
  RGBA: 'RGBA',
  BGRx: 'BGRx',
  NV12: 'NV12',
  NV21: 'NV21',
  I420: 'I420',
  UYVY: 'UYVY',
  GRAY8: 'GRAY8',
} as const);
export type VideoFormat = Values<typeof VideoFormat>;

/** Where pixels live. `DEFAULT` is CUDA device memory where the CUDA
 * platform is usable, system memory otherwise; `SYSTEM` is the CPU
 * platform. CUDA and Jetson types are `ERR_PROJ_CUDA_UNAVAILABLE` where
 * they cannot be had. */
export const MemType = makeEnum('memType', {
  DEFAULT: 'default',
  CUDA_PINNED: 'cuda_pinned',
  CUDA_DEVICE: 'cuda_device',
  CUDA_UNIFIED: 'cuda_unified',
  SURFACE_ARRAY: 'surface_array',
  HANDLE: 'handle',
  SYSTEM: 'system',
} as const);
export type MemType = Values<typeof MemType>;

/** Where a letterboxed picture goes: `NONE` stretches, `RIGHT_BOTTOM` keeps
 * the aspect ratio at the left-top, `SYMMETRIC` (default) centres it. */
export const Padding = makeEnum('padding', { NONE: 'none', RIGHT_BOTTOM: 'right_bottom', SYMMETRIC: 'symmetric' } as const);
export type Padding = Values<typeof Padding>;

/** Scaling filters. On the CPU: `NEAREST`/`DEFAULT` nearest neighbour,
 * `BILINEAR` bilinear interpolation (2×2), `GPU_CUBIC_VIC_5TAP` Catmull-Rom
 * bicubic (4×4), `GPU_SUPER_VIC_10TAP` area average, `GPU_LANCZOS_VIC_SMART`
 * and `GPU_IGNORED_VIC_NICEST` Lanczos-3. Names also parse from `cubic`,
 * `super`, `lanczos`, `nicest` and `algo1`…`algo4`. */
export const Interpolation = makeEnum('interpolation', {
  NEAREST: 'nearest',
  BILINEAR: 'bilinear',
  GPU_CUBIC_VIC_5TAP: 'cubic',
  GPU_SUPER_VIC_10TAP: 'super',
  GPU_LANCZOS_VIC_SMART: 'lanczos',
  GPU_IGNORED_VIC_NICEST: 'nicest',
  DEFAULT: 'default',
} as const);
export type Interpolation = Values<typeof Interpolation>;

/** Which engine transforms: `DEFAULT` (the buffers' platform), `GPU`, `VIC`
 * (Jetson). */
export const ComputeMode = makeEnum('computeMode', { DEFAULT: 'default', GPU: 'gpu', VIC: 'vic' } as const);
export type ComputeMode = Values<typeof ComputeMode>;

/** What an id on a buffer names. */
export const SavantIdMetaKind = makeNativeEnum('savantIdMetaKind', { FRAME: 'frame', BATCH: 'batch' } as const);
export type SavantIdMetaKind = Values<typeof SavantIdMetaKind>;

/** The NVIDIA platform a GPU belongs to (the seed's `Platform`). */
export const Platform = makeNativeEnum('platform', { DGPU: 'dgpu', JETSON: 'jetson' } as const);
export type Platform = Values<typeof Platform>;

/** When object metadata is cleared from a batch (the seed's
 * `MetaClearPolicy`, shared with the inference and tracker stages). */
export const MetaClearPolicy = makeNativeEnum('metaClearPolicy', {
  NONE: 'none',
  BEFORE: 'before',
  AFTER: 'after',
  BOTH: 'both',
} as const);
export type MetaClearPolicy = Values<typeof MetaClearPolicy>;
