// What the benchmark scripts share.
import { execFileSync } from 'node:child_process';

/** `--name value` from the command line, or `fallback`. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
}

/** node-av 6 targets Node 22; Node 20 lacks Promise.withResolvers. */
export function shimWithResolvers() {
  Promise.withResolvers ??= function withResolvers() {
    let resolve, reject;
    const promise = new Promise((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}

/** `frames` of 1080p30 `testsrc2` as H.264 with B-frames into `file`. */
export function makeH264(file, frames, preset) {
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-frames:v', String(frames)],
    ...['-c:v', 'libx264', '-preset', preset, '-bf', '2', '-g', '60', '-pix_fmt', 'yuv420p', file],
  ]);
}
