// MediaSource against files ffmpeg made, in every container and codec the
// issue names (B-frames and odd sizes included): the packets we yield are
// ffprobe's -show_packets (count, keyframe flags, PTS/DTS up to the one
// shift GStreamer makes to keep DTS ≥ 0, sizes after Annex-B conversion),
// audio is offered marked as audio, a file loops with increasing
// timestamps, a slow reader pauses the reading, and bad input is a typed
// error, never a hang.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ErrorCode, MediaSource, type SourcePacket } from '../src/index.js';
import { scratchDir } from './support/streams.js';
import { run } from './support/tools.js';

const dir = scratchDir('sources');

interface Probed {
  ptsNs: bigint | null;
  dtsNs: bigint | null;
  keyframe: boolean;
  size: number;
}

function make(name: string, args: string[]): string {
  const file = join(dir, name);
  run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=322x242:rate=25', '-t', '2', ...args, file]);
  return file;
}

/** ffprobe's packets of the first `kind` stream, timestamps in ns. */
function probe(file: string, kind: 'v' | 'a' = 'v'): Probed[] {
  const out = run('ffprobe', [
    '-v', 'error', '-select_streams', `${kind}:0`, '-show_entries', 'stream=time_base:packet=pts,dts,flags,size', '-of', 'json', file,
  ]);
  const json = JSON.parse(out.toString()) as { streams: { time_base: string }[]; packets: { pts?: number; dts?: number; flags: string; size: string }[] };
  const [num, den] = json.streams[0]!.time_base.split('/').map(BigInt) as [bigint, bigint];
  const ns = (t: number | undefined): bigint | null => (t === undefined ? null : (BigInt(t) * num * 1_000_000_000n) / den);
  return json.packets.map((p) => ({ ptsNs: ns(p.pts), dtsNs: ns(p.dts), keyframe: p.flags.startsWith('K'), size: Number(p.size) }));
}

async function read(file: string, options = {}): Promise<{ packets: SourcePacket[]; source: MediaSource }> {
  const source = new MediaSource(file, options);
  const packets: SourcePacket[] = [];
  for await (const p of source) packets.push(p);
  return { packets, source };
}

/** Ours against ffprobe's: same count and flags; PTS and DTS shifted by
 * one constant at most; sizes equal, or larger by what Annex-B adds (an
 * access unit delimiter; parameter sets before keyframes). */
function expectSame(ours: SourcePacket[], theirs: Probed[], annexB: 'same' | 'converted', label: string): void {
  expect(ours.length, label).toBe(theirs.length);
  expect(ours.map((p) => p.keyframe), label).toEqual(theirs.map((p) => p.keyframe));
  const shift = ours[0]!.ptsNs !== null && theirs[0]!.ptsNs !== null ? ours[0]!.ptsNs - theirs[0]!.ptsNs : 0n;
  ours.forEach((p, i) => {
    const t = theirs[i]!;
    if (t.ptsNs !== null) expect(p.ptsNs, `${label} packet ${i} pts`).toBe(t.ptsNs + shift);
    if (t.dtsNs !== null && p.dtsNs !== null) expect(p.dtsNs, `${label} packet ${i} dts`).toBe(t.dtsNs + shift);
    if (annexB === 'same') expect(p.data.length, `${label} packet ${i} size`).toBe(t.size);
    else {
      expect(p.data.length, `${label} packet ${i} size`).toBeGreaterThanOrEqual(t.size);
      if (!p.keyframe) expect(p.data.length - t.size, `${label} packet ${i} size`).toBeLessThanOrEqual(8);
    }
  });
}

