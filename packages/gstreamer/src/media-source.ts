// `MediaSource`: a video file (MP4/MOV, MKV/WebM, MPEG-TS, raw Annex-B
// H.264/HEVC, MJPEG in MKV/AVI), a live RTSP camera or any GStreamer
// source description, demuxed into packets our decoders take, never
// decoded.
import { EventEmitter } from 'node:events';

import * as native from '@proj/native';

import { integerArgument, optionsObject } from './enum.js';
import { argumentError, native as call, toProjError } from './errors.js';

export interface MediaSourceOptions {
  /** Pace at the stream's rate, as a camera would send it (default false:
   * as fast as it is read). */
  realtime?: boolean;
  /** Start again at the end; timestamps keep increasing and the first
   * packet of each pass says `discontinuity` (default false). */
  loop?: boolean;
  /** Yield audio packets (AAC, Opus) too, marked `kind: 'audio'` (default
   * true). */
  audio?: boolean;
  /** Packets read ahead of the reader (default 64): past it a file waits
   * for the reader (back-pressure) and a camera drops by `dropPolicy`. */
  maxQueued?: number;
  /** RTSP: `tcp` (default), `udp`, or `auto` (UDP, then TCP). */
  transport?: 'tcp' | 'udp' | 'auto';
  /** RTSP credentials (or in the URL: `rtsp://user:password@host/path`). */
  user?: string;
  password?: string;
  /** RTSP: no answer or no first packet within this → reconnect (default
   * 5000). */
  connectTimeoutMs?: number;
  /** RTSP: no packet for this long once connected → `stalled`, reconnect
   * (default 5000). */
  stallTimeoutMs?: number;
  /** RTSP jitter buffer (default 200 ms). */
  latencyMs?: number;
  /** RTSP: reconnect on an error, the server's end of stream or a stall
   * (default true), after `reconnectBaseDelayMs` (500) doubling to
   * `reconnectMaxDelayMs` (30000), each with jitter (× 0.5–1), at most
   * `maxAttempts` times in a row (default: for ever). */
  reconnect?: boolean;
  reconnectBaseDelayMs?: number;
  reconnectMaxDelayMs?: number;
  maxAttempts?: number;
  /** RTSP, when the reader falls behind: drop the `oldest` packets up to
   * the next keyframe (default), or the `newest`. Counted in `stats()`. */
  dropPolicy?: 'oldest' | 'newest';
}

/** Events of a source (`source.on(kind, listener)`), delivered while it is
 * read, in order with its packets. */
export interface MediaSourceEvents {
  /** A camera's first packet of a connection. */
  connected: [];
  disconnected: [reason: string];
  reconnecting: [attempt: number, delayMs: number];
  /** No packet for `seconds`; a reconnect follows. */
  stalled: [seconds: number];
  /** A stream's codec or picture size changed (mid-stream, or from one
   * connection to the next); its packets carry the new one and the
   * decoders follow. */
  streamchanged: [change: { stream: number; codec: string; width: number; height: number }];
  /** Every packet was read. */
  ended: [];
}

/** One access unit: a whole picture's NAL units in Annex-B form for
 * H.264/HEVC, a temporal unit for AV1, a whole image for JPEG/PNG, or an
 * audio frame. */
export interface SourcePacket {
  /** The stream's index in `streams()`. */
  stream: number;
  kind: 'video' | 'audio';
  /** `VideoFrame`'s codec names: `h264`, `hevc`, `av1`, `vp8`, `vp9`,
   * `jpeg`, `png`; `aac`, `opus` for audio. */
  codec: string;
  width: number;
  height: number;
  ptsNs: bigint | null;
  dtsNs: bigint | null;
  durationNs: bigint | null;
  keyframe: boolean;
  /** The first packet of a stream after a loop or a reconnect. */
  discontinuity: boolean;
  data: Uint8Array;
}

export interface SourceStream {
  index: number;
  kind: 'video' | 'audio';
  codec: string;
  width: number;
  height: number;
  sampleRate: number;
  channels: number;
  /** The demuxer's codec configuration where its packets need one to be
   * remuxed (AAC's AudioSpecificConfig from MP4 or RTSP). */
  codecData?: Buffer | null;
}

export interface MediaSourceStats {
  packets: number;
  bytes: number;
  loops: number;
  /** A camera's packets dropped because the reader fell behind. */
  droppedOldest: number;
  droppedNewest: number;
  reconnects: number;
  lastError: string | null;
  /** Packets and bits a second over the last few seconds. */
  packetRate: number;
  bitRate: number;
}

function packet(p: native.SourcePacket): SourcePacket {
  return {
    stream: p.stream,
    kind: p.kind as SourcePacket['kind'],
    codec: p.codec,
    width: p.width,
    height: p.height,
    ptsNs: p.ptsNs ?? null,
    dtsNs: p.dtsNs ?? null,
    durationNs: p.durationNs ?? null,
    keyframe: p.keyframe,
    discontinuity: p.discontinuity,
    data: new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength),
  };
}

