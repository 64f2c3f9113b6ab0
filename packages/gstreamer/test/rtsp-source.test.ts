// MediaSource against a real RTSP server on the loopback (gst-rtsp-server
// through Debian's GObject bindings: test/support/rtsp-server.py), not a
// mock: TCP and UDP; the server killed mid-stream and started again
// (reconnected within the backoff, timestamps keep increasing, nothing
// twice); a server that accepts and never answers (a timeout, then the
// reconnects give up with a typed error, never a hang); wrong credentials
// (a typed error at once); a reader that falls behind (packets dropped by
// the policy and counted, the rest starting at a keyframe).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ErrorCode, MediaSource, type SourcePacket } from '../src/index.js';

const script = join(import.meta.dirname, 'support', 'rtsp-server.py');
const servers = new Set<ChildProcess>();

/** Starts the server; resolves with its process and port once it listens. */
function startServer(args: string[] = [], port = 0): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('/usr/bin/python3', [script, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /ready (\d+)/.exec(out);
      if (ready) resolve({ child, port: Number(ready[1]) });
    });
    child.on('exit', (code) => reject(new Error(`rtsp-server.py exited (${code}): ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  servers.delete(child);
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

afterAll(async () => {
  await Promise.all([...servers].map(stop));
});

async function take(source: MediaSource, count: number): Promise<SourcePacket[]> {
  const packets: SourcePacket[] = [];
  for await (const p of source) {
    packets.push(p);
    if (packets.length >= count) break;
  }
  return packets;
}

function increasing(packets: SourcePacket[]): void {
  for (let i = 1; i < packets.length; i++) {
    expect(packets[i]!.ptsNs! > packets[i - 1]!.ptsNs!, `packet ${i}: ${packets[i - 1]!.ptsNs} then ${packets[i]!.ptsNs}`).toBe(true);
  }
}

describe('MediaSource over RTSP', () => {
  for (const transport of ['tcp', 'udp'] as const) {
    it(`reads a camera over ${transport.toUpperCase()}: H.264 access units from a keyframe, increasing timestamps`, async () => {
      const { child, port } = await startServer();
      const events: string[] = [];
      const source = new MediaSource(`rtsp://127.0.0.1:${port}/cam`, { transport });
      source.on('connected', () => events.push('connected'));
      const packets = await take(source, 50);
      source.close();
      await stop(child);
      expect(events).toEqual(['connected']);
      expect(packets[0]!.keyframe).toBe(true);
      expect(packets.every((p) => p.codec === 'h264' && p.width === 320 && p.height === 240)).toBe(true);
      expect(packets.filter((p) => p.keyframe).length).toBeGreaterThanOrEqual(2); // one a second at 25 fps
      increasing(packets);
      expect(source.stats()).toMatchObject({ reconnects: 0 });
    }, 30_000);
  }

  it('offers the Opus audio of a camera, marked as audio, beside its video', async () => {
    const { child, port } = await startServer(['--audio']);
    const source = new MediaSource(`rtsp://127.0.0.1:${port}/cam`);
    const packets: SourcePacket[] = [];
    for await (const p of source) {
      packets.push(p);
      if (packets.filter((q) => q.kind === 'audio').length >= 20 && packets.some((q) => q.kind === 'video')) break;
    }
    source.close();
    await stop(child);
    expect(new Set(packets.map((p) => `${p.kind}:${p.codec}`))).toEqual(new Set(['video:h264', 'audio:opus']));
    expect(source.streams().find((s) => s.kind === 'audio')).toMatchObject({ codec: 'opus', sampleRate: 48000 });
  }, 30_000);

  it('reconnects to a server killed mid-stream and started again: timestamps keep increasing, the first packet after says so', async () => {
    let { child, port } = await startServer();
    const source = new MediaSource(`rtsp://127.0.0.1:${port}/cam`, {
      stallTimeoutMs: 1000,
      // (The restarted server needs a moment to start its encoder.)
      connectTimeoutMs: 3000,
      reconnectBaseDelayMs: 200,
      reconnectMaxDelayMs: 1000,
    });
    const events: string[] = [];
    source.on('connected', () => events.push('connected'));
    source.on('disconnected', (reason) => events.push(`disconnected (${reason})`));
    source.on('reconnecting', (attempt, delayMs) => {
      events.push('reconnecting');
      expect(delayMs).toBeLessThanOrEqual(1000);
      expect(attempt).toBeGreaterThanOrEqual(1);
    });
    const before = await take(source, 25);
    await stop(child);
    const killedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    ({ child } = await startServer([], port));
    const after = await take(source, 25);
    const back = performance.now() - killedAt;
    source.close();
    await stop(child);
    const all = [...before, ...after];
    increasing(all);
    const marked = after.findIndex((p) => p.discontinuity);
    expect(marked).toBeGreaterThanOrEqual(0);
    expect(after[marked]!.keyframe).toBe(true);
    expect(events[0]).toBe('connected');
    expect(events.some((e) => e.startsWith('disconnected'))).toBe(true);
    expect(events).toContain('reconnecting');
    expect(events.at(-1)).toBe('connected');
    expect(source.stats().reconnects).toBeGreaterThanOrEqual(1);
    console.log(`reconnected ${(back / 1000).toFixed(1)} s after the kill (server down 1.5 s); events ${events.join(', ')}`);
    // Down 1.5 s, a stall noticed within 1 s, backoff at most 1 s a try.
    expect(back).toBeLessThan(8000);
  }, 60_000);

  it('reports a camera that comes back with another codec (streamchanged) and passes its packets on', async () => {
    let { child, port } = await startServer();
    const source = new MediaSource(`rtsp://127.0.0.1:${port}/cam`, { reconnectBaseDelayMs: 200, reconnectMaxDelayMs: 500 });
    const changes: Array<{ codec: string }> = [];
    source.on('streamchanged', (c) => changes.push(c));
    const before = await take(source, 10);
    await stop(child);
    ({ child } = await startServer(['--codec', 'h265'], port));
    const after: SourcePacket[] = [];
    for await (const p of source) {
      if (p.codec === 'hevc') after.push(p);
      if (after.length >= 10) break;
    }
    source.close();
    await stop(child);
    expect(before.every((p) => p.codec === 'h264')).toBe(true);
    expect(after[0]!.keyframe).toBe(true);
    expect(changes).toEqual([{ stream: 0, codec: 'hevc', width: 320, height: 240 }]);
    expect(source.streams()).toMatchObject([{ codec: 'hevc' }]);
  }, 60_000);

  it('gives up on a server that accepts and never answers: a timeout per try, then ERR_PROJ_SOURCE, never a hang', async () => {
    const sockets: Array<{ destroy(): void }> = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const source = new MediaSource(`rtsp://127.0.0.1:${port}/cam`, {
      connectTimeoutMs: 700,
      reconnectBaseDelayMs: 100,
      maxAttempts: 2,
    });
    const events: string[] = [];
    source.on('disconnected', (reason) => events.push(`disconnected: ${reason}`));
    source.on('reconnecting', (attempt) => events.push(`reconnecting ${attempt}`));
    const start = performance.now();
    await expect(take(source, 1)).rejects.toMatchObject({ code: ErrorCode.SOURCE });
    const took = performance.now() - start;
    for (const s of sockets) s.destroy();
    silent.close();
    console.log(`silent server: gave up after ${(took / 1000).toFixed(1)} s; ${events.join(' | ')}`);
    expect(events.filter((e) => e.startsWith('disconnected'))).toHaveLength(3);
    expect(events.filter((e) => e.startsWith('reconnecting'))).toHaveLength(2);
    expect(took).toBeLessThan(10_000);
    expect(source.stats().lastError).toMatch(/./);
  }, 30_000);

  it('refuses wrong credentials with ERR_PROJ_SOURCE_AUTH at once, and reads with the right ones', async () => {
    const { child, port } = await startServer(['--user', 'cam', '--password', 'secret']);
    const wrong = new MediaSource(`rtsp://127.0.0.1:${port}/cam`, { user: 'cam', password: 'nope' });
    await expect(take(wrong, 1)).rejects.toMatchObject({ code: ErrorCode.SOURCE_AUTH });
    const right = new MediaSource(`rtsp://cam:secret@127.0.0.1:${port}/cam`);
    const packets = await take(right, 10);
    right.close();
    await stop(child);
    expect(packets).toHaveLength(10);
  }, 30_000);

  // 15 s in CI; PROJ_SOAK_SECONDS=60 for the full minute.
  const soak = Number(process.env.PROJ_SOAK_SECONDS ?? 15);
  it(`keeps 16 cameras at the rate the server sends for ${soak} s: every count within 1 % of the others, memory flat`, async () => {
    const { child, port } = await startServer();
    const sources = Array.from({ length: 16 }, () => new MediaSource(`rtsp://127.0.0.1:${port}/cam`));
    const reading = sources.map(async (source) => {
      for await (const p of source) void p;
    });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // connected, warm
    const at = () => ({ counts: sources.map((s) => s.stats().packets), rss: process.memoryUsage().rss, time: performance.now() });
    const first = at();
    await new Promise((resolve) => setTimeout(resolve, soak * 1000));
    const last = at();
    for (const s of sources) s.close();
    await Promise.allSettled(reading);
    await stop(child);
    const seconds = (last.time - first.time) / 1000;
    const counts = last.counts.map((n, i) => n - first.counts[i]!);
    const sorted = [...counts].sort((a, b) => a - b);
    const median = sorted[8]!;
    const growth = (last.rss - first.rss) / 1e6;
    console.log(`16 cameras over ${seconds.toFixed(1)} s: packets ${sorted[0]}–${sorted[15]} (median ${median}, ${(median / seconds).toFixed(1)}/s at 25 fps sent); RSS ${growth.toFixed(1)} MB`);
    for (const n of counts) expect(Math.abs(n - median)).toBeLessThanOrEqual(Math.ceil(median * 0.01));
    // What the server sends: 25 a second (its own clock; within 3 %).
    expect(median / seconds).toBeGreaterThan(25 * 0.97);
    expect(median / seconds).toBeLessThan(25 * 1.03);
    expect(sources.every((s) => s.stats().droppedOldest === 0 && s.stats().reconnects === 0)).toBe(true);
    // The rates over the last window: 25 packets a second, some kbit/s.
    expect(Math.abs(sources[0]!.stats().packetRate - 25)).toBeLessThan(2);
    expect(sources[0]!.stats().bitRate).toBeGreaterThan(10_000);
    expect(growth).toBeLessThan(32);
  }, 60_000 + soak * 1000);

  it('drops by its policy when the reader falls behind, counts it, and resumes at a keyframe', async () => {
    const { child, port } = await startServer();
    const source = new MediaSource(`rtsp://127.0.0.1:${port}/cam`, { maxQueued: 10 });
    const first = await take(source, 1);
    // Not read for 2 s: about 50 packets come, 10 fit.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const stats = source.stats();
    const next = (await source.read(10))!;
    source.close();
    await stop(child);
    expect(first).toHaveLength(1);
    expect(stats.droppedOldest).toBeGreaterThan(20);
    expect(next[0]!.keyframe).toBe(true);
    increasing(next);
    const newest = new MediaSource(`rtsp://127.0.0.1:1/none`, { dropPolicy: 'newest', maxAttempts: 0, connectTimeoutMs: 300 });
    await expect(take(newest, 1)).rejects.toMatchObject({ code: ErrorCode.SOURCE });
    expect(() => new MediaSource('rtsp://127.0.0.1:1/x', { dropPolicy: 'sideways' as never })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
  }, 30_000);
});
