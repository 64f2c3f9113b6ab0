// Wrong JS types never reach napi (whose own errors carry codes such as
// `StringExpected` and no ERR_PROJ_ code): each is a TypeError or
// RangeError with code ERR_PROJ_INVALID_ARGUMENT, thrown or rejected.
import { describe, expect, it } from 'vitest';

import {
  BufferGenerator,
  ErrorCode,
  FlexibleDecoder,
  FlexibleDecoderConfig,
  MemType,
  UniformBatchGenerator,
  VideoFormat,
  VideoFrame,
} from '../src/index.js';

const invalid = expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT });
const frameInit = { sourceId: 'cam', width: 4, height: 2 };

describe('wrong argument types', () => {
  it('are coded errors in VideoFrame', () => {
    expect(() => new VideoFrame({ ...frameInit, codec: 42 as never })).toThrow(invalid);
    expect(() => new VideoFrame({ ...frameInit, keyframe: 'yes' as never })).toThrow(invalid);
    const frame = new VideoFrame({ ...frameInit, codec: null, keyframe: null });
    expect(() => (frame.codec = 7 as never)).toThrow(invalid);
    expect(() => (frame.keyframe = 1 as never)).toThrow(invalid);
  });

  it('are coded errors in pools', async () => {
    expect(() => new BufferGenerator(VideoFormat.RGBA, 8, 8, { memType: 7 as never })).toThrow(invalid);
    expect(() => new BufferGenerator(VideoFormat.RGBA, 8, 8, null as never)).toThrow(invalid);
    const generator = new BufferGenerator(VideoFormat.RGBA, 8, 8);
    await expect(generator.acquire(null as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(generator.acquire({ timeoutMs: -1 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(generator.acquire({ signal: 'stop' as never })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    const src = generator.tryAcquire();
    await expect(generator.transform(src, undefined, null as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    const batches = new UniformBatchGenerator(VideoFormat.RGBA, 8, 8, 2);
    await expect(batches.acquireBatch(undefined, undefined, null as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('are coded errors in decoders', async () => {
    expect(() => new FlexibleDecoderConfig('cam', 0, 4).withMemType(7 as never)).toThrow(invalid);
    const decoder = new FlexibleDecoder(new FlexibleDecoderConfig('cam', 0, 4).withMemType(MemType.SYSTEM));
    await expect(decoder.sourceEos(42 as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await decoder.shutdown();
  });
});
