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

describe('seed values', () => {
  it('DstPadding.uniform, Platform, MetaClearPolicy and NonUniformBatch facts', async () => {
    const { DstPadding, ErrorCode, MetaClearPolicy, NonUniformBatch, Platform } = await import('../src/index.js');
    expect(DstPadding.uniform(8)).toEqual({ left: 8, top: 8, right: 8, bottom: 8 });
    expect(() => DstPadding.uniform(-1)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(Platform.fromName('DGPU')).toBe(Platform.DGPU);
    expect(Platform.values()).toEqual(['dgpu', 'jetson']);
    expect(MetaClearPolicy.fromName('Before')).toBe(MetaClearPolicy.BEFORE);
    expect(() => MetaClearPolicy.fromName('sometimes')).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }));
    const batch = new NonUniformBatch(0);
    expect([batch.gpuId, batch.numFilled]).toEqual([0, 0]);
  });
});
