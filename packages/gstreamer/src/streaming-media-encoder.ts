import { EventEmitter } from 'node:events';

import * as native from '@proj/native';

import { argumentError, ErrorCode, native as call, ProjError, toProjError } from './errors.js';
import { type Nanoseconds, toNanoseconds, toOptionalNanoseconds } from './timestamp.js';

/** Where the bytes go when they are not a path or a live URL: a Node
 * `Writable`, or any object with `write(data)` (a returned Promise is
 * awaited before more is handed over). Nothing else is ever called on it
 * but `end()` (a Node `Writable`, at `close()`, unless `endWritable: false`). */
export interface WritableLike {
  write(data: Uint8Array, callback?: (error?: Error | null) => void): unknown;
  end?(callback?: () => void): unknown;
}

export interface StreamingMediaEncoderOptions {
  /** FFmpeg's muxer name: `mp4` (fragmented), `mov`, `matroska`, `mpegts`,
   * `flv`. Default: from the file's extension; FLV for `rtmp://`, MPEG-TS
   * for `srt://`, fragmented MP4 for a Writable. */
  format?: string;
  /** A Writable gets its bytes in chunks of this size (torio's
   * `buffer_size`; default 4096). */
  bufferSize?: number;
  /** MP4/MOV fragment length (default 500 ms). 0 writes a regular MP4
   * (files only; valid only once closed). */
  fragmentDurationMs?: number;
  /** Bytes of writes not yet admitted before a write is refused with
   * `ERR_PROJ_QUEUE_FULL` (default 256 MiB): await your writes. */
  maxWaitingBytes?: number;
  /** Bytes each stream's queue into the muxer holds before writes wait
   * (default 8 MiB). */
  maxQueuedBytes?: number;
  /** Bytes handed to a Writable and not yet written before encoding waits
   * (default 8 MiB). */
  maxPendingBytes?: number;
  /** A wait this long is reported as a `stall` event (default 5000 ms). */
  stallMs?: number;
  /** End a Node `Writable` at `close()` (default true). */
  endWritable?: boolean;
}

/** torio's `CodecConfig`; -1 or absent leaves the encoder's default. */
export interface CodecConfig {
  bitRate?: number;
  compressionLevel?: number;
  qscale?: number;
  gopSize?: number;
  maxBFrames?: number;
}

export interface VideoStreamOptions {
  /** FFmpeg's names: `libx264` (default: `h264`, NVENC where present),
   * `h264_nvenc`, `libopenh264`, `libx265`, `hevc`, `hevc_nvenc`,
   * `libaom-av1`, `av1`, `av1_nvenc`, `mjpeg`. */
  encoder?: string;
  /** FFmpeg's encoder options we map (`preset`, `crf`, `qp`, `b`, `g`,
   * `bf=0`, `threads`, `profile`, `tune`; NVENC: `preset`, `rc`, `cq`,
   * `maxrate`…); any other is refused with `ERR_PROJ_UNKNOWN_NAME`. */
  encoderOption?: Record<string, string>;
  encoderFrameRate?: number;
  encoderWidth?: number;
  encoderHeight?: number;
  /** `yuv420p` or `nv12` (our encoders take 4:2:0). */
  encoderFormat?: string;
  codecConfig?: CodecConfig;
  /** `scale=W:H`, `fps=R`, `format=yuv420p` (the filters that only say
   * what the encoder gets); any other filter is refused by name. */
  filterDesc?: string;
  /** `cuda:N`: frames are pool buffers in GPU N's memory. */
  hwAccel?: string;
}

export interface AudioStreamOptions {
  /** `aac` (default, Matroska: `libopus`), `libopus`/`opus`, `flac`
   * (Matroska only), `libmp3lame`/`mp3`. */
  encoder?: string;
  /** `b` (all but FLAC), `application`, `frame_duration` (Opus),
   * `compression_level` (FLAC), `q` (MP3). */
  encoderOption?: Record<string, string>;
  encoderSampleRate?: number;
  encoderNumChannels?: number;
  encoderFormat?: string;
  codecConfig?: CodecConfig;
  /** `aresample=R`, `aformat=sample_rates=R:channel_layouts=mono|stereo:sample_fmts=F`. */
  filterDesc?: string;
}

