import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';

const options: ExecFileSyncOptions = { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] };

/** Runs a tool we did not write (ffmpeg, ffprobe, gst-launch-1.0) and returns stdout. */
export function run(tool: string, args: string[]): Buffer {
  try {
    return execFileSync(tool, args, options) as Buffer;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`${tool} ${args.join(' ')} failed: ${stderr.slice(-2000)}`, { cause: error });
  }
}

export function runJson<T>(tool: string, args: string[]): T {
  return JSON.parse(run(tool, args).toString()) as T;
}

/** Set by scripts/arm64/run.sh when this Node runs under qemu-user (the
 * arm64 suites on an x86_64 machine): everything is several times slower,
 * and the host's tools build for the host's architecture. */
export const emulated = process.env.PROJ_EMULATED ?? null;

/** The C compiler that builds for this Node's architecture (a shared object
 * to LD_PRELOAD into it, say): under emulation, the cross compiler. */
export const cc = emulated && process.arch === 'arm64' ? 'aarch64-linux-gnu-gcc' : 'gcc';
