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
    // SurfaceView.colorFormat: NvBufSurfaceColorFormat as DeepStream's
    // nvbufsurface.h numbers it (INVALID 0, GRAY8 1, YUV420 2, … RGBA 19).
    const { BufferGenerator, SurfaceView, VideoFormat } = await import('../src/index.js');
    const expected = { GRAY8: 1, I420: 2, NV12: 6, NV21: 8, UYVY: 10, RGBA: 19, BGRx: 24 };
    for (const format of VideoFormat.values()) {
      using view = SurfaceView.fromBuffer(new BufferGenerator(format, 16, 16, { poolSize: 1 }).tryAcquire());
      expect(view.colorFormat, format).toBe(expected[format]);
    }
  });
});

describe('one enum scheme', () => {
  it('every enum is a frozen runtime object with fromName, values() and snake_case values', async () => {
    const ds = await import('../src/index.js');
    const gst = await import('@proj/gstreamer');
    const enums = {
      VideoFormat: ds.VideoFormat, MemType: ds.MemType, Padding: ds.Padding, Interpolation: ds.Interpolation,
      ComputeMode: ds.ComputeMode, SavantIdMetaKind: ds.SavantIdMetaKind, Platform: ds.Platform,
      MetaClearPolicy: ds.MetaClearPolicy, SkipReason: ds.SkipReason, EvictionDecision: ds.EvictionDecision,
      H264StreamFormat: ds.H264StreamFormat, HevcStreamFormat: ds.HevcStreamFormat, JpegBackend: ds.JpegBackend,
      CudadecMemtype: ds.CudadecMemtype, VideoCodec: ds.VideoCodec, Codec: gst.Codec, FlowResult: gst.FlowResult,
      InvocationReason: gst.InvocationReason,
    };
    for (const [name, e] of Object.entries(enums)) {
      expect(Object.isFrozen(e), name).toBe(true);
      expect(Object.keys(e), name).toEqual(Object.keys(e).filter((k) => typeof (e as Record<string, unknown>)[k] === 'string'));
      for (const [key, value] of Object.entries(e) as [string, string][]) {
        if (name !== 'VideoFormat') expect(value, `${name}.${key}`).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
        expect(e.fromName(value), `${name}.fromName(${value})`).toBe(value);
        expect(e.fromName(value.toUpperCase().replaceAll('_', '-')), name).toBe(value);
      }
      expect(() => e.fromName('no-such-name'), name).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_PROJ_UNKNOWN_/) }));
      expect(() => e.fromName(42 as unknown as string), name).toThrow(expect.objectContaining({ code: ds.ErrorCode.INVALID_ARGUMENT }));
    }
    // The seed's own spellings parse too: keys of local enums, PascalCase names of FlowResult.
    expect(gst.FlowResult.NotLinked).toBe('not_linked');
    expect(gst.FlowResult.fromName('NotLinked')).toBe('not_linked');
    expect(ds.H264StreamFormat.fromName('byte-stream')).toBe('byte_stream');
  });

  it("has the seed's is… checks on SkipReason and EvictionDecision", async () => {
    const { EvictionDecision, SkipReason } = await import('../src/index.js');
    expect(SkipReason.isNoPayload('no_payload')).toBe(true);
    expect(SkipReason.isNoPayload('decode_failed')).toBe(false);
    expect(SkipReason.isWaitingForKeyframe(SkipReason.WAITING_FOR_KEYFRAME)).toBe(true);
    expect(SkipReason.isDecoderCreationFailed('decoder_creation_failed')).toBe(true);
    expect(EvictionDecision.isKeep(EvictionDecision.KEEP)).toBe(true);
    expect(EvictionDecision.isEvict(EvictionDecision.KEEP)).toBe(false);
  });
});