/** An encoded stream to remux as it is: a `MediaSource` stream fits. */
export interface PacketStreamInfo {
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  codecData?: Uint8Array | null;
}

/** One encoded packet: a `MediaSource` packet fits. */
export interface PacketInput {
  data: Uint8Array;
  /** Required (a packet without one cannot be placed). */
  ptsNs: Nanoseconds | null;
  dtsNs?: Nanoseconds | null;
  durationNs?: Nanoseconds | null;
  keyframe?: boolean;
}

export type StreamingEncoderStats = native.StreamingEncoderStats;

/** What `on()` takes. */
export interface StreamingMediaEncoderEvents {
  /** A write or the output has waited `seconds`; `message` says for what. */
  stall: [message: string, seconds: number];
  /** A video stream's encoder moved to another backend (NVENC → CPU). */
  backend: [stream: number, change: native.BackendChange];
  /** The output or pipeline failed; later calls reject with this error.
   * Emitted only while someone listens (the calls reject either way). */
  error: [error: ProjError];
}

const SAMPLE_ARRAYS = {
  u8: Uint8Array,
  s16: Int16Array,
  s32: Int32Array,
  s64: BigInt64Array,
  flt: Float32Array,
  dbl: Float64Array,
} as const;

type SampleFormat = keyof typeof SAMPLE_ARRAYS;
type StreamKind = { kind: 'video' } | { kind: 'audio'; format: SampleFormat } | { kind: 'data' } | { kind: 'packets' };

function positive(name: string, value: unknown, max = 2 ** 48): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw argumentError('range', `${name} must be a number from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

function seconds(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw argumentError('range', `${name} must be a time in seconds ≥ 0, got ${String(value)}`);
  }
  return value;
}

function stringMap(name: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw argumentError('type', `${name} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw argumentError('type', `${name}.${k} must be a string`);
    out[k] = String(v);
  }
  return out;
}

/** A pool buffer: `@proj/deepstream`'s `SharedBuffer` (or the addon's). */
export type PoolBuffer = native.SharedBuffer | { readonly native: native.SharedBuffer };

function poolBuffer(value: unknown): native.SharedBuffer | null {
  if (value instanceof native.SharedBuffer) return value;
  const inner = (value as { native?: unknown } | null)?.native;
  return inner instanceof native.SharedBuffer ? inner : null;
}

function bytesOf(value: ArrayBufferView): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function isNodeWritable(value: WritableLike): boolean {
  return typeof (value as { once?: unknown }).once === 'function' && typeof (value as { writable?: unknown }).writable === 'boolean';
}

/**
 * torio's `StreamingMediaEncoder` for Node: add streams, `open()`, write
 * chunks (each write resolves once admitted: back-pressure, bounded in
 * bytes), `close()`. Video goes through our `Encoder` (NVENC where it
 * runs, the CPU otherwise), audio through GStreamer's AAC/Opus/FLAC/MP3
 * encoders, data and encoded packets straight into the muxer.
 *
 * Outputs: a file path (fragmented MP4 by default: crash-safe and
 * readable while written; Matroska, MPEG-TS, MOV, FLV, regular MP4 on
 * request), a `Writable` (only containers written front to back: it never
 * sees a seek), or `rtmp://`/`rtmps://` (FLV) and `srt://` (MPEG-TS).
 */
