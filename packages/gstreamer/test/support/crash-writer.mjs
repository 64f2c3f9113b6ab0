// A recorder process for the crash test: pushes frames from a prepared file
// at real-time pace until it is killed, printing when each push returned.
//   node crash-writer.mjs <frames.bin> <output.mp4> <fps> [finishAfterFrames killAfterFinishUs]
// The codec is CRASH_CODEC (default h264).
// With the last two, it calls finish() and SIGKILLs itself while finish runs.
// frames.bin: repeated [u32 length][u64 pts][u64 dts][data].
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { Mp4Muxer } from '@proj/gstreamer';

const [file, output, fpsArg, finishAfterArg, killAfterUsArg] = process.argv.slice(2);
const fps = Number(fpsArg);
const finishAfter = finishAfterArg ? Number(finishAfterArg) : Infinity;
const bytes = readFileSync(file);
const frames = [];
for (let at = 0; at < bytes.length; ) {
  const length = bytes.readUInt32LE(at);
  const pts = bytes.readBigUInt64LE(at + 4);
  const dts = bytes.readBigUInt64LE(at + 12);
  frames.push({ data: bytes.subarray(at + 20, at + 20 + length), pts, dts });
  at += 20 + length;
}
const loopNs = (BigInt(frames.length) * 1_000_000_000n) / BigInt(fps);
const now = () => performance.timeOrigin + performance.now();

let muxer = new Mp4Muxer(process.env.CRASH_CODEC ?? 'h264', output, { fpsNum: fps });
process.stdout.write(`READY ${now()}\n`);
const start = now();
for (let i = 0; i < finishAfter; i++) {
  const frame = frames[i % frames.length];
  const offset = BigInt(Math.floor(i / frames.length)) * loopNs;
  muxer.push(frame.data, frame.pts + offset, frame.dts + offset);
  process.stdout.write(`PUSHED ${i} ${now()}\n`);
  const wait = start + ((i + 1) * 1000) / fps - now();
  if (wait > 0) await sleep(wait);
}
if (killAfterUsArg === 'drop') {
  muxer = undefined;
  globalThis.gc();
  await sleep(1000);
  process.exit(0);
}
process.stdout.write(`FINISHING ${now()}\n`);
const finishing = muxer.finish();
if (killAfterUsArg !== undefined) {
  // finish() runs on a worker thread; spin, then die in the middle of it.
  const until = now() + Number(killAfterUsArg) / 1000;
  while (now() < until);
  process.kill(process.pid, 'SIGKILL');
}
await finishing;
process.stdout.write(`FINISHED ${now()}\n`);
