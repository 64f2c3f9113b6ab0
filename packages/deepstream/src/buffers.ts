import * as native from '@proj/native';
import { argumentError, ErrorCode, native as call, integerArgument, type Nanoseconds, optionalOf, optionsObject, ProjError, toOptionalNanoseconds, toProjError } from '@proj/gstreamer/internal';

import type { Transformation } from './geometry.js';
import type { ComputeMode, Interpolation, MemType, Padding, SavantIdMetaKind, VideoFormat } from './enums.js';

/** A rectangle in pixels. */
export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

/** Destination borders kept out of a transform. */
export interface DstPadding {
  left?: number;
  top?: number;
  right?: number;
  bottom?: number;
}

/** `DstPadding` values, as the seed's class makes them. */
export const DstPadding = Object.freeze({
  /** The same padding on every side. */
  uniform(value: number): Required<DstPadding> {
    integerArgument('value', value, 0, 0xffff_ffff);
    return { left: value, top: value, right: value, bottom: value };
  },
});

/** Scale + letterbox settings; all optional (symmetric, bilinear). */
export interface TransformConfig {
  padding?: Padding | string;
  dstPadding?: DstPadding;
  interpolation?: Interpolation | string;
  computeMode?: ComputeMode | string;
}

/** An id carried by a buffer. */
export interface SavantId {
  kind: SavantIdMetaKind;
  id: bigint;
}

export interface GeneratorOptions {
  fpsNum?: number;
  fpsDen?: number;
  gpuId?: number;
  memType?: MemType | string;
  /** Buffers in the pool (default 4; 2 for batch generators). */
  poolSize?: number;
}

/**
 * Bounds on a wait for a free buffer. Pools are first come, first served;
 * a waiter that times out or is aborted leaves the queue and never takes a
 * buffer afterwards. Without either, a wait that lasts more than 3 s is
 * logged (`PROJ_LOG=warn`) and counted in `stalledWaits`: the usual cause
 * is buffers that were never released (call `release()` or use `using`).
 */
export interface WaitOptions {
  /** Rejects with `ERR_PROJ_ABORTED` when the signal aborts. */
  signal?: AbortSignal;
  /** Rejects with `ERR_PROJ_TIMEOUT` after this many ms. */
  timeoutMs?: number;
}

export interface AcquireOptions extends WaitOptions {
  /** A frame id to attach (`{ kind: 'frame', id }`). */
  id?: bigint | number;
  ptsNs?: Nanoseconds;
  durationNs?: Nanoseconds;
}

/** The native tokens waiting on each signal: one 'abort' listener per
 * signal however many waits share it (no MaxListeners warning). */
const waitsOn = new WeakMap<AbortSignal, Set<native.CancelToken>>();

function watch(signal: AbortSignal, token: native.CancelToken): () => void {
  let tokens = waitsOn.get(signal);
  if (!tokens) {
    const set = new Set<native.CancelToken>();
    tokens = set;
    waitsOn.set(signal, set);
    signal.addEventListener('abort', () => {
      for (const t of set) t.cancel();
      set.clear();
    }, { once: true });
  }
  tokens.add(token);
  return () => tokens.delete(token);
}

/** How long a pool wait lasts before it is reported (as the native stall
 * log, which only `PROJ_LOG` shows). */
const STALL_WARNING_MS = 3000;

/** Runs a native wait with its timeout and its signal (through a native
 * cancel token), and settles it with coded errors. A wait that lasts 3 s
 * is reported as a process warning (`PROJ_POOL_STALL`); until then it keeps
 * the process alive, so a script whose every buffer is held says why
 * rather than exiting silently with its wait unsettled. */
