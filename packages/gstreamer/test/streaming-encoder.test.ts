import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { ErrorCode, MediaSource, StreamingMediaEncoder } from '../src/index.js';
import { decodeAudio, decodeRgb, formatTags, dataPackets, probeStreams, rgbFrames, sine, snr } from './support/media.js';
import { psnr } from './support/pictures.js';
import { frameMd5s } from './support/probe.js';
import { scratchDir } from './support/streams.js';
import { run } from './support/tools.js';

const W = 320;
const H = 240;

/** A Writable that keeps what it gets, optionally slowly, and throws on any seek. */
class Collector extends Writable {
  chunks: Buffer[] = [];
  constructor(private readonly delayMs = 0) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    if (this.delayMs > 0) setTimeout(callback, this.delayMs);
    else callback();
  }
  seek(): never {
    throw new Error('a Writable cannot seek');
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('StreamingMediaEncoder: files', () => {
  it('video + audio into a fragmented MP4: every frame, PSNR ≥ 38 dB, the sine back, A/V aligned, metadata', async () => {
    const file = join(scratchDir('sme'), 'av.mp4');
    const enc = new StreamingMediaEncoder(file);
    const v = enc.addVideoStream(30, W, H, 'rgb24', { encoder: 'libx264', encoderOption: { preset: 'veryfast', crf: '18' } });
    const a = enc.addAudioStream(48_000, 2);
    enc.setMetadata({ title: 'cam 7', artist: 'proj tests' });
    await enc.open();
    const frames = rgbFrames(60, W, H);
    const audio = sine(96_000, 2);
    for (let s = 0; s < 2; s++) {
      // Chunks of 10 frames and 1/3 s of audio, interleaved as a model would.
      for (let c = 0; c < 3; c++) {
        const f0 = s * 30 + c * 10;
        await enc.writeVideoChunk(v, frames.subarray(f0 * W * H * 3, (f0 + 10) * W * H * 3));
        await enc.writeAudioChunk(a, audio.subarray((s * 48_000 + c * 16_000) * 2, (s * 48_000 + (c + 1) * 16_000) * 2));
      }
    }
    const stats = enc.stats;
    await enc.close();
    expect(stats.streams.map((s) => s.units)).toEqual([60, 96_000]);

    const streams = probeStreams(file);
    expect(streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
    expect(Number(streams[0]!.nb_read_frames)).toBe(60);
    const decoded = decodeRgb(file);
    expect(decoded.length).toBe(frames.length);
    for (const f of [0, 29, 59]) {
      const size = W * H * 3;
      expect(psnr(frames.subarray(f * size, (f + 1) * size), decoded.subarray(f * size, (f + 1) * size))).toBeGreaterThanOrEqual(38);
    }
    const back = decodeAudio(file);
    // Every sample, plus AAC's 1024 priming samples and the last frame's
    // padding (fragmented MP4 from mp4mux carries no edit list to trim them).
    expect(back.length / 2).toBe(Math.ceil((96_000 + 1024) / 1024) * 1024);
    expect(snr(audio.subarray(0, 180_000), back.subarray(2048, 182_048))).toBeGreaterThan(20);
    const offset = Math.abs(Number(streams[0]!.start_time) - Number(streams[1]!.start_time));
    expect(offset).toBeLessThan(1024 / 48_000);
    expect(formatTags(file)).toMatchObject({ title: 'cam 7', artist: 'proj tests' });
  });

  it('Matroska with FLAC, and MPEG-TS with Opus; FLAC in MP4 is refused up front', async () => {
    const dir = scratchDir('sme');
    for (const [name, encoder, codec] of [
      ['a.mkv', 'flac', 'flac'],
      ['a.ts', 'libopus', 'opus'],
    ] as const) {
      const enc = new StreamingMediaEncoder(join(dir, name));
      const v = enc.addVideoStream(25, 160, 120);
      const a = enc.addAudioStream(48_000, 1, 'flt', { encoder });
      await enc.open();
      await enc.writeVideoChunk(v, rgbFrames(25, 160, 120));
      await enc.writeAudioChunk(a, sine(48_000, 1));
      await enc.close();
      const streams = probeStreams(join(dir, name));
      expect(streams.map((s) => s.codec_name)).toEqual(['h264', codec]);
      expect(Number(streams[0]!.nb_read_frames)).toBe(25);
      const back = decodeAudio(join(dir, name));
      if (codec === 'flac') {
        // Lossless: the samples themselves (16-bit).
        expect(back.length).toBe(48_000);
        expect(snr(sine(48_000, 1), back)).toBeGreaterThan(80);
      }
    }
    const enc = new StreamingMediaEncoder(join(dir, 'b.mp4'));
    expect(() => enc.addAudioStream(48_000, 2, 'flt', { encoder: 'flac' })).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
    await enc.abort();
  });

  it('encoderWidth/Height, encoderFrameRate and filterDesc change what is encoded', async () => {
    const file = join(scratchDir('sme'), 'scaled.mkv');
    const enc = new StreamingMediaEncoder(file);
    const v = enc.addVideoStream(30, W, H, 'rgb24', { filterDesc: 'scale=160:120,fps=15' });
    await enc.open();
    await enc.writeVideoChunk(v, rgbFrames(30, W, H));
    await enc.close();
    const run_ = probeStreams(file)[0]!;
    expect(Number(run_.nb_read_frames)).toBe(15);
    expect(decodeRgb(file).length).toBe(15 * 160 * 120 * 3);
  });
});

describe('StreamingMediaEncoder: streams that go quiet', () => {
  it('a silent audio stream: the wait is reported as a stall naming it, and endStream() lets the video through', async () => {
    const file = join(scratchDir('sme'), 'quiet.mkv');
    const enc = new StreamingMediaEncoder(file, { maxQueuedBytes: 64 << 10, stallMs: 300 });
    const v = enc.addVideoStream(30, W, H, 'rgb24', { encoderOption: { crf: '5' } });
    const a = enc.addAudioStream(48_000, 2);
    const stalls: string[] = [];
    enc.on('stall', (message) => stalls.push(message));
    await enc.open();
    await enc.writeAudioChunk(a, sine(4800, 2));
    let done = 0;
    const writing = (async () => {
      for (let f = 0; f < 90; f++) {
        await enc.writeVideoChunk(v, rgbFrames(1, W, H, f));
        done++;
      }
    })();
    while (stalls.length === 0) await sleep(50);
    expect(done).toBeLessThan(90);
    expect(stalls[0]).toMatch(/stream\(s\) 1 \(audio\)/);
    await enc.endStream(a);
    await writing;
    await enc.close();
    expect(Number(probeStreams(file)[0]!.nb_read_frames)).toBe(90);
  });

  it('a data stream silent from the start never holds Matroska: the file grows while only video is written', async () => {
    const file = join(scratchDir('sme'), 'sparse.mkv');
    const enc = new StreamingMediaEncoder(file, { maxQueuedBytes: 64 << 10 });
    const v = enc.addVideoStream(30, W, H, 'rgb24', { encoderOption: { crf: '5' } });
    const d = enc.addDataStream();
    await enc.open();
    for (let f = 0; f < 120; f++) await enc.writeVideoChunk(v, rgbFrames(1, W, H, f));
    // Four seconds of video and no payload: the video went through anyway.
    const partial = join(scratchDir('sme'), 'partial.mkv');
    writeFileSync(partial, readFileSync(file));
    expect(Number(probeStreams(partial)[0]!.nb_read_frames)).toBeGreaterThanOrEqual(60);
    // At the media time written so far (the default): the silent stream's
    // time has moved on with the video.
    await enc.writeData(d, { event: 'door opened' });
    await enc.writeVideoChunk(v, rgbFrames(30, W, H, 120));
    await enc[Symbol.asyncDispose]();
    expect(Number(probeStreams(file)[0]!.nb_read_frames)).toBe(150);
    const packets = dataPackets(file);
    expect(packets.map((p) => p.data.toString())).toEqual(['{"event":"door opened"}']);
    // x264's frame threads may still hold the last frames: 3.9–4 s.
    expect(packets[0]!.pts).toBeGreaterThanOrEqual(3.8);
    expect(packets[0]!.pts).toBeLessThanOrEqual(4);
  });

  it('an MP4 data stream left silent holds the muxer (mp4mux waits on every pad): a stall names it, endStream() releases it', async () => {
    const file = join(scratchDir('sme'), 'sparse.mp4');
    const enc = new StreamingMediaEncoder(file, { maxQueuedBytes: 64 << 10, stallMs: 300 });
    const v = enc.addVideoStream(30, W, H, 'rgb24', { encoderOption: { crf: '5' } });
    const d = enc.addDataStream();
    const stalls: string[] = [];
    enc.on('stall', (message) => stalls.push(message));
    await enc.open();
    await enc.writeData(d, 'start', 0);
    const writing = (async () => {
      for (let f = 0; f < 60; f++) await enc.writeVideoChunk(v, rgbFrames(1, W, H, f));
    })();
    while (stalls.length === 0) await sleep(50);
    expect(stalls[0]).toMatch(/stream\(s\) 1 \(data\)/);
    await enc.endStream(d);
    await writing;
    await enc.close();
    expect(Number(probeStreams(file)[0]!.nb_read_frames)).toBe(60);
  });

  it('a fragmented MP4 file decodes while it is still being written', async () => {
    const file = join(scratchDir('sme'), 'live.mp4');
    const enc = new StreamingMediaEncoder(file);
    const v = enc.addVideoStream(30, W, H);
    await enc.open();
    await enc.writeVideoChunk(v, rgbFrames(60, W, H));
    await enc.flush();
    await sleep(100);
    expect(Number(probeStreams(file)[0]!.nb_read_frames)).toBeGreaterThanOrEqual(30);
    await enc.writeVideoChunk(v, rgbFrames(30, W, H, 60));
    await enc.close();
    expect(Number(probeStreams(file)[0]!.nb_read_frames)).toBe(90);
  });
});

describe('StreamingMediaEncoder: a Writable', () => {
  it('gets Matroska front to back (never a seek), readable mid-stream, data payloads byte-exact', async () => {
    const out = new Collector();
    const enc = new StreamingMediaEncoder(out, { format: 'matroska' });
    const v = enc.addVideoStream(30, 160, 120);
    const d = enc.addDataStream();
    await enc.open();
    const big = JSON.stringify({ boxes: Array.from({ length: 2000 }, (_, i) => [i, i * 2, 30, 40]) });
    const binary = Uint8Array.from([0, 255, 1, 254, 0xc3, 0x28, 10]);
    const payloads: (string | Uint8Array)[] = [];
    for (let f = 0; f < 90; f++) {
      await enc.writeVideoChunk(v, rgbFrames(1, 160, 120, f));
      if (f % 10 === 0) {
        const p = f === 30 ? big : f === 50 ? binary : `{"frame":${f},"label":"person","conf":0.9}\n`;
        payloads.push(p);
        await enc.writeData(d, p, f / 30);
      }
      if (f === 45) {
        await enc.flush();
        const partial = join(scratchDir('sme'), 'partial.mkv');
        writeFileSync(partial, out.bytes);
        // The output so far decodes while the encoder is still open.
        const frames = Number(probeStreams(partial)[0]!.nb_read_frames);
        expect(frames).toBeGreaterThan(20);
      }
    }
    await enc.close();
    expect(out.writableEnded).toBe(true);
    const file = join(scratchDir('sme'), 'w.mkv');
    writeFileSync(file, out.bytes);
    const streams = probeStreams(file);
    expect(streams.map((s) => s.codec_type)).toEqual(['video', 'subtitle']);
    expect(Number(streams[0]!.nb_read_frames)).toBe(90);
    const packets = dataPackets(file);
    expect(packets.length).toBe(payloads.length);
    packets.forEach((p, i) => {
      const want = payloads[i]!;
      expect(p.data.equals(Buffer.from(typeof want === 'string' ? Buffer.from(want) : want))).toBe(true);
      expect(p.pts).toBeCloseTo(i / 3, 3);
    });
  });

  it('back-pressure from a slow Writable: pending bytes stay bounded, writes wait, nothing is lost', async () => {
    const out = new Collector(15);
    const enc = new StreamingMediaEncoder(out, { format: 'mpegts', maxPendingBytes: 64 << 10, bufferSize: 16 << 10, maxQueuedBytes: 256 << 10 });
    const v = enc.addVideoStream(30, W, H, 'rgb24', { encoderOption: { crf: '10' } });
    await enc.open();
    let maxPending = 0;
    for (let f = 0; f < 60; f++) {
      await enc.writeVideoChunk(v, rgbFrames(1, W, H, f));
      maxPending = Math.max(maxPending, enc.stats.pendingOutputBytes);
    }
    await enc.close();
    expect(maxPending).toBeLessThanOrEqual((64 << 10) + 2 * (16 << 10) + 65536);
    const file = join(scratchDir('sme'), 'slow.ts');
    writeFileSync(file, out.bytes);
    expect(Number(probeStreams(file)[0]!.nb_read_frames)).toBe(60);
  });

  it('refuses a container that would seek, before anything is written', () => {
    expect(() => new StreamingMediaEncoder(new Collector(), { format: 'mp4', fragmentDurationMs: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCode.UNSUPPORTED }),
    );
  });
});

describe('StreamingMediaEncoder: bad input keeps what was written', () => {
  it('wrong shapes and types, writes before open, streams after open, unknown names → typed errors', async () => {
    const file = join(scratchDir('sme'), 'bad.mp4');
    const enc = new StreamingMediaEncoder(file);
    expect(() => enc.addVideoStream(30, 64, 48, 'rgb24', { encoder: 'libvpx' })).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }));
    expect(() => enc.addVideoStream(30, 64, 48, 'rgb24', { encoderOption: { 'x264-params': 'a=b' } })).toThrow(
      expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }),
    );
    expect(() => enc.addVideoStream(30, 64, 48, 'rgb24', { filterDesc: 'hflip' })).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
    expect(() => enc.addVideoStream(30, 64, 48, 'rgb48')).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }));
    expect(() => enc.setMetadata({ bogus: 'x' })).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }));
    const v = enc.addVideoStream(30, 64, 48);
    const a = enc.addAudioStream(48_000, 2);
    await expect(enc.writeVideoChunk(v, rgbFrames(1, 64, 48))).rejects.toMatchObject({ code: ErrorCode.NOT_OPEN });
    await expect(enc.open({ movflags: 'frag_keyframe+negative_cts_offsets' })).rejects.toMatchObject({ code: ErrorCode.UNSUPPORTED });
    await expect(enc.open({ bogus: '1' })).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_NAME });
    await enc.open();
    expect(() => enc.addDataStream()).toThrow(expect.objectContaining({ code: ErrorCode.ALREADY_OPEN }));
    await enc.writeVideoChunk(v, rgbFrames(10, 64, 48));
    await expect(enc.writeVideoChunk(v, new Uint8Array(64 * 48 * 3 - 1))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(() => enc.writeAudioChunk(a, new Int16Array(100))).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    await expect(enc.writeAudioChunk(a, new Float32Array(3))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(enc.writeVideoChunk(v, rgbFrames(1, 64, 48), 0)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(() => enc.writeVideoChunk(a, rgbFrames(1, 64, 48))).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    await enc.writeVideoChunk(v, rgbFrames(10, 64, 48));
    await enc.writeAudioChunk(a, sine(24_000, 2));
    await enc.close();
    await expect(enc.writeVideoChunk(v, rgbFrames(1, 64, 48))).rejects.toMatchObject({ code: ErrorCode.FINISHED });
    expect(Number(probeStreams(file)[0]!.nb_read_frames)).toBe(20);
  });

  it('an MP4 data stream refuses what tx3g would mangle; a data stream in MPEG-TS is refused', async () => {
    const enc = new StreamingMediaEncoder(join(scratchDir('sme'), 'd.mp4'));
    const v = enc.addVideoStream(30, 64, 48);
    const d = enc.addDataStream();
    await enc.open();
    await enc.writeVideoChunk(v, rgbFrames(3, 64, 48));
    await expect(enc.writeData(d, 'x'.repeat(70_000), 0)).rejects.toMatchObject({ code: ErrorCode.UNSUPPORTED });
    await expect(enc.writeData(d, Uint8Array.from([0xff, 0xfe]), 0)).rejects.toMatchObject({ code: ErrorCode.UNSUPPORTED });
    await enc.writeData(d, { ok: true }, 0);
    await enc.close();
    const ts = new StreamingMediaEncoder(join(scratchDir('sme'), 'd.ts'));
    expect(() => ts.addDataStream()).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
  });
});