describe('MediaSource', () => {
  const cases: Array<[string, string[], string, 'same' | 'converted']> = [
    ['h264-bframes.mp4', ['-c:v', 'libx264', '-bf', '2', '-g', '12', '-pix_fmt', 'yuv420p'], 'h264', 'converted'],
    ['hevc.mkv', ['-c:v', 'libx265', '-x265-params', 'log-level=none:bframes=2:keyint=15', '-pix_fmt', 'yuv420p'], 'hevc', 'converted'],
    // (MPEG-TS is Annex-B already; the parser makes every start code 4 bytes.)
    ['h264.ts', ['-c:v', 'libx264', '-bf', '2', '-g', '12', '-pix_fmt', 'yuv420p'], 'h264', 'converted'],
    ['mjpeg.avi', ['-c:v', 'mjpeg', '-q:v', '4', '-pix_fmt', 'yuvj420p'], 'jpeg', 'same'],
    ['mjpeg.mkv', ['-c:v', 'mjpeg', '-q:v', '4', '-pix_fmt', 'yuvj420p'], 'jpeg', 'same'],
    ['vp9.webm', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '10', '-pix_fmt', 'yuv420p'], 'vp9', 'same'],
    ['av1.mp4', ['-c:v', 'libaom-av1', '-cpu-used', '8', '-usage', 'realtime', '-g', '10', '-pix_fmt', 'yuv420p'], 'av1', 'converted'],
  ];
  for (const [name, args, codec, annexB] of cases) {
    it(`yields ffprobe's packets of ${name}`, async () => {
      const file = make(name, args);
      const { packets, source } = await read(file);
      expect(source.streams()).toMatchObject([{ index: 0, kind: 'video', codec, width: 322, height: 242 }]);
      expect(new Set(packets.map((p) => p.codec))).toEqual(new Set([codec]));
      expectSame(packets, probe(file), annexB, name);
      expect(source.stats()).toMatchObject({ packets: packets.length, loops: 0 });
    }, 60_000);
  }

  it('reads raw Annex-B H.264 whole access units, as ffprobe counts them', async () => {
    const file = make('raw.h264', ['-c:v', 'libx264', '-bf', '2', '-g', '12', '-pix_fmt', 'yuv420p', '-f', 'h264']);
    const { packets } = await read(file);
    const theirs = probe(file);
    expect(packets.length).toBe(theirs.length);
    expect(packets.map((p) => p.keyframe)).toEqual(theirs.map((p) => p.keyframe));
    // Each packet starts with a start code: Annex-B as the decoders take it.
    for (const p of packets) expect([...p.data.subarray(0, 3)]).toEqual([0, 0, 0]);
  });

  it('reads raw Annex-B HEVC too', async () => {
    const file = make('raw.h265', ['-c:v', 'libx265', '-x265-params', 'log-level=none:keyint=10', '-pix_fmt', 'yuv420p', '-f', 'hevc']);
    const { packets, source } = await read(file);
    const theirs = probe(file);
    expect(packets.length).toBe(theirs.length);
    expect(packets.map((p) => p.keyframe)).toEqual(theirs.map((p) => p.keyframe));
    expect(source.streams()).toMatchObject([{ codec: 'hevc', width: 322, height: 242 }]);
  });

  it('reads a file served over HTTP (urisourcebin)', async () => {
    const file = make('served.mp4', ['-c:v', 'libx264', '-g', '10', '-pix_fmt', 'yuv420p']);
    const bytes = run('cat', [file]);
    const server = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
      response.end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const { packets } = await read(`http://127.0.0.1:${port}/served.mp4`);
      expect(packets.length).toBe(probe(file).length);
      expect(packets[0]!.keyframe).toBe(true);
    } finally {
      server.close();
    }
  });

  it('offers AAC audio marked as audio, or leaves it out', async () => {
    const file = join(dir, 'with-audio.mp4');
    run('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
    ]);
    const { packets, source } = await read(file);
    const audio = packets.filter((p) => p.kind === 'audio');
    // The MP4 edit list leaves out AAC's priming packet and the padded last
    // one: qtdemux drops what lies outside it, ffprobe lists every packet.
    const listed = probe(file, 'a').length;
    expect(audio.length).toBeGreaterThanOrEqual(listed - 2);
    expect(audio.length).toBeLessThanOrEqual(listed);
    expect(new Set(audio.map((p) => p.codec))).toEqual(new Set(['aac']));
    expect(source.streams().map((s) => [s.kind, s.codec]).sort()).toEqual([['audio', 'aac'], ['video', 'h264']]);
    expect(source.streams().find((s) => s.kind === 'audio')).toMatchObject({ sampleRate: 48000, channels: 1 });
    const { packets: videoOnly } = await read(file, { audio: false });
    expect(videoOnly.every((p) => p.kind === 'video')).toBe(true);
    expect(videoOnly.length).toBe(probe(file).length);
  });

  it('loops a file with timestamps that keep increasing, the first packet of each pass marked', async () => {
    const file = make('loop.mp4', ['-c:v', 'libx264', '-bf', '0', '-g', '10', '-pix_fmt', 'yuv420p']);
    const once = probe(file).length;
    const source = new MediaSource(file, { loop: true });
    const packets: SourcePacket[] = [];
    for await (const p of source) {
      packets.push(p);
      if (packets.length === once * 3) break;
    }
    source.close();
    const pts = packets.map((p) => p.ptsNs!);
    for (let i = 1; i < pts.length; i++) expect(pts[i]! > pts[i - 1]!, `packet ${i}`).toBe(true);
    expect(packets.flatMap((p, i) => (p.discontinuity ? [i] : []))).toEqual([once, once * 2]);
    expect(packets[once]!.keyframe).toBe(true);
    expect(source.stats().loops).toBeGreaterThanOrEqual(2);
  });

  it('pauses the reading while the reader is slow (back-pressure), and loses nothing', async () => {
    const file = make('slow.ts', ['-c:v', 'libx264', '-g', '10', '-pix_fmt', 'yuv420p']);
    const total = probe(file).length;
    const source = new MediaSource(file, { maxQueued: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nothing read yet: the source stopped at its queue (and the one
    // packet each waiting element holds), far short of the file.
    expect(source.stats().packets).toBeLessThanOrEqual(8);
    const batch = await source.read(2);
    expect(batch).toHaveLength(2);
    let count = 2;
    for await (const p of source) {
      count += 1;
      expect(p.codec).toBe('h264');
    }
    expect(count).toBe(total);
  });

  it('reports a mid-file size change (streamchanged) and passes it on in the packets', async () => {
    const parts = ['320x240', '480x272'].map((size, i) => {
      const file = join(dir, `part-${i}.ts`);
      run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-t', '1', '-c:v', 'libx264', '-g', '10', '-pix_fmt', 'yuv420p', file]);
      return file;
    });
    const joined = join(dir, 'joined.ts');
    writeFileSync(joined, Buffer.concat(parts.map((p) => run('cat', [p]))));
    const source = new MediaSource(joined);
    const changes: unknown[] = [];
    source.on('streamchanged', (c) => changes.push(c));
    const sizes: string[] = [];
    for await (const p of source) if (sizes.at(-1) !== `${p.width}x${p.height}`) sizes.push(`${p.width}x${p.height}`);
    expect(sizes).toEqual(['320x240', '480x272']);
    expect(changes).toEqual([{ stream: 0, codec: 'h264', width: 480, height: 272 }]);
  });

  it('offers Opus audio from WebM', async () => {
    const file = join(dir, 'opus.webm');
    run('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '1', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus', '-shortest', file,
    ]);
    const { packets, source } = await read(file);
    const opus = packets.filter((p) => p.kind === 'audio');
    expect(new Set(opus.map((p) => p.codec))).toEqual(new Set(['opus']));
    expect(opus.length).toBeGreaterThanOrEqual(probe(file, 'a').length - 2);
    expect(source.streams().map((s) => s.codec).sort()).toEqual(['opus', 'vp9']);
  });

  it('paces a file at its rate with realtime: true', async () => {
    const file = make('paced.mp4', ['-c:v', 'libx264', '-g', '10', '-pix_fmt', 'yuv420p']);
    const start = performance.now();
    const { packets } = await read(file, { realtime: true });
    const took = performance.now() - start;
    expect(packets).toHaveLength(50);
    // 2 s of video: read in about 2 s, not in the tenth of it a file takes.
    expect(took).toBeGreaterThan(1800);
    expect(took).toBeLessThan(6000);
  });

  it('reads a GStreamer source description (the escape hatch)', async () => {
    const { packets, source } = await read('gst:videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc key-int-max=10 tune=zerolatency');
    expect(packets).toHaveLength(30);
    expect(packets.filter((p) => p.keyframe).length).toBe(3);
    expect(source.streams()).toMatchObject([{ codec: 'h264', width: 320, height: 240 }]);
    expect(() => new MediaSource('gst:no-such-element ! fakesink')).toThrow(expect.objectContaining({ code: ErrorCode.SOURCE_OPEN }));
  });

  it('lists a stream of a codec the decoders do not take, and yields the others', async () => {
    const file = join(dir, 'mpeg4-and-h264.mkv');
    run('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '1',
      '-map', '0:v', '-map', '0:v', '-c:v:0', 'mpeg4', '-c:v:1', 'libx264', '-pix_fmt', 'yuv420p', file,
    ]);
    const { packets, source } = await read(file);
    expect(source.unsupported()).toEqual(['video/mpeg']);
    expect(source.streams()).toMatchObject([{ codec: 'h264' }]);
    expect(packets).toHaveLength(25);
  });

  it('gives typed errors for a missing file, a file that is not media and bad options; never a hang', async () => {
    expect(() => new MediaSource(join(dir, 'missing.mp4'))).toThrow(expect.objectContaining({ code: ErrorCode.SOURCE_OPEN }));
    expect(() => new MediaSource('')).toThrow(TypeError);
    expect(() => new MediaSource(join(dir, 'x'), { maxQueued: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => new MediaSource('nosuchscheme://x')).toThrow(expect.objectContaining({ code: ErrorCode.SOURCE_OPEN }));
    const text = join(dir, 'text.mp4');
    writeFileSync(text, 'this is not a video file\n'.repeat(100));
    await expect(read(text)).rejects.toMatchObject({ code: ErrorCode.SOURCE });
    // A truncated file: the packets before the cut, then the end or an error.
    const whole = make('cut.ts', ['-c:v', 'libx264', '-g', '10', '-pix_fmt', 'yuv420p']);
    const bytes = run('cat', [whole]);
    const cut = join(dir, 'cut-half.ts');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const source = new MediaSource(cut);
    const got: SourcePacket[] = [];
    try {
      for await (const p of source) got.push(p);
    } catch (error) {
      expect(error).toMatchObject({ code: ErrorCode.SOURCE });
    }
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(probe(whole).length);
  });
});
