// Back-pressure the Node way: a muxer whose output is stalled (a FIFO that
// nobody reads yet, as a hung disk would be) never blocks the event loop;
// push() returns false past the high-water mark, refuses frames past the
// hard limit with ERR_PROJ_QUEUE_FULL, and drained() resolves once the
// output moves again. Every accepted frame is in the file (ffprobe).
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Codec, ErrorCode, Mp4Muxer, isProjError } from '../src/index.js';
import { probeStream } from './support/probe.js';
import { encodeStream, scratchDir } from './support/streams.js';

describe('Mp4Muxer back-pressure', () => {
  it('never blocks the event loop on a stalled output, and loses nothing it accepted', async () => {
    const dir = scratchDir('backpressure');
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const copy = join(dir, 'out.mp4');
    // The reader, another process, opens the FIFO (so filesink can open its
    // end) and reads nothing until it gets a line on stdin.
    const reader = spawn('sh', ['-c', 'exec 3<"$1"; read go; cat <&3 >"$2"', 'reader', fifo, copy], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    const ended = new Promise((resolve) => reader.on('exit', resolve));

    const stream = encodeStream({ codec: Codec.JPEG, frames: 1, width: 640, height: 480, encoderArgs: ['-q:v', '2'] });
    const image = stream.frames[0]!.data;
    const muxer = new Mp4Muxer(Codec.JPEG, fifo, {
      fragmentDurationMs: 100,
      highWaterBytes: 1 << 20,
      maxQueuedBytes: 2 << 20,
    });

    // A timer that must keep ticking while frames are pushed.
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    let accepted = 0;
    let sawFalse = false;
    let refused: unknown;
    for (let i = 0; i < 10_000 && refused === undefined; i += 1) {
      try {
        if (!muxer.push(image, BigInt(accepted) * 33_333_333n)) sawFalse = true;
        accepted += 1;
      } catch (error) {
        refused = error;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(isProjError(refused, ErrorCode.QUEUE_FULL), String(refused)).toBe(true);
    expect(sawFalse).toBe(true);
    expect(muxer.stats.queuedBytes).toBeGreaterThanOrEqual(1 << 20);
    await expect(muxer.drained({ timeoutMs: 100 })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });

    const ticksBefore = ticks;
    const drained = muxer.drained({ timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ticks).toBeGreaterThan(ticksBefore); // waiting does not block the loop either
    reader.stdin.write('go\n');
    await drained;
    await muxer.write(image, BigInt(accepted) * 33_333_333n);
    accepted += 1;
    await muxer.finish();
    clearInterval(timer);
    expect(await ended).toBe(0);
    expect(probeStream(copy).nb_read_frames).toBe(String(accepted));
  });

  it('open() opens an output that blocks (a FIFO with no reader yet) off the JS thread', async () => {
    const dir = scratchDir('open-fifo');
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const copy = join(dir, 'out.mp4');
    const stream = encodeStream({ codec: Codec.JPEG, frames: 1, width: 320, height: 240 });
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    // new Mp4Muxer(…) here would block the event loop in open(2) until a
    // reader came; open() does it on a thread of its own.
    const opening = Mp4Muxer.open(Codec.JPEG, fifo, { fragmentDurationMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ticks).toBeGreaterThan(10);
    const reader = spawn('sh', ['-c', 'cat "$1" >"$2"', 'reader', fifo, copy], { stdio: 'ignore' });
    const ended = new Promise((resolve) => reader.on('exit', resolve));
    const muxer = await opening;
    clearInterval(timer);
    for (let i = 0; i < 5; i += 1) muxer.push(stream.frames[0]!.data, BigInt(i) * 33_333_333n);
    await muxer.finish();
    expect(await ended).toBe(0);
    expect(probeStream(copy).nb_read_frames).toBe('5');
    await expect(Mp4Muxer.open(Codec.JPEG, join(dir, 'no-such-dir', 'x.mp4'))).rejects.toMatchObject({ code: ErrorCode.OUTPUT_OPEN });
    await expect(Mp4Muxer.open('vp8', join(dir, 'x.mp4'))).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_CODEC });
  });
});