describe('StreamingMediaEncoder: remux', () => {
  it("a file's H.264 and AAC packets into Matroska without re-encoding: every packet, the same bytes", async () => {
    const dir = scratchDir('sme');
    const src = join(dir, 'src.mp4');
    run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
      '-c:v', 'libx264', '-g', '30', '-bf', '0', '-c:a', 'aac', '-shortest', src]);
    const source = new MediaSource(src);
    const packets = [];
    for await (const p of source) packets.push(p);
    const out = join(dir, 'remux.mkv');
    const enc = new StreamingMediaEncoder(out);
    const map = new Map<number, number>();
    for (const s of source.streams()) map.set(s.index, enc.addPacketStream(s));
    await enc.open();
    const counts = new Map<number, number>();
    for (const p of packets) {
      await enc.writePacket(map.get(p.stream)!, p);
      counts.set(p.stream, (counts.get(p.stream) ?? 0) + 1);
    }
    await enc.close();
    source.close();
    const streams = probeStreams(out);
    expect(streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
    expect(Number(streams[0]!.nb_read_frames)).toBe(60);
    expect(Number(streams[1]!.nb_read_frames)).toBe(counts.get(source.streams().find((s) => s.kind === 'audio')!.index));
    // Not re-encoded: every decoded picture is the source's.
    expect(frameMd5s(out)).toEqual(frameMd5s(src));
  });
});

