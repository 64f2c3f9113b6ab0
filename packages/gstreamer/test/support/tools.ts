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
