// ChunkedWriter (omgrab's recorder): every chunk read back with ffprobe and
// ffmpeg (not ours); crashes made with SIGKILL, fsync failures with an
// LD_PRELOAD shim, the durability order read with strace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { ChunkedWriter, ErrorCode, mergeRecordingChunks, mergeStreamFiles, type RecordingManifest } from '../src/index.js';
import { dataPackets, decodeAudio, rgbFrames, sine } from './support/media.js';
import { encodeStream, scratchDir } from './support/streams.js';
import { cc, emulated, run, runJson } from './support/tools.js';

const child = fileURLToPath(new URL('./support/chunked-child.mjs', import.meta.url));
const shim = fileURLToPath(new URL('./support/fail-fsync.c', import.meta.url));

/** The fsync-failing shim (support/fail-fsync.c) built in `dir`, to LD_PRELOAD into a child Node. */
function failFsyncShim(dir: string): string {
  const lib = join(dir, 'fail-fsync.so');
  run(cc, ['-shared', '-fPIC', '-O2', '-o', lib, shim, '-ldl']);
  return lib;
}
const T0 = 1_764_000_000_000_000_000n;
const FRAME_NS = 1_000_000_000n / 30n;
/** Frame i's time at exactly 30 fps. */
const at = (i: number): bigint => T0 + (BigInt(i) * 1_000_000_000n) / 30n;

interface Packet {
  stream_index: number;
  pts_time: string;
  flags: string;
}

function packets(file: string): Packet[] {
  return runJson<{ packets: Packet[] }>('ffprobe', ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time,flags', '-of', 'json', `file:${file}`]).packets;
}

function streamsOf(file: string): { index: number; codec_name: string; codec_type: string }[] {
  return runJson<{ streams: { index: number; codec_name: string; codec_type: string }[] }>('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=index,codec_name,codec_type',
    '-of',
    'json',
    `file:${file}`,
  ]).streams;
}

/** Frames ffmpeg decodes from each video stream (errors fail the run). */
function decodedFrames(file: string): number[] {
  const out = runJson<{ streams: { codec_type: string; nb_read_frames?: string }[] }>('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-show_entries',
    'stream=codec_type,nb_read_frames',
    '-of',
    'json',
    `file:${file}`,
  ]);
  return out.streams.filter((s) => s.codec_type === 'video').map((s) => Number(s.nb_read_frames ?? 0));
}

function finished(dir: string, ext = 'mkv'): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(`.${ext}`))
    .sort()
    .map((f) => join(dir, f));
}

function video(width: number, height: number): { width: number; height: number; fps: number; streamOptions: Record<string, string> } {
  return { width, height, fps: 30, streamOptions: { preset: 'ultrafast' } };
}

