import { EventEmitter } from 'node:events';
import { extname } from 'node:path';

import * as native from '@proj/native';

import { argumentError, ErrorCode, native as call, ProjError, toProjError } from './errors.js';

/** omgrab's `VideoStreamConfig`: raw frames encoded by our encoders. */
export interface VideoStreamConfig {
  kind?: 'video';
  width: number;
  height: number;
  /** Frames per second (default 30). */
  fps?: number;
  /** FFmpeg's names: `libx264` (default), `libx265`, `h264`/`hevc` (NVENC
   * where present, else the CPU), `h264_nvenc`, `hevc_nvenc`, `libopenh264`,
   * and `ffv1` (lossless, Matroska only: omgrab's depth camera as
   * `gray16le`). Any other name is refused (`ERR_PROJ_UNKNOWN_NAME`). */
  codec?: string;
  /** bit/s (default 2 000 000); `streamOptions` `crf`/`qp`/`b` override it. */
  bitrate?: number;
  /** `rgb24` (default), `bgr24`, `rgba`, `bgra`, `gray`, `yuv420p`, `nv12`,
   * `yuv444p`; for `ffv1` also `gray16le` and `bgr0` (not `nv12`). */
  inputPixelFormat?: string;
  /** `yuv420p` (default). `ffv1` stores the input's layout unless told
   * otherwise (`gray16le`, `gray`, `yuv420p`, `yuv444p`, `bgra`, `bgr0`;
   * RGB as `yuv444p`). */
  outputPixelFormat?: string;
  /** FFmpeg's encoder options we map (`preset`, `crf`, `qp`, `g`, `profile`…). */
  streamOptions?: Record<string, string>;
  /** Kept in the manifest with the stream. */
  metadata?: Record<string, unknown>;
}

/** A camera's encoded packets passed through without re-encoding (a
 * `MediaSource` stream's info fits). */
export interface PacketStreamConfig {
  kind: 'packets';
  /** `h264`, `hevc`, `aac`, `opus`. */
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  codecData?: Uint8Array | null;
}

/** Raw audio encoded in each chunk. */
export interface AudioStreamConfig {
  kind: 'audio';
  sampleRate: number;
  numChannels: number;
  /** `flt` (default), `s16`, `s32`, `u8`, `dbl`. */
  format?: string;
  /** `libopus` (Matroska's default), `aac`, `flac`, `libmp3lame`. */
  codec?: string;
  streamOptions?: Record<string, string>;
}

/** omgrab's `DataStreamConfig`: payloads stored byte for byte. */
export interface DataStreamConfig {
  /** `ass` (omgrab's default), `json`, `bytes`, `text`: all stored as
   * Matroska `S_TEXT/UTF8` blocks, verbatim (any bytes, any size). */
  codec?: string;
  metadata?: Record<string, unknown>;
}

/** What a full stream queue does with one more write. */
export type DropPolicy = 'block' | 'drop-newest' | 'drop-oldest';