async function waiting<T>(given: WaitOptions | undefined, start: (timeoutMs: number | undefined, token: native.CancelToken | undefined) => Promise<T>): Promise<T> {
  const { signal, timeoutMs } = optionsObject('options', given);
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
    throw argumentError('range', `timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw argumentError('type', 'signal must be an AbortSignal');
  if (signal?.aborted) throw new ProjError(ErrorCode.ABORTED, 'the wait for a free buffer was aborted', { cause: signal.reason });
  const token = signal === undefined ? undefined : new native.CancelToken();
  const unwatch = signal && token ? watch(signal, token) : undefined;
  const stall = setTimeout(() => {
    process.emitWarning(
      `a wait for a free pool buffer has lasted ${STALL_WARNING_MS / 1000} s: every buffer of the pool is held (release() buffers and views, or pass timeoutMs or a signal)`,
      { code: 'PROJ_POOL_STALL' },
    );
  }, STALL_WARNING_MS);
  try {
    return await settle(call(() => start(timeoutMs, token)));
  } finally {
    clearTimeout(stall);
    unwatch?.();
  }
}

/** Where a surface's pixels are, for native interop. `dataPtr` stays valid
 * while a reference to the buffer (or a view of it) lives. */
export interface SurfaceInfo {
  dataPtr: bigint;
  pitch: number;
  width: number;
  height: number;
  format: VideoFormat;
  dataSize: number;
  memType: MemType;
  /** The GPU of CUDA memory; null for system memory. */
  gpuId: number | null;
  /** The `CUstream` GPU work on the surface runs on; 0n for host memory. */
  cudaStream: bigint;
}

const fromNative = Symbol('fromNative');

const u32 = (name: string, value: unknown): number => integerArgument(name, value, 0, 0xffff_ffff);

/** One value 0-255 per channel. */
function channelValues(color: unknown): number[] {
  if (!Array.isArray(color)) throw argumentError('type', 'color must be an array of channel values');
  for (const c of color) {
    if (!Number.isInteger(c) || c < 0 || c > 255) throw argumentError('range', `color values must be integers 0-255, got ${c}`);
  }
  return color as number[];
}

function byteValue(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 255) {
    throw argumentError('range', `value must be an integer 0-255, got ${String(value)}`);
  }
  return value as number;
}

function bytesArgument(name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw argumentError('type', `${name} must be a Uint8Array`);
  return value;
}

function toId(name: string, value: bigint | number): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw argumentError('range', `${name} must be a non-negative safe integer or a bigint`);
    return BigInt(value);
  }
  if (typeof value !== 'bigint') throw argumentError('type', `${name} must be a bigint or a number`);
  if (value < 0n || value >= 1n << 128n) throw argumentError('range', `${name} must be between 0 and 2^128-1`);
  return value;
}

function nativeAcquire(given: AcquireOptions | undefined): native.AcquireOptions {
  const options = optionsObject('options', given);
  return {
    id: options.id === undefined ? undefined : toId('id', options.id),
    ptsNs: toOptionalNanoseconds('ptsNs', options.ptsNs),
    durationNs: toOptionalNanoseconds('durationNs', options.durationNs),
  };
}

function nativeRect(rect: Rect | undefined): native.Rect | undefined {
  if (rect === undefined) return undefined;
  if (rect === null || typeof rect !== 'object') throw argumentError('type', 'srcRect must be { top, left, width, height }');
  return { top: u32('srcRect.top', rect.top), left: u32('srcRect.left', rect.left), width: u32('srcRect.width', rect.width), height: u32('srcRect.height', rect.height) };
}

/** @internal The native form of a transform config (shared with @proj/picasso). */
export function nativeConfig(config: TransformConfig | undefined): native.TransformConfig | undefined {
  if (config === undefined) return undefined;
  if (config === null || typeof config !== 'object') throw argumentError('type', 'a transform config must be an object');
  const d = config.dstPadding;
  return {
    padding: config.padding,
    interpolation: config.interpolation,
    computeMode: config.computeMode,
    dstPadding:
      d === undefined
        ? undefined
        : { left: u32('dstPadding.left', d.left ?? 0), top: u32('dstPadding.top', d.top ?? 0), right: u32('dstPadding.right', d.right ?? 0), bottom: u32('dstPadding.bottom', d.bottom ?? 0) },
  };
}

function nativeIds(ids: SavantId[] | undefined): native.SavantId[] | undefined {
  return ids?.map((entry) => ({ kind: entry.kind, id: toId('id', entry.id) }));
}

function nativeOptions(given: GeneratorOptions | undefined): native.GeneratorOptions {
  const options = optionsObject('options', given);
  const out: native.GeneratorOptions = { memType: optionalOf('memType', options.memType, 'string') };
  for (const key of ['fpsNum', 'fpsDen', 'gpuId', 'poolSize'] as const) {
    if (options[key] !== undefined) out[key] = u32(key, options[key]);
  }
  return out;
}

async function settle<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toProjError(error);
  }
}

/**
 * A pooled buffer: one frame, or a batch of slots. It goes back to its pool
 * when `release()`d or garbage-collected; after `release()` every use throws
 * `ERR_PROJ_CONSUMED`.
 */
export class SharedBuffer {
  /** @internal */
  readonly native: native.SharedBuffer;

  private constructor(inner: native.SharedBuffer) {
    this.native = inner;
  }

  /** @internal */
  static [fromNative](inner: native.SharedBuffer): SharedBuffer {
    return new SharedBuffer(inner);
  }

  get ptsNs(): bigint | null {
    return call(() => this.native.ptsNs) ?? null;
  }
  set ptsNs(value: Nanoseconds | null) {
    const pts = toOptionalNanoseconds('ptsNs', value);
    call(() => this.native.setPtsNs(pts));
  }
  get durationNs(): bigint | null {
    return call(() => this.native.durationNs) ?? null;
  }
  set durationNs(value: Nanoseconds | null) {
    const duration = toOptionalNanoseconds('durationNs', value);
    call(() => this.native.setDurationNs(duration));
  }
  savantIds(): SavantId[] {
    return call(() => this.native.savantIds()) as SavantId[];
  }
  setSavantIds(ids: SavantId[]): void {
    if (!Array.isArray(ids)) throw argumentError('type', 'ids must be an array of { kind, id }');
    const list = nativeIds(ids) ?? [];
    call(() => this.native.setSavantIds(list));
  }
  /** Other references to the buffer (views, batches, consumers). */
  get strongCount(): number {
    return call(() => this.native.strongCount);
  }
  get isConsumed(): boolean {
    return this.native.isConsumed;
  }
  /** Returns the buffer to its pool once nothing else references it. */
  release(): void {
    this.native.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
  /** Slots: 1 for a frame. */
  get batchSize(): number {
    return call(() => this.native.batchSize);
  }
  get numFilled(): number {
    return call(() => this.native.numFilled);
  }
  /** Where slot `slot`'s pixels are. */
  surfaceInfo(slot = 0): SurfaceInfo {
    const d = call(() => this.native.surfaceInfo(u32('slot', slot)));
    return { ...d, gpuId: d.gpuId ?? null } as SurfaceInfo;
  }
}

/** @internal A JS buffer over a native one. */
export const wrapBuffer = (inner: native.SharedBuffer) => SharedBuffer[fromNative](inner);

/** Sets how many slots of a batch are filled. */
export function setNumFilled(buffer: SharedBuffer, count: number): void {
  call(() => buffer.native.setNumFilled(u32('count', count)));
}

/** The ids a buffer carries. */
export function getSavantIdMeta(buffer: SharedBuffer): SavantId[] {
  return buffer.savantIds();
}

/** Data pointer, pitch, width and height of slot 0. */
export function getSurfaceInfo(buffer: SharedBuffer): SurfaceInfo {
  return buffer.surfaceInfo(0);
}

/** `__cuda_array_interface__` (version 2/3) as far as a view needs it. */
export interface CudaArrayInterface {
  data: bigint | number | [bigint | number, boolean];
  shape: number[];
  strides?: number[] | null;
  typestr?: string;
  version?: number;
}

/** An object exposing a CUDA array, or the description itself. */
export type CudaArraySource = { __cuda_array_interface__: CudaArrayInterface } | CudaArrayInterface;

/** Owners of foreign memory, kept alive by the buffers made over it. */
const owners = new WeakMap<SharedBuffer, object>();

function cudaArrayOf(array: CudaArraySource): native.CudaArray {
  if (array === null || typeof array !== 'object') throw argumentError('type', 'fromCudaArray takes an object');
  const d: CudaArrayInterface = '__cuda_array_interface__' in array ? array.__cuda_array_interface__ : array;
  if (d === null || typeof d !== 'object') throw argumentError('type', '__cuda_array_interface__ must be an object');
  const address = Array.isArray(d.data) ? d.data[0] : d.data;
  let data: bigint;
  if (typeof address === 'bigint') data = address;
  else if (Number.isSafeInteger(address)) data = BigInt(address);
  else throw argumentError('type', 'data must be a device address (a bigint, or [address, readOnly])');
  const ints = (name: string, v: unknown): number[] => {
    if (!Array.isArray(v)) throw argumentError('type', `${name} must be an array of integers`);
    return v.map((x) => u32(name, x));
  };
  return {
    data,
    shape: ints('shape', d.shape),
    strides: d.strides === undefined || d.strides === null ? undefined : ints('strides', d.strides),
    typestr: d.typestr === undefined ? undefined : String(d.typestr),
  };
}

/** Where a transform puts a picture, as the frame model says it. */
export interface Placement {
  /** What `srcRect` cut off the source (zeros without one). */
  crop: { left: number; top: number; right: number; bottom: number };
  /** The letterbox step for a frame's transformation chain. */
  letterBox: Extract<Transformation, { kind: 'letter_box' }>;
  /** The scaled picture inside the destination. */
  dst: Rect;
}

/** Where `BufferGenerator.transform` (and a batch's `transformSlot`) puts a
 * `srcWidth × srcHeight` picture (or `srcRect` of it) in a `dstWidth ×
 * dstHeight` one with `config`: add `letterBox` (after a `crop` step where
 * `srcRect` is given) to a frame's chain, and `transformForward()` moves its
 * boxes into the destination's pixels. */
export function transformPlacement(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number, config?: TransformConfig, srcRect?: Rect): Placement {
  const p = call(() => native.transformPlacement(u32('srcWidth', srcWidth), u32('srcHeight', srcHeight), nativeRect(srcRect) ?? null, u32('dstWidth', dstWidth), u32('dstHeight', dstHeight), nativeConfig(config)));
  const [left, top, right, bottom] = p.crop as [number, number, number, number];
  const [outerWidth, outerHeight, l, t, r, b] = p.letterBox as [number, number, number, number, number, number];
  return {
    crop: { left, top, right, bottom },
    letterBox: { kind: 'letter_box', outerWidth, outerHeight, left: l, top: t, right: r, bottom: b },
    dst: p.dst,
  };
}

/** One slot of a buffer: fill it, read it, or give its `SurfaceInfo` to native code. */
export class SurfaceView {
  /** @internal */
  readonly native: native.SurfaceView;
  /** What owns foreign device memory the view looks at, kept alive with it. */
  readonly #owner: object | null;

  private constructor(inner: native.SurfaceView, owner: object | null = null) {
    this.native = inner;
    this.#owner = owner;
  }

  /** A view over another library's CUDA memory, used in place (the seed's
   * `from_cuda_array`): `array` is an object with a
   * `__cuda_array_interface__` property, or that description itself
   * (`data` a device address as a bigint or `[address, readOnly]`, `shape`
   * `[h, w]`, `[h, w, 1]` (GRAY8) or `[h, w, 4]` (RGBA), `strides` in bytes
   * or absent, `typestr` `'|u1'`). The view holds `array` so the memory
   * stays allocated while it lives; `sharedBuffer()` gives a buffer over
   * the same memory to `BufferGenerator.transform` from (the seed's
   * `from_gpumat`). `ERR_PROJ_CUDA_UNAVAILABLE` without a GPU. */
  static fromCudaArray(array: CudaArraySource, gpuId = 0, cudaStream: bigint = 0n): SurfaceView {
    const description = cudaArrayOf(array);
    if (typeof cudaStream !== 'bigint') throw argumentError('type', 'cudaStream must be a bigint handle');
    const inner = call(() => native.SurfaceView.fromCudaArray(description, u32('gpuId', gpuId), cudaStream));
    return new SurfaceView(inner, array);
  }

  /** The buffer this view looks at (it keeps a foreign array's owner alive too). */
  sharedBuffer(): SharedBuffer {
    const buffer = wrapBuffer(call(() => this.native.buffer()));
    if (this.#owner) owners.set(buffer, this.#owner);
    return buffer;
  }

  /** @internal */
  static [fromNative](inner: native.SurfaceView): SurfaceView {
    return new SurfaceView(inner);
  }

  /** A view of one slot. `cudaStream` (the seed's `cuda_stream`): a
   * `CUstream` handle of the buffer's GPU whose queued work the view's
   * copies wait for first, reported as the view's `cudaStream`. It must stay
   * a live stream while the view is used (CUDA cannot check a handle); a
   * non-zero one on host memory is `ERR_PROJ_INVALID_ARGUMENT`. */
  static fromBuffer(buffer: SharedBuffer, slotIndex = 0, cudaStream: bigint = 0n): SurfaceView {
    if (!(buffer instanceof SharedBuffer)) throw argumentError('type', 'fromBuffer takes a SharedBuffer');
    if (typeof cudaStream !== 'bigint') throw argumentError('type', 'cudaStream must be a bigint handle');
    return new SurfaceView(call(() => native.SurfaceView.fromBuffer(buffer.native, u32('slotIndex', slotIndex), cudaStream)));
  }

  get width(): number {
    return call(() => this.native.width);
  }
  get height(): number {
    return call(() => this.native.height);
  }
  get pitch(): number {
    return call(() => this.native.pitch);
  }
  get format(): VideoFormat {
    return call(() => this.native.format) as VideoFormat;
  }
  /** Interleaved channels, or null for multi-plane formats. */
  get channels(): number | null {
    return call(() => this.native.channels) ?? null;
  }
  /** DeepStream's raw `NvBufSurfaceColorFormat` value (`RGBA` 19, `NV12` 6…),
   * for native code that speaks it. */
  get colorFormat(): number {
    return call(() => this.native.colorFormat);
  }
  get slotIndex(): number {
    return call(() => this.native.slotIndex);
  }
  /** The GPU holding the pixels; null in system memory. */
  get gpuId(): number | null {
    return call(() => this.native.surfaceInfo()).gpuId ?? null;
  }
  /** The CUDA stream of the view's generator; 0n (none) in host memory. */
  get cudaStream(): bigint {
    return call(() => this.native.surfaceInfo()).cudaStream;
  }
  get dataPtr(): bigint {
    return call(() => this.native.surfaceInfo()).dataPtr;
  }
  get memType(): MemType {
    return call(() => this.native.surfaceInfo()).memType as MemType;
  }
  surfaceInfo(): SurfaceInfo & { channels: number | null } {
    const d = call(() => this.native.surfaceInfo());
    return { ...(d as SurfaceInfo), gpuId: d.gpuId ?? null, channels: this.channels };
  }
  /** Repeats one pixel: one value (0-255) per channel. Runs on a worker
   * thread (a GPU fill waits for its stream there, not on the JS thread);
   * `fillSync` does it on the caller's thread. */
  async fill(color: number[]): Promise<void> {
    await settle(call(() => this.native.fill(channelValues(color))));
  }
  fillSync(color: number[]): void {
    call(() => this.native.fillSync(channelValues(color)));
  }
  /** Sets every byte (on a worker thread; `memsetSync` on this one). */
  async memset(value: number): Promise<void> {
    await settle(call(() => this.native.memset(byteValue(value))));
  }
  memsetSync(value: number): void {
    call(() => this.native.memsetSync(byteValue(value)));
  }
  /** Replaces the pixels: all planes, tightly packed, in order. `data` is
   * copied before this returns; the copy into the surface (a GPU upload)
   * runs on a worker thread. `uploadSync` does it all on this thread. */
  async upload(data: Uint8Array): Promise<void> {
    await settle(call(() => this.native.upload(bytesArgument('data', data))));
  }
  uploadSync(data: Uint8Array): void {
    call(() => this.native.uploadSync(bytesArgument('data', data)));
  }
  /** A copy of the pixels (all planes, tightly packed), made on a worker
   * thread (a GPU download waits there); `downloadSync` on this one. */
  async download(): Promise<Uint8Array> {
    return settle(call(() => this.native.download()));
  }
  downloadSync(): Uint8Array {
    return call(() => this.native.downloadSync());
  }
  /** Copies the pixels into `out`, which must be exactly their size, on
   * this thread (it writes into memory JS owns; for device memory prefer
   * `download()`). */
  downloadIntoSync(out: Uint8Array): void {
    call(() => this.native.downloadIntoSync(bytesArgument('out', out)));
  }
  /** Lets go of the buffer so it can return to its pool (a view keeps it
   * otherwise, until collected); later calls throw `ERR_PROJ_CONSUMED`. */
  release(): void {
    this.native.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

/** A bounded pool of frame buffers of one format and size. */
export class BufferGenerator {
  readonly #native: native.BufferGenerator;

  constructor(format: VideoFormat | string, width: number, height: number, options: GeneratorOptions = {}) {
    if (typeof format !== 'string') throw argumentError('type', 'format must be a VideoFormat name');
    const opts = nativeOptions(options);
    this.#native = call(() => new native.BufferGenerator(format, u32('width', width), u32('height', height), opts));
  }

  get format(): VideoFormat {
    return this.#native.format as VideoFormat;
  }
  get width(): number {
    return this.#native.width;
  }
  get height(): number {
    return this.#native.height;
  }
  /** The memory actually used (`system` on the CPU platform). */
  get memType(): MemType {
    return this.#native.memType as MemType;
  }
  get poolSize(): number {
    return this.#native.poolSize;
  }
  /** Buffers free now. */
  get available(): number {
    return this.#native.available;
  }
  /** GStreamer caps of the buffers (for an appsrc). */
  capsString(): string {
    return this.#native.capsString();
  }

  /** Callers waiting for a buffer now. */
  get waiting(): number {
    return this.#native.waiting;
  }
  /** Waits that lasted more than 3 s (each also logged): buffers not released? */
  get stalledWaits(): number {
    return this.#native.stalledWaits;
  }

  /** Resolves with a buffer as soon as one is free, in turn (the JS thread
   * never waits); `signal` and `timeoutMs` bound the wait. */
  async acquire(options: AcquireOptions = {}): Promise<SharedBuffer> {
    const o = nativeAcquire(options);
    return wrapBuffer(await waiting(options, (timeoutMs, token) => this.#native.acquire({ ...o, timeoutMs }, token)));
  }
  /** Like `acquire`, stamping PTS and duration. */
  async acquireWithParams(ptsNs: Nanoseconds, durationNs: Nanoseconds, options: { id?: bigint | number } = {}): Promise<SharedBuffer> {
    return this.acquire({ ...options, ptsNs, durationNs });
  }
  /** A free buffer now, or `ERR_PROJ_POOL_EXHAUSTED`. */
  tryAcquire(options?: AcquireOptions): SharedBuffer {
    const o = nativeAcquire(options);
    return wrapBuffer(call(() => this.#native.tryAcquire(o)));
  }
  /** Scales and letterboxes `src` (or `srcRect` of it) into a new buffer
   * from this pool, off the JS thread. */
  async transform(src: SharedBuffer, config?: TransformConfig, options: AcquireOptions & { srcRect?: Rect } = {}): Promise<SharedBuffer> {
    if (!(src instanceof SharedBuffer)) throw argumentError('type', 'src must be a SharedBuffer');
    const { srcRect, ...acquire } = optionsObject('options', options);
    const [c, o, r] = [nativeConfig(config), nativeAcquire(acquire), nativeRect(srcRect)];
    return wrapBuffer(await waiting(acquire, (timeoutMs, token) => this.#native.transform(src.native, c, { ...o, timeoutMs }, r, token)));
  }
}

/** A batch being filled: transform, upload or clear slots, `finalize()`,
 * then hand on `sharedBuffer()`. */
export class SurfaceBatch {
  readonly #native: native.SurfaceBatch;

  /** @internal */
  constructor(inner: native.SurfaceBatch) {
    this.#native = inner;
  }

  get maxBatchSize(): number {
    return this.#native.maxBatchSize;
  }
  /** Slots written so far. */
  get numFilled(): number {
    return this.#native.numFilled;
  }
  get isFinalized(): boolean {
    return this.#native.isFinalized;
  }
  /** Scales a source into `slot` with the batch's config, off the JS thread. */
  async transformSlot(slot: number, src: SharedBuffer, srcRect?: Rect): Promise<void> {
    if (!(src instanceof SharedBuffer)) throw argumentError('type', 'src must be a SharedBuffer');
    await settle(call(() => this.#native.transformSlot(u32('slot', slot), src.native, nativeRect(srcRect))));
  }
  /** The same on the calling thread (for small slots). */
  transformSlotSync(slot: number, src: SharedBuffer, srcRect?: Rect): void {
    if (!(src instanceof SharedBuffer)) throw argumentError('type', 'src must be a SharedBuffer');
    call(() => this.#native.transformSlotSync(u32('slot', slot), src.native, nativeRect(srcRect)));
  }
  uploadSlot(slot: number, data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw argumentError('type', 'data must be a Uint8Array');
    call(() => this.#native.uploadSlot(u32('slot', slot), data));
  }
  memsetSlot(slot: number, value: number): void {
    call(() => this.#native.memsetSlot(u32('slot', slot), u32('value', value)));
  }
  view(slot: number): SurfaceView {
    return SurfaceView[fromNative](call(() => this.#native.view(u32('slot', slot))));
  }
  /** Sets the filled count (up to the last slot written) and attaches the ids. */
  finalize(): void {
    call(() => this.#native.finalize());
  }
  /** Gives the batch's buffer back to its pool once the buffers and
   * views taken from it are released too (`using` does it). A batch not
   * released stays out of its pool until it is garbage-collected. */
  release(): void {
    call(() => this.#native.release());
  }
  [Symbol.dispose](): void {
    this.release();
  }
  /** The batch buffer; after `finalize()`. */
  sharedBuffer(): SharedBuffer {
    return wrapBuffer(call(() => this.#native.sharedBuffer()));
  }
}

/** A pool of batches of same-size surfaces: a model's input batch. */
export class UniformBatchGenerator {
  readonly #native: native.UniformBatchGenerator;

  constructor(format: VideoFormat | string, width: number, height: number, maxBatchSize: number, options: GeneratorOptions = {}) {
    if (typeof format !== 'string') throw argumentError('type', 'format must be a VideoFormat name');
    const opts = nativeOptions(options);
    this.#native = call(() => new native.UniformBatchGenerator(format, u32('width', width), u32('height', height), u32('maxBatchSize', maxBatchSize), opts));
  }

  get format(): VideoFormat {
    return this.#native.format as VideoFormat;
  }
  get width(): number {
    return this.#native.width;
  }
  get height(): number {
    return this.#native.height;
  }
  get maxBatchSize(): number {
    return this.#native.maxBatchSize;
  }
  get gpuId(): number {
    return this.#native.gpuId;
  }
  get available(): number {
    return this.#native.available;
  }
  /** Callers waiting for a batch now. */
  get waiting(): number {
    return this.#native.waiting;
  }
  /** Waits that lasted more than 3 s (each also logged): batches not released? */
  get stalledWaits(): number {
    return this.#native.stalledWaits;
  }
  /** Resolves with a batch as soon as one is free, in turn; `signal` and
   * `timeoutMs` bound the wait. */
  async acquireBatch(config?: TransformConfig, ids?: SavantId[], options: WaitOptions = {}): Promise<SurfaceBatch> {
    const [c, i] = [nativeConfig(config), nativeIds(ids)];
    return new SurfaceBatch(await waiting(options, (timeoutMs, token) => this.#native.acquireBatch(c, i, { timeoutMs }, token)));
  }
  /** A free batch now, or `ERR_PROJ_POOL_EXHAUSTED`. */
  tryAcquireBatch(config?: TransformConfig, ids?: SavantId[]): SurfaceBatch {
    return new SurfaceBatch(call(() => this.#native.tryAcquireBatch(nativeConfig(config), nativeIds(ids))));
  }
}

/** A batch of other buffers' surfaces of any size and format, by reference. */
export class NonUniformBatch {
  readonly #native: native.NonUniformBatch;
  /** The GPU the batch is for (the seed's `gpu_id`). */
  readonly gpuId: number;

  constructor(gpuId = 0) {
    this.gpuId = u32('gpuId', gpuId);
    this.#native = call(() => new native.NonUniformBatch(this.gpuId));
  }
  get length(): number {
    return this.#native.len;
  }
  /** Surfaces added so far (the seed's `num_filled`). */
  get numFilled(): number {
    return this.#native.len;
  }
  add(view: SurfaceView): void {
    if (!(view instanceof SurfaceView)) throw argumentError('type', 'add takes a SurfaceView');
    call(() => this.#native.add(view.native));
  }
  /** The batch as one buffer whose slots are the added surfaces. */
  finalize(ids?: SavantId[]): SharedBuffer {
    return wrapBuffer(call(() => this.#native.finalize(nativeIds(ids))));
  }
}
