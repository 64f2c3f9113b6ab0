import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Muxing and ffprobe checks spawn processes; the crash test kills writers.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: one file at a time keeps timings of the crash test honest.
    fileParallelism: false,
  },
});