export interface ChunkedWriterOptions {
  /** omgrab's `start_chunk_callback`: the chunk's file name (without
   * extension). Default: sequential 5-digit numbers. */
  startChunkCallback?: (name: string, startedAt: Date, fileExtension: string) => string | Promise<string>;
  sensorStreamConfigs?: Record<string, DataStreamConfig>;
  /** Recording time per chunk (default 60 s). */
  chunkLengthS?: number;
  /** Writes per stream not yet admitted (default 200). Past it, the
   * stream's `dropPolicy` decides. */
  maxEncoderQueueSize?: number;
  /** omgrab's `on_error`: a stream's encoder or a chunk failed. */
  onError?: (streamName: string | null, error: ProjError) => void;
  /** `block` (default): a write past `maxEncoderQueueSize` is refused with
   * `ERR_PROJ_QUEUE_FULL` (await your writes: each resolves on admission);
   * `drop-newest`: it resolves `false`; `drop-oldest`: the oldest waiting
   * write resolves `false`. Drops are counted and reported (`dropped`). */
  dropPolicy?: DropPolicy | Record<string, DropPolicy>;
  /** `matroska` (default) or `mp4` (fragmented every 500 ms; no data streams). */
  container?: 'matroska' | 'mkv' | 'mp4';
  /** A stream silent this long (media time, or wall time) is ended in the
   * chunks in flight (`stream-stalled`), default 2000 ms. */
  stallMs?: number;
  /** fsync the chunk in flight this often (bounds a power loss); default off. */
  fsyncIntervalMs?: number;
  /** Delete the oldest finalized chunks past any of these. */
  retention?: { maxChunks?: number; maxBytes?: number; maxAgeS?: number };
  /** How long closing one chunk may take (default 30 s); past it the chunk
   * fails and its `.part` is kept for salvage. */
  closeTimeoutMs?: number;
  /** Bytes each stream's queue into a chunk's muxer holds (default 8 MiB). */
  maxQueuedBytes?: number;
  /** The recording's time origin, epoch ns (default: the first item's timestamp). */
  originNs?: bigint;
}

/** A time: a `Date`, a bigint of epoch **nanoseconds**, or a number of
 * epoch **seconds** (omgrab's `timestamp_s`). */
export type Timestamp = Date | bigint | number;

export interface ChunkInfo {
  seq: number;
  /** The `.part` while open; the final file once durable. */
  path: string;
  startNs: bigint;
  durationNs?: number;
  bytes?: number;
  frames?: Record<string, number>;
  tracks?: string[];
  fsyncMs?: number;
}

export interface ChunkedWriterEvents {
  'chunk-opened': [ChunkInfo];
  'chunk-closed': [ChunkInfo];
  'chunk-durable': [ChunkInfo];
  'chunk-failed': [info: { seq: number; part: string }, error: ProjError];
  'stream-stalled': [info: { stream: string; sinceNs: bigint | null; silentMs: number }];
  'stream-resumed': [info: { stream: string; atNs: bigint }];
  /** A write has waited `seconds` for room in its chunk: the muxer or the
   * disk is stuck (said once per wait). */
  stall: [message: string, seconds: number];
  dropped: [info: { stream: string; count: number; reason: string }];
  salvaged: [info: { part: string; path: string; frames: Record<string, number>; truncated: boolean }];
  'salvage-failed': [info: { part: string }, error: ProjError];
  deleted: [info: { path: string; reason: string }];
  error: [error: ProjError];
}

export interface ManifestTrack {
  stream: string;
  /** Frames, packets, payloads or audio buffers written. */
  frames: number;
  bytes: number;
  /** The first and last item's recording time (ns from `origin_ns`): the
   * file's timestamps in Matroska; MP4 chunks start at 0 (mp4mux). */
  first_pts_ns: number | null;
  last_pts_ns: number | null;
}

export interface ManifestChunk {
  seq: number;
  file: string;
  status: 'durable' | 'failed' | 'salvaged' | 'deleted';
  origin_ns: string;
  start_ns: string;
  duration_ns: number;
  bytes: number;
  fsync_ms: number;
  tracks: ManifestTrack[];
  error?: string;
}

/** `manifest.json` (also what `stop()` resolves with). */
export interface RecordingManifest {
  name: string;
  container: string;
  chunk_length_ns: number;
  streams: { name: string; kind: string; codec: string; metadata: [string, string][] }[];
  chunks: ManifestChunk[];
}

export type ChunkedWriterStats = native.ChunkedWriterStats;
export type MergeReport = native.MergeReport;

interface Waiting {
  run: () => Promise<void>;
  settle: (admitted: boolean) => void;
  fail: (error: unknown) => void;
}

interface Lane {
  name: string;
  kind: 'video' | 'audio' | 'data' | 'packets';
  policy: DropPolicy;
  waiting: Waiting[];
  inFlight: number;
}

/** Writes handed to the addon at once per stream (the rest wait here,
 * where the drop policy can reach them). */