describe('ChunkedWriter', () => {
  it('rotates 100 times on a shared timeline: every track in every chunk, video starting on keyframes, counts and timestamps continuous', async () => {
    const dir = scratchDir('chunks');
    const writer = new ChunkedWriter('rot', dir, { cam0: video(96, 64), cam1: video(64, 48) }, { chunkLengthS: 0.2, sensorStreamConfigs: { imu: {} } });
    const durable: number[] = [];
    writer.on('chunk-durable', (c) => durable.push(c.seq));
    await writer.start();
    const a = rgbFrames(30, 96, 64);
    const b = rgbFrames(30, 64, 48);
    const n = 600;
    for (let i = 0; i < n; i++) {
      const ts = at(i);
      const fa = a.subarray((i % 30) * 96 * 64 * 3, ((i % 30) + 1) * 96 * 64 * 3);
      const fb = b.subarray((i % 30) * 64 * 48 * 3, ((i % 30) + 1) * 64 * 48 * 3);
      await Promise.all([writer.writeFrame('cam0', fa, ts), writer.writeFrame('cam1', fb, ts), writer.writeData('imu', { i }, ts)]);
    }
    const manifest = await writer.stop();
    const files = finished(dir);
    expect(files).toHaveLength(100);
    expect(durable).toHaveLength(100);
    expect(manifest.chunks.map((c) => c.status)).toEqual(Array(100).fill('durable'));
    const totals = [0, 0, 0];
    const last = [-1, -1, -1];
    for (const [k, file] of files.entries()) {
      const ps = packets(file);
      const entry = manifest.chunks[k]!;
      expect(streamsOf(file).map((s) => s.codec_name)).toEqual(['h264', 'h264', 'subrip']);
      for (const s of [0, 1, 2]) {
        const mine = ps.filter((p) => p.stream_index === s);
        expect(mine.length, `${file} stream ${s}`).toBe(entry.tracks[s]!.frames);
        if (s < 2) expect(mine[0]!.flags.startsWith('K'), `${file} stream ${s} starts on a keyframe`).toBe(true);
        const first = Number(mine[0]!.pts_time);
        if (last[s]! >= 0) {
          const gap = first - last[s]!;
          expect(gap, `${file} stream ${s} gap`).toBeGreaterThan(0);
          expect(gap, `${file} stream ${s} gap`).toBeLessThanOrEqual(1 / 30 + 0.0015);
        }
        last[s] = Number(mine.at(-1)!.pts_time);
        totals[s]! += mine.length;
      }
      // The manifest's absolute start + the file's timestamps = the input's.
      const origin = BigInt(entry.origin_ns);
      expect(origin).toBe(T0);
      expect(BigInt(entry.start_ns)).toBe(T0 + BigInt(k) * 200_000_000n);
    }
    expect(totals).toEqual([n, n, n]);
  });

  it('does not stall when one camera goes silent: chunks close on time, memory stays flat, stream-stalled says who and since when', async () => {
    const dir = scratchDir('silent');
    const writer = new ChunkedWriter('silent', dir, { cam0: video(160, 120), cam1: video(160, 120) }, { chunkLengthS: 5, stallMs: 2000 });
    const durable: { seq: number; at: number }[] = [];
    const stalled: { stream: string; sinceNs: bigint | null }[] = [];
    writer.on('chunk-durable', (c) => durable.push({ seq: c.seq, at: lastFrame }));
    writer.on('stream-stalled', (s) => stalled.push(s));
    await writer.start();
    const frames = rgbFrames(30, 160, 120);
    const size = 160 * 120 * 3;
    let lastFrame = 0;
    const rss: number[] = [];
    for (let i = 0; i < 60 * 30; i++) {
      const ts = at(i);
      const f = frames.subarray((i % 30) * size, (i % 30 + 1) * size);
      // cam1 stops after 2 s; cam0 goes on for 60 s of frames.
      await Promise.all([writer.writeFrame('cam0', f, ts), i < 60 ? writer.writeFrame('cam1', f, ts) : null]);
      lastFrame = i;
      if (i % 300 === 299) rss.push(process.memoryUsage().rss);
    }
    await new Promise((r) => setTimeout(r, 300));
    // Every chunk but the one in flight closed while frames came.
    expect(durable.map((d) => d.seq)).toEqual([...Array(11).keys()]);
    for (const d of durable) expect(d.at, `chunk ${d.seq} closed at frame ${d.at}`).toBeLessThan((d.seq + 1) * 150 + 2 * 30 + 30);
    expect(stalled).toEqual([{ stream: 'cam1', sinceNs: at(59), silentMs: expect.any(Number) }]);
    expect(Math.max(...rss) - Math.min(...rss)).toBeLessThan(64 << 20);
    const manifest = await writer.stop();
    expect(manifest.chunks).toHaveLength(12);
    let cam0 = 0;
    for (const file of finished(dir)) cam0 += decodedFrames(file)[0]!;
    expect(cam0).toBe(60 * 30);
    const firstChunk = decodedFrames(finished(dir)[0]!);
    expect(firstChunk).toEqual([150, 60]);
  });

  it('a camera that comes back gets a new chunk with its track (nothing it sends is lost)', async () => {
    const dir = scratchDir('resume');
    const writer = new ChunkedWriter('resume', dir, { cam0: video(96, 64), cam1: video(96, 64) }, { chunkLengthS: 10, stallMs: 500 });
    const events: string[] = [];
    writer.on('stream-stalled', (s) => events.push(`stalled ${s.stream}`));
    writer.on('stream-resumed', (s) => events.push(`resumed ${s.stream}`));
    await writer.start();
    const f = rgbFrames(1, 96, 64);
    let cam1 = 0;
    for (let i = 0; i < 150; i++) {
      const ts = at(i);
      const silent = i >= 30 && i < 90;
      await Promise.all([writer.writeFrame('cam0', f, ts), silent ? null : writer.writeFrame('cam1', f, ts)]);
      if (!silent) cam1 += 1;
    }
    const manifest = await writer.stop();
    expect(events).toEqual(['stalled cam1', 'resumed cam1']);
    expect(manifest.chunks).toHaveLength(2);
    const counts = finished(dir).map(decodedFrames);
    expect(counts[0]![0]! + counts[1]![0]!).toBe(150);
    expect(counts[0]![1]! + counts[1]![1]!).toBe(cam1);
    for (const file of finished(dir)) {
      const ps = packets(file);
      for (const s of [0, 1]) expect(ps.find((p) => p.stream_index === s)!.flags.startsWith('K')).toBe(true);
    }
  });

  it('records audio beside video: every chunk has both, the samples add up', async () => {
    const dir = scratchDir('audio');
    const writer = new ChunkedWriter(
      'av',
      dir,
      { cam: video(96, 64), mic: { kind: 'audio', sampleRate: 48_000, numChannels: 2, format: 'flt', codec: 'libopus' } },
      { chunkLengthS: 1 },
    );
    await writer.start();
    const f = rgbFrames(1, 96, 64);
    const block = sine(1600, 2);
    for (let i = 0; i < 90; i++) {
      await Promise.all([writer.writeFrame('cam', f, at(i)), writer.writeAudio('mic', block.subarray(0, 1600 * 2), at(i))]);
    }
    const manifest = await writer.stop();
    expect(manifest.chunks).toHaveLength(3);
    let seconds = 0;
    for (const file of finished(dir)) {
      expect(streamsOf(file).map((s) => s.codec_name)).toEqual(['h264', 'opus']);
      const audio = decodeAudio(file);
      seconds += audio.length / 2 / 48_000;
    }
    expect(seconds).toBeGreaterThan(2.9);
    expect(seconds).toBeLessThan(3.1);
  });

  it('writes fragmented MP4 chunks on request (each starting at 0 on a keyframe; the manifest has the absolute start)', async () => {
    const dir = scratchDir('mp4');
    const writer = new ChunkedWriter('m', dir, { cam: video(96, 64) }, { chunkLengthS: 1, container: 'mp4' });
    await writer.start();
    const f = rgbFrames(1, 96, 64);
    for (let i = 0; i < 75; i++) await writer.writeFrame('cam', f, at(i));
    const manifest = await writer.stop();
    const files = finished(dir, 'mp4');
    expect(files).toHaveLength(3);
    expect(files.map((file) => decodedFrames(file)[0])).toEqual([30, 30, 15]);
    for (const file of files) expect(packets(file)[0]).toMatchObject({ pts_time: '0.000000', flags: expect.stringMatching(/^K/) });
    expect(manifest.chunks.map((c) => BigInt(c.start_ns) - T0)).toEqual([0n, 1_000_000_000n, 2_000_000_000n]);
  });

  it('records a depth camera losslessly with ffv1 (gray16le, bit-exact) beside H.264 colour', async () => {
    const dir = scratchDir('ffv1');
    const writer = new ChunkedWriter(
      'oak',
      dir,
      { rgb: video(96, 64), depth: { width: 64, height: 48, fps: 30, codec: 'ffv1', inputPixelFormat: 'gray16le', outputPixelFormat: 'gray16le' } },
      { chunkLengthS: 1 },
    );
    await writer.start();
    const rgb = rgbFrames(1, 96, 64);
    const depths: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const depth = Buffer.alloc(64 * 48 * 2);
      for (let p = 0; p < 64 * 48; p++) depth.writeUInt16LE((p * 37 + i * 1009) & 0xffff, p * 2);
      depths.push(depth);
      await Promise.all([writer.writeFrame('rgb', rgb, at(i)), writer.writeFrame('depth', depth, at(i))]);
    }
    await writer.stop();
    const files = finished(dir);
    expect(files).toHaveLength(2);
    const decoded: Buffer[] = [];
    for (const file of files) {
      expect(streamsOf(file).map((s) => s.codec_name)).toEqual(['h264', 'ffv1']);
      decoded.push(run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:1', '-f', 'rawvideo', '-pix_fmt', 'gray16le', '-']));
    }
    expect(Buffer.concat(decoded).equals(Buffer.concat(depths))).toBe(true);
  });

  it('keeps 10 000 data payloads byte for byte (JSON, 100 KB, binary), and merges the chunks into one file', async () => {
    const dir = scratchDir('data');
    const writer = new ChunkedWriter('data', dir, {}, { chunkLengthS: 20, sensorStreamConfigs: { imu: { codec: 'json' }, blob: { codec: 'bytes' } } });
    await writer.start();
    const sent: Buffer[] = [];
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 10_000; i++) {
      const ts = T0 + BigInt(i) * 10_000_000n;
      let payload: Buffer;
      if (i % 1000 === 500) payload = Buffer.alloc(100_000, `{"big":${i}}`);
      else if (i % 7 === 3) payload = Buffer.from(Array.from({ length: 1 + (random() % 64) }, () => random() & 255));
      else payload = Buffer.from(JSON.stringify({ i, imu: [random() / 1e6, -1.5, 9.81], note: 'ü\n' }));
      sent.push(payload);
      await writer.writeData(i % 2 === 0 ? 'imu' : 'blob', payload, ts);
    }
    const manifest = await writer.stop();
    expect(manifest.chunks).toHaveLength(5);
    const got: Buffer[][] = [[], []];
    for (const file of finished(dir)) {
      const ps = packets(file);
      const data = dataPackets(file);
      ps.forEach((p, k) => got[p.stream_index]!.push(data[k]!.data));
    }
    expect(got[0]!.length + got[1]!.length).toBe(10_000);
    expect(got[0]).toEqual(sent.filter((_, i) => i % 2 === 0));
    expect(got[1]).toEqual(sent.filter((_, i) => i % 2 === 1));
    const merged = join(dir, 'all.mkv');
    const report = await mergeRecordingChunks(dir, merged);
    expect(report.tracks.map((t) => t.packets)).toEqual([5000, 5000]);
    expect(packets(merged)).toHaveLength(10_000);
  });

  it('passes a camera’s H.264 (B-frames, 1 s GOP) through: chunks change at keyframes, no packet lost', async () => {
    const stream = encodeStream({ codec: 'h264', frames: 150, width: 160, height: 120 });
    const dir = scratchDir('passthrough');
    const writer = new ChunkedWriter('cam', dir, { cam: { kind: 'packets', codec: 'h264', width: 160, height: 120 } }, { chunkLengthS: 1.5 });
    await writer.start();
    for (const f of stream.frames) {
      await writer.writePacket('cam', { data: f.data, keyframe: f.keyframe, ptsNs: T0 + f.ptsNs, dtsNs: T0 + f.dtsNs });
    }
    const manifest = await writer.stop();
    const files = finished(dir);
    expect(files.length).toBe(manifest.chunks.length);
    expect(files.length).toBeGreaterThanOrEqual(3);
    let total = 0;
    for (const file of files) {
      const ps = packets(file);
      expect(ps[0]!.flags.startsWith('K')).toBe(true);
      total += ps.length;
      expect(decodedFrames(file)[0]).toBe(ps.length);
    }
    expect(total).toBe(150);
  });

  // Under emulation a kill and restart take seconds, not tenths: 10 kills there.
  const kills = emulated ? 10 : 50;
  it(`survives SIGKILL at ${kills} random moments: closed chunks play, the chunk in flight is salvaged on restart within the bound`, async () => {
    const boundMs = 500;
    const losses: number[] = [];
    for (let k = 0; k < kills; k++) {
      const dir = scratchDir(`kill${k}`);
      const delay = 250 + ((k * 7919) % 1750);
      const written = await new Promise<{ last: number; at: number }>((resolve, reject) => {
        const proc = spawn(process.execPath, [child, dir, 'crash'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let last = -1;
        let stderr = '';
        let pending = '';
        proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        proc.stdout.on('data', (d: Buffer) => {
          pending += d.toString();
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (line.startsWith('READY')) setTimeout(() => proc.kill('SIGKILL'), delay);
            if (line.startsWith('W ')) last = Number(line.split(' ')[1]);
          }
        });
        proc.on('exit', (_, signal) => (signal === 'SIGKILL' ? resolve({ last, at: Date.now() }) : reject(new Error(`child exited: ${stderr}`))));
      });
      const closed = finished(dir);
      for (const file of closed) {
        const frames = decodedFrames(file);
        expect(frames, `${file} (run ${k})`).toEqual([15, 15]);
      }
      const restart = new ChunkedWriter('child', dir, { cam0: video(160, 120), cam1: video(96, 64) }, { chunkLengthS: 0.5, sensorStreamConfigs: { imu: {} } });
      const salvaged: string[] = [];
      restart.on('salvaged', (s) => salvaged.push(s.path));
      await restart.start();
      const manifest = await restart.stop();
      expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
      let recovered = 0;
      for (const file of finished(dir)) recovered += decodedFrames(file)[0] ?? 0;
      for (const file of salvaged) expect(decodedFrames(file).length).toBe(2);
      expect(manifest.chunks.every((c) => c.status === 'durable' || c.status === 'salvaged')).toBe(true);
      const lostMs = ((written.last + 1 - recovered) * 1000) / 30;
      losses.push(lostMs);
      expect(lostMs, `run ${k}: ${written.last + 1} frames written, ${recovered} recovered`).toBeLessThanOrEqual(boundMs);
    }
    console.log(`SIGKILL ×${kills}: frames lost per kill (ms) max ${Math.max(...losses).toFixed(0)}, median ${losses.sort((a, b) => a - b)[kills >> 1]!.toFixed(0)}`);
  }, emulated ? 600_000 : undefined);

  it('makes each chunk durable in order: fsync(file) < rename < fsync(directory) (strace)', () => {
    const dir = scratchDir('strace');
    const log = join(dir, 'strace.log');
    const out = spawnSync('strace', ['-f', '-y', '-o', log, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', process.execPath, child, dir, 'short'], {
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).toBe(0);
    const lines = readFileSync(log, 'utf8').split('\n');
    for (const seq of ['00000', '00001', '00002']) {
      const part = `${seq}.mkv.part`;
      const sync = lines.findIndex((l) => /fsync\(\d+<[^>]*\.mkv\.part>\)\s+= 0/.test(l) && l.includes(part));
      const rename = lines.findIndex((l) => /rename/.test(l) && l.includes(`${part}"`) && l.includes(`${seq}.mkv"`));
      const dirSync = lines.findIndex((l, i) => i > rename && new RegExp(`fsync\\(\\d+<${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>\\)\\s+= 0`).test(l));
      expect(sync, `fsync of ${part}`).toBeGreaterThanOrEqual(0);
      expect(rename, `rename of ${part}`).toBeGreaterThan(sync);
      expect(dirSync, `fsync of the directory after ${part}`).toBeGreaterThan(rename);
    }
  });

  it('fsyncs the chunk in flight every fsyncIntervalMs (bounding what a power loss takes)', () => {
    const dir = scratchDir('fsync-interval');
    const log = join(dir, 'strace.log');
    const out = spawnSync('strace', ['-f', '-y', '-o', log, '-e', 'trace=fsync', process.execPath, child, dir, 'paced'], {
      encoding: 'utf8',
      env: { ...process.env, FSYNC_INTERVAL_MS: '100' },
    });
    expect(out.status, out.stderr).toBe(0);
    const syncs = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => /fsync\(\d+<[^>]*00001\.mkv\.part>\)\s+= 0/.test(l));
    // 0.5 s in flight at one fsync per 100 ms (the watchdog's tick decides
    // the moment), plus the one at finalize: without the periodic ones, 1.
    expect(syncs.length).toBeGreaterThanOrEqual(3);
  });

  it('an fsync EIO fails the chunk with ERR_PROJ_DURABILITY and keeps its .part (never retried)', () => {
    const dir = scratchDir('eio');
    const lib = failFsyncShim(dir);
    const out = spawnSync(process.execPath, [child, dir, 'short'], {
      encoding: 'utf8',
      env: { ...process.env, LD_PRELOAD: lib, FAIL_FSYNC_SUFFIX: '.mkv.part' },
    });
    expect(out.status, out.stderr).toBe(0);
    const failed = out.stdout
      .split('\n')
      .filter((l) => l.startsWith('EVENT '))
      .map((l) => JSON.parse(l.slice(6)) as { kind: string; code: string | null; info: { part?: string } })
      .filter((e) => e.kind === 'chunk-failed');
    expect(failed).toHaveLength(3);
    expect(failed.every((e) => e.code === ErrorCode.DURABILITY)).toBe(true);
    for (const e of failed) expect(existsSync(e.info.part!)).toBe(true);
    expect(finished(dir)).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
    expect(manifest.chunks.map((c) => c.status)).toEqual(['failed', 'failed', 'failed']);
    expect(manifest.chunks[0]!.error).toMatch(/fsync/);
  });

  it('a failed periodic fsync fails its chunk for good, though a later fsync would succeed', () => {
    const dir = scratchDir('eio-once');
    const lib = failFsyncShim(dir);
    const out = spawnSync(process.execPath, [child, dir, 'paced'], {
      encoding: 'utf8',
      env: { ...process.env, LD_PRELOAD: lib, FAIL_FSYNC_SUFFIX: '00000.mkv.part', FAIL_FSYNC_ONCE: '1', FSYNC_INTERVAL_MS: '100' },
    });
    expect(out.status, out.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
    expect(manifest.chunks.map((c) => c.status)).toEqual(['failed', 'durable', 'durable']);
    expect(existsSync(join(dir, '00000.mkv.part'))).toBe(true);
    expect(finished(dir).map((p) => p.slice(dir.length + 1))).toEqual(['00001.mkv', '00002.mkv']);
  });

  it('says so when a write is stuck on its chunk (a stall the watchdog has not ended yet)', async () => {
    const dir = scratchDir('stuck');
    const writer = new ChunkedWriter('stuck', dir, { cam0: video(320, 240), cam1: video(320, 240) }, { stallMs: 30_000, maxQueuedBytes: 65_536 });
    const stall = new Promise<[string, number]>((resolve) => writer.once('stall', (message, seconds) => resolve([message, seconds])));
    await writer.start();
    // A busy picture (a key frame of it is tens of KB), so the queue fills.
    const busy = Uint8Array.from({ length: 320 * 240 * 3 }, (_, i) => (i * 7919) & 255);
    let written = 0;
    // cam1 never writes: the muxer waits for it, cam0's queue fills, its
    // writes wait; 30 s of stallMs is far off.
    const feeding = (async () => {
      for (let i = 0; i < 3000; i++) {
        await writer.writeFrame('cam0', busy, at(i));
        written += 1;
      }
    })().catch(() => undefined);
    const [message, seconds] = await stall;
    expect(seconds).toBeGreaterThanOrEqual(5);
    expect(message.length).toBeGreaterThan(0);
    expect(written).toBeLessThan(3000);
    // abort() frees the stuck write (it once waited on the encoder's thread,
    // itself stuck in that write).
    const aborting = performance.now();
    await writer.abort();
    await feeding;
    expect(performance.now() - aborting).toBeLessThan(5000);
  });

  it('retention deletes only the oldest finalized chunks; chunk names come from startChunkCallback', async () => {
    const dir = scratchDir('retain');
    const deleted: string[] = [];
    const writer = new ChunkedWriter('cam', dir, { cam0: video(64, 48) }, {
      chunkLengthS: 0.5,
      retention: { maxChunks: 3 },
      startChunkCallback: (name, startedAt, ext) => `${name}_${startedAt.getTime() - Number(T0 / 1_000_000n)}${ext}`,
    });
    writer.on('deleted', (d) => deleted.push(d.path));
    await writer.start();
    const f = rgbFrames(1, 64, 48);
    for (let i = 0; i < 150; i++) await writer.writeFrame('cam0', f, at(i));
    const manifest = await writer.stop();
    expect(finished(dir).map((p) => p.slice(dir.length + 1))).toEqual(['cam_3500.mkv', 'cam_4000.mkv', 'cam_4500.mkv']);
    expect(deleted.map((p) => p.slice(dir.length + 1))).toEqual(['cam_0.mkv', 'cam_500.mkv', 'cam_1000.mkv', 'cam_1500.mkv', 'cam_2000.mkv', 'cam_2500.mkv', 'cam_3000.mkv']);
    expect(manifest.chunks.filter((c) => c.status === 'deleted')).toHaveLength(7);
  });

  it('retention by bytes and by age deletes the oldest finalized chunks only', async () => {
    const f = rgbFrames(1, 64, 48);
    // Bytes: each chunk is about the same size; room for two and a half.
    const sized = scratchDir('retain-bytes');
    const probe = new ChunkedWriter('b', sized, { cam0: video(64, 48) }, { chunkLengthS: 0.5 });
    await probe.start();
    for (let i = 0; i < 15; i++) await probe.writeFrame('cam0', f, at(i));
    const one = (await probe.stop()).chunks[0]!.bytes;
    const dir = scratchDir('retain-bytes2');
    const byBytes = new ChunkedWriter('b', dir, { cam0: video(64, 48) }, { chunkLengthS: 0.5, retention: { maxBytes: Math.round(one * 2.5) } });
    await byBytes.start();
    for (let i = 0; i < 150; i++) await byBytes.writeFrame('cam0', f, at(i));
    const m = await byBytes.stop();
    const max = Math.round(one * 2.5);
    const kept = m.chunks.filter((c) => c.status === 'durable');
    const gone = m.chunks.filter((c) => c.status === 'deleted');
    const sum = kept.reduce((a, c) => a + c.bytes, 0);
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(sum).toBeLessThanOrEqual(max);
    // Only the oldest went, and one more would not have fitted.
    expect(Math.max(...gone.map((c) => c.seq))).toBeLessThan(Math.min(...kept.map((c) => c.seq)));
    expect(sum + gone.at(-1)!.bytes).toBeGreaterThan(max);
    expect(finished(dir)).toHaveLength(kept.length);
    // Age: ten seconds of frames ending now, 2 s chunks, keep 5 s.
    const aged = scratchDir('retain-age');
    const byAge = new ChunkedWriter('a', aged, { cam0: video(64, 48) }, { chunkLengthS: 2, retention: { maxAgeS: 5 } });
    await byAge.start();
    const now = BigInt(Date.now()) * 1_000_000n;
    const from = now - 10_000_000_000n;
    for (let i = 0; i < 300; i++) await byAge.writeFrame('cam0', f, from + (BigInt(i) * 1_000_000_000n) / 30n);
    const ma = await byAge.stop();
    // Chunks that ended 8 and 6 s ago go; those that ended 4, 2 and 0 s ago stay.
    expect(ma.chunks.map((c) => c.status)).toEqual(['deleted', 'deleted', 'durable', 'durable', 'durable']);
  });

  it('merges single-stream files into one multi-track file without ffmpeg', async () => {
    const dir = scratchDir('merge');
    const a = join(dir, 'a.mkv');
    const b = join(dir, 'b.mkv');
    run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30', '-frames:v', '60', '-c:v', 'libx264', a]);
    run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=15', '-frames:v', '30', '-c:v', 'libx264', '-g', '5', b]);
    const out = join(dir, 'merged.mkv');
    const report = await mergeStreamFiles([a, b], out);
    expect(report.tracks.map((t) => t.packets)).toEqual([60, 30]);
    expect(decodedFrames(out)).toEqual([60, 30]);
    expect(existsSync(`${out}.tmp`)).toBe(false);
  });

  it('refuses bad input with typed errors and loses nothing already accepted', async () => {
    const dir = scratchDir('bad');
    expect(() => new ChunkedWriter('x', dir, { cam: { width: 64, height: 48, codec: 'ffv1' } }, { container: 'mp4' })).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
    expect(() => new ChunkedWriter('x', dir, { cam: { width: 64, height: 48, codec: 'vp9' } })).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }));
    expect(() => new ChunkedWriter('x', dir, {}, { container: 'mp4', sensorStreamConfigs: { imu: {} } })).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
    const writer = new ChunkedWriter('x', dir, { cam: video(64, 48) }, { chunkLengthS: 1, sensorStreamConfigs: { imu: {} } });
    const f = rgbFrames(1, 64, 48);
    await expect(writer.writeFrame('cam', f, T0)).rejects.toMatchObject({ code: ErrorCode.NOT_OPEN });
    await writer.start();
    await writer.writeFrame('cam', f, T0 + FRAME_NS);
    await expect(writer.writeFrame('nope', f, T0)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(writer.writeFrame('cam', f.subarray(1), T0 + 2n * FRAME_NS)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(writer.writeFrame('cam', f, T0 + FRAME_NS)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(writer.writeFrame('cam', f, T0)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(writer.writeFrame('cam', f, Date.now())).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(writer.writeData('cam', 'x', T0 + FRAME_NS)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await writer.writeFrame('cam', f, T0 + 2n * FRAME_NS);
    expect(writer.isDataStream('imu')).toBe(true);
    expect(writer.isDataStream('cam')).toBe(false);
    const manifest = await writer.stop();
    expect(manifest.chunks[0]!.tracks[0]!.frames).toBe(2);
    await expect(writer.writeFrame('cam', f, T0 + 3n * FRAME_NS)).rejects.toMatchObject({ code: ErrorCode.SHUT_DOWN });
    expect(decodedFrames(finished(dir)[0]!)).toEqual([2]);
  });

  it('applies the drop policy per stream and counts every drop', async () => {
    const dir = scratchDir('drops');
    const writer = new ChunkedWriter('d', dir, { cam: video(320, 240) }, { maxEncoderQueueSize: 4, dropPolicy: 'drop-newest' });
    let dropped = 0;
    writer.on('dropped', (d) => (dropped += d.count));
    await writer.start();
    const f = rgbFrames(1, 320, 240);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => writer.writeFrame('cam', f, at(i))));
    const kept = results.filter(Boolean).length;
    expect(kept).toBeLessThan(40);
    expect(dropped).toBe(40 - kept);
    expect(writer.stats.streams[0]!.dropped).toBe(40 - kept);
    await writer.stop();
    expect(decodedFrames(finished(dir)[0]!)).toEqual([kept]);
    const oldest = new ChunkedWriter('o', scratchDir('oldest'), { cam: video(320, 240) }, { maxEncoderQueueSize: 4, dropPolicy: { cam: 'drop-oldest' } });
    await oldest.start();
    const kept2 = await Promise.all(Array.from({ length: 40 }, (_, i) => oldest.writeFrame('cam', f, at(i))));
    // The newest write always gets in; the ones dropped were waiting longest.
    expect(kept2.at(-1)).toBe(true);
    expect(kept2.filter((k) => !k).length).toBe(oldest.stats.streams[0]!.dropped);
    expect(kept2.filter((k) => !k).length).toBeGreaterThan(0);
    await oldest.stop();
    const block = new ChunkedWriter('b', scratchDir('block'), { cam: video(320, 240) }, { maxEncoderQueueSize: 2 });
    await block.start();
    const writes = Array.from({ length: 5 }, (_, i) => block.writeFrame('cam', f, at(i)));
    const settled = await Promise.allSettled(writes);
    expect(settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason.code)).toEqual([
      ErrorCode.QUEUE_FULL,
      ErrorCode.QUEUE_FULL,
      ErrorCode.QUEUE_FULL,
    ]);
    await block.stop();
  });
});

