// A script that shuts its decoders down gracefully exits at once: the
// output, decoder-config and eviction callbacks are let go after the last
// output (before, the process stayed alive until the decoder objects were
// garbage-collected: over 30 s for this script).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./fixtures/exit-child.cjs', import.meta.url));

describe('a Node process with decoders', () => {
  it('exits as soon as its decoder and pool are shut down, with every output delivered', () => {
    const started = Date.now();
    const result = spawnSync(process.execPath, [child], { encoding: 'utf8', timeout: 20_000 });
    const took = Date.now() - started;
    expect(result.status, `${result.stderr} (signal ${result.signal})`).toBe(0);
    expect(result.stdout.trim()).toBe('4');
    expect(took).toBeLessThan(5000);
  });
});
