// No Rust panic reaches Node: a panic inside any native call (the call
// itself, a future, a worker, a thread, a queued decoder job) reaches JS as
// ERR_PROJ_INTERNAL, and the process and the object go on working. The
// addon's test hook (PROJ_TEST_PANIC) makes each named point panic once,
// in a child process so that this one is not affected.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../src/index.js';

const child = fileURLToPath(new URL('./fixtures/panic-child.cjs', import.meta.url));

function run(points: string[], log?: string): { status: number | null; seen: Record<string, string[]>; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'proj-panic-'));
  try {
    const result = spawnSync(process.execPath, [child], {
      env: { ...process.env, PROJ_TEST_PANIC: points.join(','), OUT_DIR: dir, PROJ_LOG: log ?? '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const seen = result.status === 0 ? (JSON.parse(result.stdout) as Record<string, string[]>) : {};
    return { status: result.status, seen, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const points = [
  'codec_from_name',
  'BufferGenerator::width',
  'VideoFrame::new',
  'BufferGenerator::acquire (future)',
  'BufferGenerator::transform (work)',
  'Mp4Muxer::stats',
  'Mp4Muxer::finish (thread)',
  'FlexibleDecoder::submit (job)',
];

/** What a call at `point` gives when it does not panic (a muxer finished
 * with no frame rejects with its own code: a typed error, not a crash). */
const afterwards = (point: string): string => (point.startsWith('Mp4Muxer::finish') ? ErrorCode.NO_FRAMES : 'ok');

describe('a panic in native code', () => {
  it('is ERR_PROJ_INTERNAL at every kind of entry point, and the next call works', () => {
    const { status, seen, stderr } = run(points, 'error');
    expect(status, stderr).toBe(0);
    // PROJ_LOG=error: each caught panic is logged through tracing.
    expect(stderr).toMatch(/ERROR .*internal error: PROJ_TEST_PANIC at codec_from_name/);
    for (const point of points) {
      expect(seen[point], point).toEqual([ErrorCode.INTERNAL, afterwards(point)]);
    }
    // The decoder whose job panicked is not shut down: the next frame decodes.
    expect(seen.decoded).toEqual(['2000']);
    expect(stderr).toContain('PROJ_TEST_PANIC at FlexibleDecoder::submit (job)');
  });

  it('without the hook, the same calls all succeed', () => {
    const { status, seen, stderr } = run([]);
    expect(status, stderr).toBe(0);
    expect(stderr).toBe(''); // logging is off by default
    for (const point of points) expect(seen[point], point).toEqual([afterwards(point), afterwards(point)]);
    expect(seen.decoded).toEqual(['1000', '2000']);
  });
});