const IN_FLIGHT = 2;

function toNs(name: string, value: Timestamp): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) throw argumentError('range', `${name} must be 0 to 2^64-1 ns`);
    return value;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw argumentError('range', `${name} is an invalid or pre-1970 Date`);
    return BigInt(ms) * 1_000_000n;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw argumentError('type', `${name} must be a Date, epoch ns (bigint) or epoch seconds (number)`);
  }
  if (value > 1e11) {
    throw argumentError('range', `${name} ${value} is not epoch seconds (milliseconds? pass a Date or bigint ns)`);
  }
  const whole = Math.floor(value);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((value - whole) * 1e9));
}

function bytesOf(value: unknown, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw argumentError('type', `${name} must be a typed array`);
}

function stringMap(value: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

function framesOf(list: native.ChunkFrames[] | undefined): Record<string, number> {
  return Object.fromEntries((list ?? []).map((f) => [f.stream, f.frames]));
}

function errorOf(event: native.ChunkedWriterEvent): ProjError {
  return toProjError(Object.assign(new Error(event.message ?? 'unknown error'), { code: event.code })) as ProjError;
}

/**
 * omgrab's `ChunkedWriter`: several camera streams (and audio, and sensor
 * data) recorded into one multi-track file per chunk, rotated on a shared
 * timeline with a keyframe forced on every video stream at each boundary.
 *
 * Unlike omgrab:
 * - a stream that goes silent never stalls the others: after `stallMs` it
 *   is ended in the chunk in flight (`stream-stalled`), which closes on
 *   time; when it comes back, a new chunk with its track begins;
 * - a crash keeps the chunk in flight: it is written unbuffered to
 *   `<seq>.mkv.part` (readable up to about the last frame written; see the
 *   README for the measured bound), and the next `start()` in the
 *   directory salvages (remuxes and finalizes) every `.part` before
 *   anything is deleted;
 * - a chunk is final only once `fsync(file)` → `rename` → `fsync(dir)`
 *   succeeded (`chunk-durable`); an fsync error fails the chunk
 *   (`ERR_PROJ_DURABILITY`) and keeps its `.part`;
 * - writes resolve on admission (back-pressure), and full queues follow a
 *   per-stream policy with counted drops instead of a silent drop;
 * - no ffmpeg binary: merging is done in-process.
 */
export class ChunkedWriter extends EventEmitter<ChunkedWriterEvents> {
  readonly name: string;
  readonly outputDirectory: string;
  readonly #native: native.NativeChunkedWriter;
  readonly #lanes: Lane[] = [];
  readonly #index = new Map<string, number>();
  readonly #maxQueue: number;
  readonly #onError: ChunkedWriterOptions['onError'];
  readonly #extension: string;
  #state: 'created' | 'running' | 'stopped' = 'created';
  #stopped: Promise<RecordingManifest> | null = null;

  constructor(
    name: string,
    outputDirectory: string,
    streamConfigs: Record<string, VideoStreamConfig | PacketStreamConfig | AudioStreamConfig>,
    options: ChunkedWriterOptions = {},
  ) {
    super();
    if (typeof name !== 'string' || name === '') throw argumentError('type', 'name must be a non-empty string');
    if (typeof outputDirectory !== 'string' || outputDirectory === '') {
      throw argumentError('type', 'outputDirectory must be a path');
    }
    if (typeof streamConfigs !== 'object' || streamConfigs === null) {
      throw argumentError('type', 'streamConfigs must be an object of stream configs');
    }
    this.name = name;
    this.outputDirectory = outputDirectory;
    this.#maxQueue = options.maxEncoderQueueSize ?? 200;
    if (!Number.isInteger(this.#maxQueue) || this.#maxQueue < 1 || this.#maxQueue > 100_000) {
      throw argumentError('range', 'maxEncoderQueueSize must be an integer from 1 to 100000');
    }
    this.#onError = options.onError;
    const container = options.container ?? 'matroska';
    this.#extension = container === 'mp4' ? 'mp4' : 'mkv';
    const configs: native.ChunkedStreamConfig[] = [];
    const policyOf = (stream: string): DropPolicy => {
      const p = options.dropPolicy;
      const policy = typeof p === 'string' ? p : (p?.[stream] ?? 'block');
      if (!['block', 'drop-newest', 'drop-oldest'].includes(policy)) {
        throw argumentError('range', `dropPolicy ${String(policy)}: block, drop-newest or drop-oldest`);
      }
      return policy;
    };
    for (const [stream, c] of Object.entries(streamConfigs)) {
      if (typeof c !== 'object' || c === null) throw argumentError('type', `streamConfigs.${stream} must be an object`);
      const kind = c.kind ?? 'video';
      if (kind === 'video') {
        const v = c as VideoStreamConfig;
        configs.push({
          name: stream,
          kind,
          width: v.width,
          height: v.height,
          fps: v.fps,
          codec: v.codec,
          bitrate: v.bitrate,
          inputPixelFormat: v.inputPixelFormat,
          outputPixelFormat: v.outputPixelFormat,
          streamOptions: v.streamOptions,
          metadata: stringMap(v.metadata),
        });
      } else if (kind === 'packets') {
        const p = c as PacketStreamConfig;
        configs.push({
          name: stream,
          kind,
          codec: p.codec,
          width: p.width,
          height: p.height,
          sampleRate: p.sampleRate,
          numChannels: p.channels,
          codecData: p.codecData ? Buffer.from(p.codecData) : undefined,
        });
      } else if (kind === 'audio') {
        const a = c as AudioStreamConfig;
        configs.push({
          name: stream,
          kind,
          sampleRate: a.sampleRate,
          numChannels: a.numChannels,
          format: a.format,
          codec: a.codec,
          streamOptions: a.streamOptions,
        });
      } else {
        throw argumentError('range', `streamConfigs.${stream}.kind ${String(kind)}: video, packets or audio`);
      }
      this.#lanes.push({ name: stream, kind, policy: policyOf(stream), waiting: [], inFlight: 0 });
    }
    for (const [stream, d] of Object.entries(options.sensorStreamConfigs ?? {})) {
      if (this.#lanes.some((l) => l.name === stream)) throw argumentError('range', `stream ${stream} is named twice`);
      configs.push({ name: stream, kind: 'data', codec: d?.codec ?? 'ass', metadata: stringMap(d?.metadata) });
      this.#lanes.push({ name: stream, kind: 'data', policy: policyOf(stream), waiting: [], inFlight: 0 });
    }
    this.#lanes.forEach((l, i) => this.#index.set(l.name, i));
    const callback = options.startChunkCallback;
    this.#native = call(
      () =>
        new native.NativeChunkedWriter(
          name,
          outputDirectory,
          configs,
          {
            chunkLengthS: options.chunkLengthS,
            container,
            stallMs: options.stallMs,
            fsyncIntervalMs: options.fsyncIntervalMs,
            maxChunks: options.retention?.maxChunks,
            maxBytes: options.retention?.maxBytes,
            maxAgeS: options.retention?.maxAgeS,
            closeTimeoutMs: options.closeTimeoutMs,
            maxQueuedBytes: options.maxQueuedBytes,
            originNs: options.originNs,
            chunkIds: callback !== undefined,
          },
          (event) => this.#event(event, callback),
        ),
    );
  }

  #event(event: native.ChunkedWriterEvent, callback: ChunkedWriterOptions['startChunkCallback']): void {
    const seq = event.seq ?? -1;
    switch (event.kind) {
      case 'opened': {
        const info: ChunkInfo = { seq, path: event.path ?? '', startNs: event.startNs ?? 0n, tracks: event.tracks ?? [] };
        if (callback) {
          const startedAt = new Date(Number(info.startNs / 1_000_000n));
          Promise.resolve()
            .then(() => callback(this.name, startedAt, `.${this.#extension}`))
            .then((id) => {
              const text = String(id);
              call(() => this.#native.setChunkId(seq, extname(text) === `.${this.#extension}` ? text.slice(0, -this.#extension.length - 1) : text));
            })
            .catch((error: unknown) => this.#fail(null, toProjError(error) as ProjError));
        }
        this.emit('chunk-opened', info);
        break;
      }
      case 'closed':
      case 'durable': {
        const info: ChunkInfo = {
          seq,
          path: event.path ?? '',
          startNs: event.startNs ?? 0n,
          durationNs: event.durationNs,
          bytes: event.bytes,
          frames: framesOf(event.frames),
          fsyncMs: event.fsyncMs,
        };
        this.emit(event.kind === 'closed' ? 'chunk-closed' : 'chunk-durable', info);
        break;
      }
      case 'failed': {
        const error = errorOf(event);
        this.emit('chunk-failed', { seq, part: event.part ?? '' }, error);
        this.#fail(null, error);
        break;
      }
      case 'stalled':
        this.emit('stream-stalled', { stream: event.stream ?? '', sinceNs: event.sinceNs ?? null, silentMs: event.silentMs ?? 0 });
        break;
      case 'resumed':
        this.emit('stream-resumed', { stream: event.stream ?? '', atNs: event.startNs ?? 0n });
        break;
      case 'waiting':
        this.emit('stall', event.message ?? '', (event.silentMs ?? 0) / 1000);
        break;
      case 'dropped':
        this.emit('dropped', { stream: event.stream ?? '', count: event.count ?? 0, reason: event.reason ?? '' });
        break;
      case 'salvaged':
        this.emit('salvaged', {
          part: event.part ?? '',
          path: event.path ?? '',
          frames: framesOf(event.frames),
          truncated: event.truncated ?? false,
        });
        break;
      case 'salvage-failed':
        this.emit('salvage-failed', { part: event.part ?? '' }, errorOf(event));
        break;
      case 'deleted':
        this.emit('deleted', { path: event.path ?? '', reason: event.reason ?? '' });
        break;
      case 'error':
        this.#fail(null, errorOf(event));
        break;
      default:
        break;
    }
  }

  #fail(stream: string | null, error: ProjError): void {
    this.#onError?.(stream, error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Salvages `.part` files a crash left in the directory, then records. */
  async start(): Promise<void> {
    if (this.#state !== 'created') throw new ProjError(ErrorCode.ALREADY_OPEN, 'start() was already called');
    this.#state = 'running';
    await call(() => this.#native.start()).catch((e: unknown) => {
      this.#state = 'created';
      throw toProjError(e);
    });
  }

  isDataStream(streamName: string): boolean {
    const lane = this.#index.get(streamName);
    return lane !== undefined && this.#lanes[lane]?.kind === 'data';
  }

  /** omgrab's `get_encoder_queue`: `put(item, timestamp)` writes a frame
   * (video), a payload (data), samples (audio) or a packet. */
  getEncoderQueue(streamName: string): { put: (item: unknown, timestamp: Timestamp) => Promise<boolean>; readonly size: number } {
    const i = this.#lane(streamName);
    const lane = this.#lanes[i]!;
    return {
      put: (item, timestamp) => {
        switch (lane.kind) {
          case 'video':
            return this.writeFrame(streamName, item as ArrayBufferView, timestamp);
          case 'data':
            return this.writeData(streamName, item as Uint8Array | string, timestamp);
          case 'audio':
            return this.writeAudio(streamName, item as ArrayBufferView, timestamp);
          default:
            return this.writePacket(streamName, item as { data: Uint8Array; keyframe: boolean }, timestamp);
        }
      },
      get size() {
        return lane.waiting.length + lane.inFlight;
      },
    };
  }

  #lane(streamName: string): number {
    const i = this.#index.get(streamName);
    if (i === undefined) {
      throw new ProjError(ErrorCode.INVALID_ARGUMENT, `no stream ${JSON.stringify(streamName)} (streams: ${[...this.#index.keys()].join(', ')})`);
    }
    return i;
  }

  /** One raw frame (the stream's `inputPixelFormat`, width × height) at
   * `timestamp`. Resolves `true` once the encoder took it, `false` if the
   * drop policy dropped it. Leave the frame alone until it settles. */
  writeFrame(streamName: string, frame: ArrayBufferView, timestamp: Timestamp): Promise<boolean> {
    return this.#enqueue(streamName, 'video', () => {
      const bytes = bytesOf(frame, 'frame');
      const ts = toNs('timestamp', timestamp);
      return (i) => this.#native.writeFrame(i, bytes, ts);
    });
  }

  /** One payload of a data stream: bytes verbatim; a string as UTF-8; any
   * other value as its JSON. */
  writeData(streamName: string, payload: Uint8Array | string | object, timestamp: Timestamp): Promise<boolean> {
    return this.#enqueue(streamName, 'data', () => {
      const bytes =
        typeof payload === 'string'
          ? Buffer.from(payload, 'utf8')
          : ArrayBuffer.isView(payload)
            ? bytesOf(payload, 'payload')
            : Buffer.from(JSON.stringify(payload), 'utf8');
      const ts = toNs('timestamp', timestamp);
      return (i) => this.#native.writeData(i, bytes, ts);
    });
  }

  /** Interleaved samples of an audio stream, the first at `timestamp`. */
  writeAudio(streamName: string, samples: ArrayBufferView, timestamp: Timestamp): Promise<boolean> {
    return this.#enqueue(streamName, 'audio', () => {
      const bytes = bytesOf(samples, 'samples');
      const ts = toNs('timestamp', timestamp);
      return (i) => this.#native.writeAudio(i, bytes, ts);
    });
  }

  /** One encoded packet of a packet stream. Its time is `timestamp` (epoch)
   * when given; otherwise the packet's `ptsNs`/`dtsNs` are epoch ns. */
  writePacket(
    streamName: string,
    packet: { data: Uint8Array; keyframe: boolean; ptsNs?: bigint | null; dtsNs?: bigint | null },
    timestamp?: Timestamp,
  ): Promise<boolean> {
    return this.#enqueue(streamName, 'packets', () => {
      const data = bytesOf(packet?.data, 'packet.data');
      let pts: bigint;
      let dts: bigint | undefined;
      if (timestamp !== undefined) {
        pts = toNs('timestamp', timestamp);
        if (packet.ptsNs != null && packet.dtsNs != null) dts = pts - (packet.ptsNs - packet.dtsNs);
      } else {
        if (packet.ptsNs == null) throw argumentError('type', 'a packet needs ptsNs (epoch ns) or a timestamp');
        pts = packet.ptsNs;
        dts = packet.dtsNs ?? undefined;
      }
      return (i) => this.#native.writePacket(i, data, pts, dts, Boolean(packet.keyframe));
    });
  }

  #enqueue(
    streamName: string,
    kind: Lane['kind'],
    prepare: () => (index: number) => Promise<void>,
  ): Promise<boolean> {
    try {
      if (this.#state !== 'running') {
        throw new ProjError(
          this.#state === 'created' ? ErrorCode.NOT_OPEN : ErrorCode.SHUT_DOWN,
          this.#state === 'created' ? 'call start() first' : 'the writer is stopped',
        );
      }
      const index = this.#lane(streamName);
      const lane = this.#lanes[index]!;
      if (lane.kind !== kind) {
        throw new ProjError(ErrorCode.INVALID_ARGUMENT, `${streamName} is a ${lane.kind} stream, not ${kind}`);
      }
      const write = prepare();
      if (lane.waiting.length + lane.inFlight >= this.#maxQueue) {
        if (lane.policy === 'block') {
          throw new ProjError(
            ErrorCode.QUEUE_FULL,
            `${this.#maxQueue} writes to ${streamName} are waiting (maxEncoderQueueSize): await your writes`,
          );
        }
        if (lane.policy === 'drop-newest' || lane.waiting.length === 0) {
          this.#native.countDropped(index, 1, `queue full (${lane.policy})`);
          return Promise.resolve(false);
        }
        lane.waiting.shift()!.settle(false);
        this.#native.countDropped(index, 1, 'queue full (drop-oldest)');
      }
      return new Promise<boolean>((resolve, reject) => {
        lane.waiting.push({ run: () => write(index), settle: resolve, fail: reject });
        this.#pump(lane);
      });
    } catch (error) {
      return Promise.reject(toProjError(error));
    }
  }

  #pump(lane: Lane): void {
    while (lane.inFlight < IN_FLIGHT && lane.waiting.length > 0) {
      const next = lane.waiting.shift()!;
      lane.inFlight += 1;
      let started: Promise<void>;
      try {
        started = next.run();
      } catch (error) {
        started = Promise.reject(error);
      }
      started.then(
        () => {
          lane.inFlight -= 1;
          next.settle(true);
          this.#pump(lane);
        },
        (error: unknown) => {
          lane.inFlight -= 1;
          next.fail(toProjError(error));
          this.#pump(lane);
        },
      );
    }
  }

  /** Writes what is queued, ends every stream, finalizes the chunks in
   * flight (durably) and writes the manifest, which it resolves with. */
  stop(timeoutMs = 60_000): Promise<RecordingManifest> {
    if (this.#stopped) return this.#stopped;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    this.#stopped = (async () => {
      // What waits in our queues goes in first (nothing is dropped by stop).
      await Promise.all(
        this.#lanes.map(
          (lane) =>
            new Promise<void>((resolve) => {
              const check = (): void => {
                if (lane.waiting.length === 0 && lane.inFlight === 0) resolve();
                else setTimeout(check, 5);
              };
              check();
            }),
        ),
      );
      if (!wasRunning) return JSON.parse(await call(() => this.#native.stop(timeoutMs))) as RecordingManifest;
      const text = await call(() => this.#native.stop(timeoutMs)).catch((e: unknown) => {
        throw toProjError(e);
      });
      return JSON.parse(text) as RecordingManifest;
    })();
    return this.#stopped;
  }

  /** Stops at once; the chunks in flight stay as `.part` (salvaged by the
   * next `start()` in this directory). */
  async abort(): Promise<void> {
    this.#state = 'stopped';
    for (const lane of this.#lanes) {
      for (const w of lane.waiting.splice(0)) w.fail(new ProjError(ErrorCode.SHUT_DOWN, 'the writer was aborted'));
    }
    await call(() => this.#native.abort());
  }

  get stats(): ChunkedWriterStats {
    return call(() => this.#native.stats);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** omgrab's `merge_stream_files`: single-stream files (`.mkv`/`.mp4`,
 * finished or `.part`) into one multi-track file, copied packet for packet
 * in-process (no ffmpeg binary), written to a `.tmp` then fsynced, renamed
 * and the directory fsynced. */
export async function mergeStreamFiles(partPaths: string[], outputPath: string): Promise<MergeReport> {
  if (!Array.isArray(partPaths) || partPaths.some((p) => typeof p !== 'string')) {
    throw argumentError('type', 'partPaths must be an array of paths');
  }
  return call(() => native.mergeStreamFiles(partPaths, outputPath)).catch((e: unknown) => {
    throw toProjError(e);
  });
}

/** omgrab's `merge_recording_chunks`: a recording directory's finished
 * chunks (by its manifest, else `NNNNN.mkv` names), in order, into one
 * file, atomically and durably. Unlike omgrab, the chunks are kept. */
export async function mergeRecordingChunks(recordingDir: string, outputPath: string): Promise<MergeReport> {
  return call(() => native.mergeRecordingChunks(recordingDir, outputPath)).catch((e: unknown) => {
    throw toProjError(e);
  });
}