describe('StreamingMediaEncoder: live outputs', () => {
  it('RTMP into a real server (ffmpeg -listen 1): every frame arrives; the server going away is an ERR_PROJ_OUTPUT error, not a hang', async () => {
    const port = await freePort();
    const dir = scratchDir('sme');
    const got = join(dir, 'got.flv');
    const server = spawn('ffmpeg', ['-v', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/cam`, '-c', 'copy', '-y', got]);
    await sleep(800);
    const enc = new StreamingMediaEncoder(`rtmp://127.0.0.1:${port}/live/cam`);
    const v = enc.addVideoStream(30, 160, 120);
    const a = enc.addAudioStream(48_000, 2);
    await enc.open();
    for (let s = 0; s < 3; s++) {
      await enc.writeVideoChunk(v, rgbFrames(30, 160, 120, s * 30));
      await enc.writeAudioChunk(a, sine(48_000, 2, 48_000, 440, s * 48_000));
    }
    await enc.close();
    await waitExit(server);
    const streams = probeStreams(got);
    expect(streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
    expect(Number(streams[0]!.nb_read_frames)).toBe(90);

    const port2 = await freePort();
    const server2 = spawn('ffmpeg', ['-v', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${port2}/live/cam`, '-f', 'null', '-']);
    await sleep(800);
    const live = new StreamingMediaEncoder(`rtmp://127.0.0.1:${port2}/live/cam`);
    const errors: unknown[] = [];
    live.on('error', (e) => errors.push(e));
    const lv = live.addVideoStream(30, 160, 120);
    await live.open();
    await live.writeVideoChunk(lv, rgbFrames(30, 160, 120));
    server2.kill('SIGKILL');
    await waitExit(server2);
    const failed = (async () => {
      for (let f = 0; f < 3000; f++) await live.writeVideoChunk(lv, rgbFrames(1, 160, 120, f));
    })();
    await expect(failed).rejects.toMatchObject({ code: expect.stringMatching(/ERR_PROJ_(OUTPUT|PIPELINE)/) });
    expect(errors.length).toBe(1);
    // Closing a failed output says why and releases it (no wait for an end that cannot come).
    await expect(live.close()).rejects.toMatchObject({ code: expect.stringMatching(/ERR_PROJ_(OUTPUT|PIPELINE)/) });
  }, 60_000);

  it('SRT into a listener (ffmpeg): every frame arrives', async () => {
    const port = await freePort();
    const got = join(scratchDir('sme'), 'srt.ts');
    const server = spawn('ffmpeg', ['-v', 'error', '-i', `srt://127.0.0.1:${port}?mode=listener`, '-c', 'copy', '-y', got]);
    await sleep(800);
    const enc = new StreamingMediaEncoder(`srt://127.0.0.1:${port}`);
    const v = enc.addVideoStream(30, W, H);
    await enc.open();
    for (let s = 0; s < 3; s++) await enc.writeVideoChunk(v, rgbFrames(30, W, H, s * 30));
    await enc.close();
    await waitExit(server);
    expect(Number(probeStreams(got)[0]!.nb_read_frames)).toBe(90);
  }, 60_000);
});

describe('StreamingMediaEncoder: listing helpers', () => {
  it('lists what this machine writes', () => {
    expect(Object.keys(StreamingMediaEncoder.getMuxers())).toEqual(expect.arrayContaining(['mp4', 'matroska', 'mpegts', 'flv']));
    expect(StreamingMediaEncoder.getVideoEncoders()).toMatchObject({ libx264: 'x264enc' });
    expect(StreamingMediaEncoder.getAudioEncoders()).toMatchObject({ flac: 'flacenc', libopus: 'opusenc' });
  });
});
