// The MP4 must survive the recorder being killed at any moment: the file on
// disk opens in ffprobe and holds every frame pushed more than about one
// second before the kill.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { probeStream, topLevelBoxes } from './support/probe.js';
import { encodeStream, scratchDir } from './support/streams.js';

const FPS = 30;
const BOUND_MS = 1000;
const writer = fileURLToPath(new URL('./support/crash-writer.mjs', import.meta.url));

interface Run {
  killAt: number;
  pushTimes: number[];
  finishing?: number;
}

function writeFrames(file: string, frames: { data: Buffer; ptsNs: bigint; dtsNs: bigint }[]): void {
  const parts = frames.flatMap((f) => {
    const header = Buffer.alloc(20);
    header.writeUInt32LE(f.data.length, 0);
    header.writeBigUInt64LE(f.ptsNs, 4);
    header.writeBigUInt64LE(f.dtsNs, 12);
    return [header, f.data];
  });
  writeFileSync(file, Buffer.concat(parts));
}

/** Starts a writer and SIGKILLs it `delayMs` after it prints `trigger`
 * (or lets it kill itself, given `extra` arguments that say when). */
function killWriter(frames: string, output: string, trigger: string, delayMs: number, extra: string[] = [], codec = 'h264'): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, frames, output, String(FPS), ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CRASH_CODEC: codec },
    });
    const run: Run = { killAt: Number.NaN, pushTimes: [] };
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'PUSHED') run.pushTimes[Number(a)] = Number(b);
        if (kind === 'FINISHING') run.killAt = run.finishing = Number(a);
        if (kind === trigger) {
          setTimeout(() => {
            run.killAt = performance.timeOrigin + performance.now();
            child.kill('SIGKILL');
          }, delayMs);
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(run);
      else reject(new Error(`writer exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

/** Frames in the file; throws if ffprobe cannot open it. */
function framesOnDisk(output: string): number {
  if (!existsSync(output) || statSync(output).size === 0) return 0;
  // A file holding only its header (killed before the first fragment) has a
  // stream but no frame count.
  return Number(probeStream(output).nb_read_frames ?? 0);
}

describe('a killed recorder leaves a playable MP4', () => {
  let dir: string;
  let frames: string;

  beforeAll(() => {
    dir = scratchDir('crash');
    const stream = encodeStream({ codec: 'h264', frames: 60, fpsNum: FPS }, dir);
    frames = join(dir, 'frames.bin');
    writeFrames(frames, stream.frames);
  });

  /** Kills a writer `kills` times at random moments; checks every file and
   * returns how long before each kill its first lost frame was pushed. */
  async function killRuns(framesFile: string, kills: number, codec: string, seed: number): Promise<number[]> {
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const lags: number[] = [];
    for (let i = 0; i < kills; i++) {
      const output = join(dir, `killed-${codec}-${i}.mp4`);
      const run = await killWriter(framesFile, output, 'READY', random() * 3500, [], codec);
      const pushedBeforeBound = run.pushTimes.filter((t) => t <= run.killAt - BOUND_MS).length;
      const pushed = run.pushTimes.length;
      let onDisk: number;
      try {
        onDisk = framesOnDisk(output);
      } catch (error) {
        // Unreadable is acceptable only while nothing was due yet.
        expect(pushedBeforeBound, `${codec} run ${i}: ${String(error)}`).toBe(0);
        onDisk = 0;
      }
      expect(onDisk, `${codec} run ${i}: frames on disk vs pushed ${BOUND_MS} ms before the kill`).toBeGreaterThanOrEqual(pushedBeforeBound);
      expect(onDisk).toBeLessThanOrEqual(pushed);
      // How long before the kill the first lost frame was pushed.
      const firstLost = run.pushTimes[onDisk];
      lags.push(firstLost === undefined ? 0 : run.killAt - firstLost);
    }
    return lags;
  }

  it(`holds everything pushed ${BOUND_MS} ms before a SIGKILL at 24 random moments`, async () => {
    const lags = await killRuns(frames, 24, 'h264', 20261122);
    const worst = Math.max(...lags);
    console.log(`crash test: 24 kills, frames lost were pushed at most ${worst.toFixed(0)} ms before the kill (median ${lags.sort((a, b) => a - b)[12]!.toFixed(0)} ms)`);
    expect(worst).toBeLessThanOrEqual(BOUND_MS);
  });

  it.each(['hevc', 'av1', 'jpeg'] as const)(`holds everything pushed ${BOUND_MS} ms before a SIGKILL for %s too (4 kills)`, async (codec) => {
    const stream = encodeStream({ codec, frames: 30, fpsNum: FPS, width: 320, height: 240 }, dir);
    const file = join(dir, `frames-${codec}.bin`);
    writeFrames(file, stream.frames);
    const lags = await killRuns(file, 4, codec, 20261129);
    console.log(`crash test ${codec}: 4 kills, worst ${Math.max(...lags).toFixed(0)} ms`);
    expect(Math.max(...lags)).toBeLessThanOrEqual(BOUND_MS);
  });

  it('completes the file of a muxer garbage-collected without finish()', () => {
    const output = join(dir, 'dropped.mp4');
    const child = spawnSync(process.execPath, ['--expose-gc', writer, frames, output, '1000', '45', 'drop'], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    // All 45 frames, including the last fragment that only finishing writes.
    expect(framesOnDisk(output)).toBe(45);
    expect(topLevelBoxes(readFileSync(output)).at(-1)).toBe('mfra');
  });

  it('leaves a playable file when killed while finishing', async () => {
    for (const killAfterUs of [0, 100, 300, 1000, 3000]) {
      const output = join(dir, `finishing-${killAfterUs}.mp4`);
      const run = await killWriter(frames, output, 'never', 0, ['45', String(killAfterUs)]);
      const due = run.pushTimes.filter((t) => t <= run.killAt - BOUND_MS).length;
      expect(framesOnDisk(output)).toBeGreaterThanOrEqual(due);
    }
  });
});