export class StreamingMediaEncoder extends EventEmitter<StreamingMediaEncoderEvents> {
  readonly #native: native.StreamingMediaEncoder;
  readonly #writer: WritableLike | null;
  readonly #endWritable: boolean;
  readonly #streams: StreamKind[] = [];
  #failure: unknown = null;
  #writes: Promise<void> = Promise.resolve();
  #closed: Promise<void>;
  #markClosed!: () => void;
  #state: 'building' | 'open' | 'closed' = 'building';

  constructor(dst: string | URL | WritableLike, options: StreamingMediaEncoderOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw argumentError('type', 'options must be an object');
    let target: string | undefined;
    if (typeof dst === 'string') {
      if (dst.length === 0) throw argumentError('type', 'dst must be a non-empty path or URL');
      target = dst;
      this.#writer = null;
    } else if (dst instanceof URL) {
      target = dst.protocol === 'file:' ? decodeURIComponent(dst.pathname) : dst.href;
      this.#writer = null;
    } else if (dst !== null && typeof dst === 'object' && typeof dst.write === 'function') {
      this.#writer = dst;
    } else {
      throw argumentError('type', 'dst must be a path, a URL (rtmp://, srt://) or an object with write(data) (a Writable)');
    }
    if (options.format !== undefined && typeof options.format !== 'string') throw argumentError('type', 'format must be a string');
    this.#endWritable = options.endWritable !== false;
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
    const nativeOptions: native.StreamingEncoderOptions = {
      format: options.format,
      bufferSize: positive('bufferSize', options.bufferSize, 64 << 20),
      fragmentDurationMs: positive('fragmentDurationMs', options.fragmentDurationMs, 3_600_000),
      maxWaitingBytes: positive('maxWaitingBytes', options.maxWaitingBytes),
      maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes),
      maxPendingBytes: positive('maxPendingBytes', options.maxPendingBytes),
      stallMs: positive('stallMs', options.stallMs, 3_600_000),
    };
    this.#native = call(() => new native.StreamingMediaEncoder(target, nativeOptions, (event) => this.#onEvent(event)));
  }

  #onEvent(event: native.StreamingEncoderEvent): void {
    switch (event.kind) {
      case 'data':
        if (event.data) this.#deliver(event.data);
        break;
      case 'stall':
        if (this.listenerCount('stall') > 0) this.emit('stall', event.message ?? '', event.seconds ?? 0);
        else process.emitWarning(event.message ?? 'stalled', { code: 'PROJ_RECORDER_STALL' });
        break;
      case 'backend':
        if (event.change) this.emit('backend', event.stream ?? 0, event.change);
        break;
      case 'error':
        this.#fail(new ProjError((event.code ?? ErrorCode.PIPELINE) as ErrorCode, event.message ?? 'the encoder failed'));
        break;
      case 'closed':
        this.#markClosed();
        break;
    }
  }

  #fail(error: ProjError): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Hands bytes to the Writable, in order; acknowledges them once written. */
  #deliver(data: Buffer): void {
    const writer = this.#writer;
    if (writer === null) return;
    const ack = (error?: Error | null) => {
      if (error) {
        this.#fail(new ProjError(ErrorCode.OUTPUT, `the Writable failed: ${error.message}`, { cause: error }));
        void this.#native.abort().catch(() => {});
        return;
      }
      call(() => this.#native.ack(data.length));
    };
    this.#writes = this.#writes.then(async () => {
      if (this.#failure !== null) return;
      try {
        if (isNodeWritable(writer)) {
          await new Promise<void>((resolve) => {
            writer.write(data, (error) => {
              ack(error);
              resolve();
            });
          });
        } else {
          await writer.write(data);
          ack();
        }
      } catch (error) {
        ack(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#failure !== null) throw this.#failure;
    if (this.#state === 'closed') throw new ProjError(ErrorCode.FINISHED, 'the encoder is closed');
    try {
      return await work();
    } catch (error) {
      throw this.#failure ?? toProjError(error);
    }
  }

  /** The container written (`mp4`, `matroska`, `mpegts`, `flv`, `mov`). */
  get container(): string {
    return call(() => this.#native.container);
  }

  /** torio's `add_video_stream`; frames are `format` (`rgb24` default,
   * `bgr24`, `rgba`, `bgra`, `gray8`, packed rows of pixels; `yuv444p`,
   * `yuv420p`, `nv12`, whole planes). Returns the stream index. */
  addVideoStream(frameRate: number, width: number, height: number, format = 'rgb24', options: VideoStreamOptions = {}): number {
    for (const [k, v] of Object.entries({ frameRate, width, height })) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw argumentError('range', `${k} must be a positive number, got ${String(v)}`);
    }
    if (!Number.isInteger(width) || !Number.isInteger(height)) throw argumentError('range', 'width and height must be integers');
    if (typeof format !== 'string') throw argumentError('type', 'format must be a string');
    const index = call(() =>
      this.#native.addVideoStream({
        frameRate,
        width,
        height,
        format,
        encoder: options.encoder,
        encoderOption: stringMap('encoderOption', options.encoderOption),
        encoderFrameRate: positive('encoderFrameRate', options.encoderFrameRate, 1000),
        encoderWidth: positive('encoderWidth', options.encoderWidth, 8192),
        encoderHeight: positive('encoderHeight', options.encoderHeight, 8192),
        encoderFormat: options.encoderFormat,
        codecConfig: options.codecConfig,
        filterDesc: options.filterDesc,
        hwAccel: options.hwAccel,
      }),
    );
    this.#streams[index] = { kind: 'video' };
    return index;
  }

  /** torio's `add_audio_stream`; samples are interleaved, their typed
   * array matching `format` (`flt` → Float32Array, `s16` → Int16Array,
   * `s32` → Int32Array, `s64` → BigInt64Array, `dbl` → Float64Array,
   * `u8` → Uint8Array). */
  addAudioStream(sampleRate: number, numChannels: number, format = 'flt', options: AudioStreamOptions = {}): number {
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw argumentError('range', `sampleRate must be a positive integer, got ${String(sampleRate)}`);
    if (!Number.isInteger(numChannels) || numChannels <= 0) throw argumentError('range', `numChannels must be a positive integer, got ${String(numChannels)}`);
    if (typeof format !== 'string') throw argumentError('type', 'format must be a string');
    const index = call(() =>
      this.#native.addAudioStream({
        sampleRate,
        numChannels,
        format,
        encoder: options.encoder,
        encoderOption: stringMap('encoderOption', options.encoderOption),
        encoderSampleRate: positive('encoderSampleRate', options.encoderSampleRate, 768_000),
        encoderNumChannels: positive('encoderNumChannels', options.encoderNumChannels, 8),
        encoderFormat: options.encoderFormat,
        codecConfig: options.codecConfig,
        filterDesc: options.filterDesc,
      }),
    );
    this.#streams[index] = { kind: 'audio', format: format.trim().toLowerCase() as SampleFormat };
    return index;
  }

  /** A data stream: one payload (JSON, text, bytes) per timestamp.
   * Matroska keeps payloads byte for byte, and a silent data stream never
   * holds it up (payloads may lag the video by up to a second, less when
   * the queues are full). MP4 takes UTF-8 text up to 65535 bytes (larger or
   * binary payloads are refused, never mangled), and its muxer waits on a
   * silent data stream as on any stream: write it as time goes on, or
   * `endStream()` it (a `stall` event names it). MPEG-TS and FLV hold none. */
  addDataStream(): number {
    const index = call(() => this.#native.addDataStream());
    this.#streams[index] = { kind: 'data' };
    return index;
  }

  /** An encoded stream to remux without re-encoding (H.264, HEVC, AAC,
   * Opus): `source.streams()[i]` of a `MediaSource` fits. */
  addPacketStream(info: PacketStreamInfo): number {
    if (info === null || typeof info !== 'object' || typeof info.codec !== 'string') throw argumentError('type', 'info must be { codec, … }');
    const codecData = info.codecData ?? undefined;
    const index = call(() =>
      this.#native.addPacketStream({
        codec: info.codec,
        width: info.width,
        height: info.height,
        sampleRate: info.sampleRate,
        channels: info.channels,
        codecData: codecData === undefined ? undefined : Buffer.from(codecData),
      }),
    );
    this.#streams[index] = { kind: 'packets' };
    return index;
  }

  /** torio's `set_metadata` (title, artist, album, comment, description,
   * genre, copyright, composer, encoder, language, date). */
  setMetadata(metadata: Record<string, string>): void {
    const map = stringMap('metadata', metadata) ?? {};
    call(() => this.#native.setMetadata(map));
  }

  /** Opens the output. `options`: FFmpeg's we map (MP4: `movflags`,
   * `frag_duration`; SRT: `latency`, `passphrase`, `pbkeylen`, `streamid`,
   * `mode`; RTMP: `timeout`); any other is refused. */
  async open(options?: Record<string, string>): Promise<this> {
    const map = stringMap('options', options);
    await this.#run(() => this.#native.open(map));
    this.#state = 'open';
    return this;
  }

  #stream(index: number, kind: StreamKind['kind']): StreamKind {
    if (!Number.isInteger(index) || index < 0) throw argumentError('range', `i must be a stream index, got ${String(index)}`);
    const stream = this.#streams[index];
    if (stream === undefined) throw argumentError('range', `no stream ${index}`);
    if (stream.kind !== kind) throw argumentError('type', `stream ${index} is a ${stream.kind} stream, not ${kind}`);
    return stream;
  }

  /** torio's `write_video_chunk`: whole frames of the stream's format
   * (N frames back to back), or one pool buffer (`SharedBuffer`). `pts`
   * (seconds) overrides the first frame's time, truncated to a frame.
   * The frames are read where they are, off the JS thread, without a copy:
   * leave the array unchanged until the returned Promise settles. */
  writeVideoChunk(i: number, chunk: Uint8Array | PoolBuffer, pts?: number): Promise<void> {
    this.#stream(i, 'video');
    const at = seconds('pts', pts);
    const buffer = poolBuffer(chunk);
    if (buffer !== null) return this.#run(() => this.#native.writeVideoBuffer(i, buffer, at));
    if (!(chunk instanceof Uint8Array || (chunk as unknown) instanceof Uint8ClampedArray)) {
      throw argumentError('type', 'chunk must be a Uint8Array of whole frames or a SharedBuffer');
    }
    const bytes = bytesOf(chunk as Uint8Array);
    return this.#run(() => this.#native.writeVideoChunk(i, bytes, at));
  }

  /** torio's `write_audio_chunk`: interleaved samples (`frames ×
   * channels`) in the typed array of the stream's format. */
  writeAudioChunk(i: number, chunk: ArrayBufferView, pts?: number): Promise<void> {
    const stream = this.#stream(i, 'audio') as { format: SampleFormat };
    const expected = SAMPLE_ARRAYS[stream.format];
    if (!(chunk instanceof expected)) {
      throw argumentError('type', `stream ${i} takes ${stream.format} samples: a ${expected.name}, got ${chunk?.constructor?.name ?? typeof chunk}`);
    }
    const at = seconds('pts', pts);
    return this.#run(() => this.#native.writeAudioChunk(i, bytesOf(chunk), at));
  }

  /** One payload of a data stream at `pts` seconds (default: the media
   * time written so far), lasting `duration` seconds (default 1 ms).
   * Strings are UTF-8; other values are written as JSON. */
  writeData(i: number, payload: Uint8Array | string | object, pts?: number, duration?: number): Promise<void> {
    this.#stream(i, 'data');
    const bytes: Uint8Array =
      typeof payload === 'string'
        ? Buffer.from(payload, 'utf8')
        : payload instanceof Uint8Array
          ? payload
          : Buffer.from(JSON.stringify(payload), 'utf8');
    const at = seconds('pts', pts);
    const length = seconds('duration', duration);
    return this.#run(() => this.#native.writeData(i, bytes, at, length));
  }

  /** One encoded packet of a packet stream (a `MediaSource` packet fits). */
  writePacket(i: number, packet: PacketInput): Promise<void> {
    this.#stream(i, 'packets');
    if (packet === null || typeof packet !== 'object' || !(packet.data instanceof Uint8Array)) {
      throw argumentError('type', 'packet must be { data: Uint8Array, ptsNs, dtsNs?, durationNs?, keyframe? }');
    }
    if (packet.ptsNs === null || packet.ptsNs === undefined) throw argumentError('range', 'a packet needs ptsNs to be remuxed');
    const pts = toNanoseconds('ptsNs', packet.ptsNs);
    const dts = toOptionalNanoseconds('dtsNs', packet.dtsNs);
    const duration = toOptionalNanoseconds('durationNs', packet.durationNs);
    return this.#run(() => this.#native.writePacket(i, packet.data, { ptsNs: pts, dtsNs: dts, durationNs: duration }, packet.keyframe === true));
  }

  /** torio's `flush`: resolves once everything written so far has reached
   * the output (a Writable has been handed every byte), but for the few
   * frames `libx264`'s frame threads may hold (`tune: zerolatency` holds
   * none). Data payloads must then not be earlier than the time flushed. */
  async flush(timeoutMs = 60_000): Promise<void> {
    await this.#run(() => this.#native.flush(timeoutMs));
    await this.#writes;
  }

  /** Ends one stream early: the muxer stops waiting for it. */
  endStream(i: number): Promise<void> {
    if (!Number.isInteger(i) || this.#streams[i] === undefined) throw argumentError('range', `no stream ${String(i)}`);
    return this.#run(() => this.#native.endStream(i));
  }

  /** Encodes what is queued, completes the output (and ends a Node
   * Writable), releases everything. */
  async close(timeoutMs = 60_000): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#failure !== null) {
      // The output failed: nothing more can complete it; release it.
      await this.abort();
      throw this.#failure;
    }
    const closing = this.#run(() => this.#native.close(timeoutMs));
    this.#state = 'closed';
    try {
      await closing;
    } finally {
      await this.#closed;
      await this.#writes;
    }
    const writer = this.#writer;
    if (this.#failure !== null) throw this.#failure;
    if (writer !== null && this.#endWritable && isNodeWritable(writer) && typeof writer.end === 'function') {
      await new Promise<void>((resolve) => writer.end!(() => resolve()));
    }
  }

  /** Stops at once; writes still queued reject. A file keeps every
   * completed fragment. */
  async abort(): Promise<void> {
    this.#state = 'closed';
    await this.#native.abort().catch(() => {});
    await this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'building') {
      await this.abort();
      return;
    }
    await this.close();
  }

  /** Counters: per stream units written, bytes, queued bytes, waits; the
   * output's bytes and what a Writable has not written yet. */
  get stats(): StreamingEncoderStats {
    return call(() => this.#native.stats);
  }

  /** torio's `get_muxers`: the formats written here. */
  static getMuxers(): Record<string, string> {
    return Object.fromEntries(call(() => native.streamingMuxers()).map((e) => [e.name, e.description]));
  }

  /** torio's `get_video_encoders`: FFmpeg's names we map → the element
   * each runs here (`*_nvenc` fall back to the CPU where NVENC is absent). */
  static getVideoEncoders(): Record<string, string> {
    return Object.fromEntries(call(() => native.streamingVideoEncoders()).map((e) => [e.name, e.description]));
  }

  /** torio's `get_audio_encoders`. */
  static getAudioEncoders(): Record<string, string> {
    return Object.fromEntries(call(() => native.streamingAudioEncoders()).map((e) => [e.name, e.description]));
  }
}
