// The TS enum tables and the native name tables are the same lists (the
// error codes are compared in the binding's Rust tests).
import * as native from '@proj/native';
import { describe, expect, it } from 'vitest';

import { Interpolation, MemType, VideoFormat } from '../src/index.js';

describe('enum tables', () => {
  it('match the native names', () => {
    const names = native.bufferNames();
    expect(new Set(VideoFormat.values())).toEqual(new Set(names.videoFormats));
    expect(new Set(MemType.values())).toEqual(new Set(names.memTypes));
    expect(new Set(Interpolation.values())).toEqual(new Set(names.interpolations));
    for (const name of names.interpolations) expect(Interpolation.fromName(name)).toBe(name);
  });
});
