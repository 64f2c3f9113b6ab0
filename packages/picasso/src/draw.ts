// Drawing without Picasso: a frame's objects (and an overlay) onto its picture.
import { readFileSync } from 'node:fs';
import * as native from '@proj/native';
import { argumentError, native as call } from '@proj/gstreamer/internal';
import { SharedBuffer, VideoFrame } from '@proj/deepstream';
import { ObjectDrawSpec } from './draw-spec.js';
import { DrawList, type RenderOptions } from './draw-list.js';

export interface DrawObjectsOptions extends RenderOptions {
  /** Drawn after the objects, like the reference's `on_render` canvas. */
  overlay?: DrawList;
}

export interface DrawResult {
  /** Objects that had a spec entry and were drawn. */
  objects: number;
}

/**
 * Draws every object of `frame` that `spec` has an entry for onto the
 * picture in `buffer` (RGBA or BGRx; boxes in the buffer's pixels), in
 * object id order: blur, box, dot, label. Runs off the JS thread. A
 * picture in CUDA memory is drawn on the CPU (downloaded and uploaded).
 */
export async function drawObjects(
  frame: VideoFrame,
  buffer: SharedBuffer,
  spec: ObjectDrawSpec,
  options: DrawObjectsOptions = {},
): Promise<DrawResult> {
  if (!(frame instanceof VideoFrame)) throw argumentError('type', 'frame must be a VideoFrame');
  if (!(buffer instanceof SharedBuffer)) throw argumentError('type', 'buffer must be a SharedBuffer');
  if (!(spec instanceof ObjectDrawSpec)) throw argumentError('type', 'spec must be an ObjectDrawSpec');
  if (options.overlay !== undefined && !(options.overlay instanceof DrawList)) throw argumentError('type', 'overlay must be a DrawList');
  const overlay = options.overlay?.toNative();
  const nativeOptions = { fontFamily: options.fontFamily, slot: options.slot };
  return await call(() => native.drawObjects(frame.native, buffer.native, spec.native, nativeOptions, overlay));
}

/** Executes a draw list on the picture in `buffer`. */
export async function drawOn(buffer: SharedBuffer, list: DrawList, options: RenderOptions = {}): Promise<void> {
  if (!(buffer instanceof SharedBuffer)) throw argumentError('type', 'buffer must be a SharedBuffer');
  if (!(list instanceof DrawList)) throw argumentError('type', 'list must be a DrawList');
  const l = list.toNative();
  await call(() => native.drawList(buffer.native, l, options));
}

/** Registers a TTF/OTF font under `family` (case-insensitive) for
 * `fontFamily` options: its bytes, or the path of its file (read at once).
 * `ERR_PROJ_FONT` for bytes that are not a font or a built-in name. */
export function registerFont(family: string, font: Uint8Array | string): void {
  if (typeof family !== 'string') throw argumentError('type', 'family must be a string');
  const data = typeof font === 'string' ? readFileSync(font) : font;
  if (!(data instanceof Uint8Array)) throw argumentError('type', 'font must be a Uint8Array (a TTF/OTF file) or its path');
  call(() => native.registerFont(family, data));
}

/** Every family name drawing knows: `sans-serif`, `sans`, `dejavu sans`,
 * `default` (the built-in DejaVu Sans), then registered ones. */
export function fontFamilies(): string[] {
  return call(() => native.fontFamilies());
}
