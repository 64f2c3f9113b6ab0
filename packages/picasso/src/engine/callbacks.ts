// The engine's callbacks. All run on the JS thread; a throw in one is
// reported (`onError`, else a process warning) and never stops a source.
import type { SurfaceInfo, VideoFrame, VideoObject } from '@proj/deepstream';
import type { Canvas } from '../draw-list.js';
import type { ObjectDraw } from '../draw-spec.js';
import type { EvictionDecision, OutputMessage } from './messages.js';
import type { StreamResetReason } from './specs.js';
import type { EngineStats } from './stats.js';

/** The picture `onGpumat` gets, valid only during the call. On the CPU,
 * `data` is the frame's own memory (no copy): writes change what is drawn
 * and encoded; it reads as empty once the callback returns. In CUDA
 * memory, the descriptor native code needs (design §5: `dataPtr`, `pitch`,
 * `width`, `height`, `channels`, `format`, `gpuId`, `cudaStream`,
 * `memType`); work queued on `cudaStream` is ordered with the engine's. */
export type GpuMat =
  | { kind: 'host'; data: Uint8Array; width: number; height: number; pitch: number; format: string; channels: 4 }
  | ({ kind: 'cuda'; channels: 4 } & SurfaceInfo);

/** A consumer may return a Promise: the source's next frame waits for it
 * (its queue then fills and its `queuePolicy` applies); other sources go
 * on. */
export type OutputCallback = (output: OutputMessage) => void | Promise<void>;

export interface Callbacks {
  /** Encoded frames (content `internal`, the bitstream) and, after a
   * drain, the end-of-stream. */
  onEncodedFrame?: OutputCallback;
  /** Bypassed frames (boxes in the initial frame's coordinates) and
   * end-of-stream. */
  onBypassFrame?: OutputCallback;
  /** Draws on a canvas of the encoded size, drawn after the objects. */
  onRender?: (sourceId: string, canvas: Canvas, frame: VideoFrame) => void;
  /** Replaces an object's draw (`spec` is the source's entry for it, or
   * null); null skips the object. */
  onObjectDrawSpec?: (sourceId: string, object: VideoObject, spec: ObjectDraw | null) => ObjectDraw | null;
  /** The encoder's picture, before and/or after drawing
   * (`callbackOrder`). */
  onGpumat?: (sourceId: string, frame: VideoFrame, picture: GpuMat) => void;
  /** A source idle past its timeout; without this callback it is
   * terminated (drained). */
  onEviction?: (sourceId: string) => EvictionDecision;
  /** A source's encoded stream starts again (a PTS that did not increase,
   * a new encoder config). */
  onStreamReset?: (sourceId: string, reason: StreamResetReason) => void;
  /** A frame that failed (it is counted in `errors`), or a callback that
   * threw. */
  onError?: (sourceId: string, error: Error & { code?: string }, frame: VideoFrame | null) => void;
  /** Every `statsIntervalMs`. */
  onStats?: (stats: EngineStats) => void;
}

export const callbackNames = [
  'onEncodedFrame',
  'onBypassFrame',
  'onRender',
  'onObjectDrawSpec',
  'onGpumat',
  'onEviction',
  'onStreamReset',
  'onError',
  'onStats',
] as const;
