// `MediaSource`: a video file (MP4/MOV, MKV/WebM, MPEG-TS, raw Annex-B
// H.264/HEVC, MJPEG in MKV/AVI) or any GStreamer source description,
// demuxed into packets our decoders take, never decoded.
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
  /** Packets read ahead of the reader (default 64): past it the source
   * waits for the reader (back-pressure). */
  maxQueued?: number;
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
  /** The first packet of a stream after a loop. */
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
}

export interface MediaSourceStats {
  packets: number;
  bytes: number;
  loops: number;
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
 * for, or `gst:` and a source description) into packets of every video
 * (and audio) stream: `for await (const p of source)`, `read()` for a batch,
 * or `forEach(callback)`. The file is read as fast as the reader takes
 * packets and no faster. A missing file throws `ERR_PROJ_SOURCE_OPEN`; a
 * file that is not media, or breaks off, rejects the read after the
 * packets before it with `ERR_PROJ_SOURCE`.
 */
export class MediaSource implements AsyncIterable<SourcePacket>, AsyncDisposable {
  readonly uri: string;
  readonly #native: native.MediaSource;
  /** Reads one at a time: a second waits for the first. */
  #reading: Promise<unknown> = Promise.resolve();

  constructor(uri: string, options?: MediaSourceOptions) {
    if (typeof uri !== 'string' || uri.length === 0) throw argumentError('type', 'MediaSource takes a path or URI string');
    const o = optionsObject('MediaSource options', options);
    for (const key of ['realtime', 'loop', 'audio'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'boolean') throw argumentError('type', `${key} must be a boolean`);
    }
    const maxQueued = o.maxQueued === undefined ? undefined : integerArgument('maxQueued', o.maxQueued, 1, 1 << 20);
    this.uri = uri;
    this.#native = call(
      () => new native.MediaSource(uri, { realtime: o.realtime, looping: o.loop, audio: o.audio, maxQueued }),
    );
  }

  /** The next packets (up to `max`, default 64), as soon as any is read;
   * `null` at the end. */
  read(max = 64): Promise<SourcePacket[] | null> {
    const limit = integerArgument('max', max, 1, 1 << 16);
    const next = this.#reading.then(async () => {
      try {
        const batch = await call(() => this.#native.next(limit));
        return batch === null ? null : batch.map(packet);
      } catch (error) {
        throw toProjError(error);
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
    return call(() => this.#native.stats());
  }

  /** Stops reading; a read waiting resolves with `null`. */
  close(): void {
    call(() => this.#native.close());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