/**
 * Reads `uri` (a path, a `file://` or other URI GStreamer has a source
 * for, `rtsp://` for a camera, or `gst:` and a source description) into
 * packets of every video (and audio) stream: `for await (const p of
 * source)`, `read()` for a batch, or `forEach(callback)`. A file is read as
 * fast as the reader takes packets and no faster. A camera connects in the
 * background and reconnects on errors, the server's end of stream and
 * stalls (events `connected`, `disconnected`, `reconnecting`, `stalled`),
 * with timestamps that keep increasing (the first packet after a reconnect
 * says `discontinuity`). A missing file throws `ERR_PROJ_SOURCE_OPEN`; a
 * file that is not media, or breaks off, rejects the read after the
 * packets before it with `ERR_PROJ_SOURCE`; a camera that refuses the
 * credentials with `ERR_PROJ_SOURCE_AUTH`, one that never comes back with
 * `ERR_PROJ_SOURCE` after `maxAttempts`.
 */
export class MediaSource extends EventEmitter<MediaSourceEvents> implements AsyncIterable<SourcePacket>, AsyncDisposable {
  readonly uri: string;
  readonly #native: native.MediaSource;
  /** Reads one at a time: a second waits for the first. */
  #reading: Promise<unknown> = Promise.resolve();

  constructor(uri: string, options?: MediaSourceOptions) {
    super();
    if (typeof uri !== 'string' || uri.length === 0) throw argumentError('type', 'MediaSource takes a path or URI string');
    const o = optionsObject('MediaSource options', options);
    for (const key of ['realtime', 'loop', 'audio', 'reconnect'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'boolean') throw argumentError('type', `${key} must be a boolean`);
    }
    for (const key of ['user', 'password', 'transport', 'dropPolicy'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'string') throw argumentError('type', `${key} must be a string`);
    }
    const int = (name: string, value: number | undefined, min: number, max: number) =>
      value === undefined ? undefined : integerArgument(name, value, min, max);
    const day = 86_400_000;
    this.uri = uri;
    this.#native = call(
      () =>
        new native.MediaSource(uri, {
          realtime: o.realtime,
          looping: o.loop,
          audio: o.audio,
          maxQueued: int('maxQueued', o.maxQueued, 1, 1 << 20),
          transport: o.transport,
          user: o.user,
          password: o.password,
          connectTimeoutMs: int('connectTimeoutMs', o.connectTimeoutMs, 1, day),
          stallTimeoutMs: int('stallTimeoutMs', o.stallTimeoutMs, 1, day),
          latencyMs: int('latencyMs', o.latencyMs, 0, 60_000),
          reconnect: o.reconnect,
          reconnectBaseDelayMs: int('reconnectBaseDelayMs', o.reconnectBaseDelayMs, 1, day),
          reconnectMaxDelayMs: int('reconnectMaxDelayMs', o.reconnectMaxDelayMs, 1, day),
          maxAttempts: int('maxAttempts', o.maxAttempts, 0, 2 ** 31),
          dropPolicy: o.dropPolicy,
        }),
    );
  }

  #emitEvent(e: native.SourceEvent): void {
    try {
      if (e.kind === 'disconnected') this.emit('disconnected', e.reason ?? '');
      else if (e.kind === 'reconnecting') this.emit('reconnecting', e.attempt ?? 0, e.delayMs ?? 0);
      else if (e.kind === 'stalled') this.emit('stalled', e.seconds ?? 0);
      else if (e.kind === 'streamchanged') {
        this.emit('streamchanged', { stream: e.stream ?? 0, codec: e.codec ?? '', width: e.width ?? 0, height: e.height ?? 0 });
      }
      else if (e.kind === 'connected' || e.kind === 'ended') this.emit(e.kind);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** The next packets (up to `max`, default 64), as soon as any is read;
   * `null` at the end. */
  read(max = 64): Promise<SourcePacket[] | null> {
    const limit = integerArgument('max', max, 1, 1 << 16);
    const next = this.#reading.then(async () => {
      for (;;) {
        let batch: native.SourceBatch | null;
        try {
          batch = await call(() => this.#native.next(limit));
        } catch (error) {
          throw toProjError(error);
        }
        if (batch === null) return null;
        for (const e of batch.events) this.#emitEvent(e);
        // Events alone (a camera reconnecting): read on.
        if (batch.packets.length > 0) return batch.packets.map(packet);
      }
    });
    this.#reading = next.catch(() => undefined);
    return next;
  }

  /** Calls `callback` with every packet in order; a Promise it returns is
   * awaited before the next (back-pressure). Resolves at the end. */
  async forEach(callback: (packet: SourcePacket) => void | Promise<void>): Promise<void> {
    if (typeof callback !== 'function') throw argumentError('type', 'forEach takes a function');
    for await (const p of this) await callback(p);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SourcePacket> {
    for (;;) {
      const batch = await this.read();
      if (batch === null) return;
      yield* batch;
    }
  }

  /** The streams found so far (every one once packets flow). */
  streams(): SourceStream[] {
    return call(() => this.#native.streams()) as SourceStream[];
  }

  /** Streams of codecs not yielded (their GStreamer caps names). */
  unsupported(): string[] {
    return call(() => this.#native.unsupported());
  }

  stats(): MediaSourceStats {
    const s = call(() => this.#native.stats());
    return { ...s, lastError: s.lastError ?? null };
  }

  /** Stops reading; a read waiting resolves with `null`. */
  close(): void {
    call(() => this.#native.close());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
