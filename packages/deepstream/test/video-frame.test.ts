import { execFileSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { type AttributeValue, bboxFromLtwh, ErrorCode, VideoCodec, VideoFrame } from '../src/index.js';
import { codeOf } from './support/code-of.js';

const frame = (extra: Partial<ConstructorParameters<typeof VideoFrame>[0]> = {}) =>
  new VideoFrame({ sourceId: 'cam-1', width: 1920, height: 1080, ...extra });

describe('VideoFrame construction', () => {
  it('fills defaults and keeps what it is given', () => {
    const f = frame({ fps: '30000/1001', pts: 3_003_000n, dts: 0, codec: 'H265', keyframe: true });
    expect(f.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(f.fps).toEqual({ num: 30000, den: 1001 });
    expect(f.timeBase).toEqual({ num: 1, den: 1_000_000_000 });
    expect([f.pts, f.dts, f.duration]).toEqual([3_003_000n, 0n, null]);
    expect(f.codec).toBe(VideoCodec.HEVC);
    expect(f.keyframe).toBe(true);
    expect(f.content).toEqual({ kind: 'none' });
    expect(f.transcodingMethod).toBe('copy');
    expect(f.transformations).toEqual([{ kind: 'initial_size', width: 1920, height: 1080 }]);
    expect(frame().uuid > f.uuid).toBe(true);
  });

  it('rejects bad values with typed errors', () => {
    expect(() => frame({ width: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(codeOf(() => frame({ height: -1 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => frame({ width: 1.5 })).toThrow(RangeError);
    expect(() => frame({ pts: -1 })).toThrow(RangeError);
    expect(() => frame({ pts: 2 ** 60 })).toThrow(RangeError);
    expect(() => frame({ fps: '0/1' })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => frame({ fps: 'fast' })).toThrow(RangeError);
    expect(codeOf(() => frame({ codec: 'mpeg2' }))).toBe(ErrorCode.UNKNOWN_CODEC);
    expect(codeOf(() => frame({ sourceId: '' }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => new VideoFrame(null as never)).toThrow(TypeError);
    expect(() => frame({ transcodingMethod: 'zip' as never })).toThrow(RangeError);
  });

  it('keeps content and copies deeply', () => {
    const data = new Uint8Array([0, 0, 0, 1, 0x65]);
    const f = frame({ content: { kind: 'internal', data } });
    f.addObject({ namespace: 'det', label: 'car', detectionBox: bboxFromLtwh(0, 0, 10, 10) });
    const copy = f.copy();
    copy.clearObjects();
    copy.content = { kind: 'external', method: 's3', location: 'bucket/key' };
    expect(f.objectCount).toBe(1);
    expect(f.content).toEqual({ kind: 'internal', data });
    expect(copy.content).toEqual({ kind: 'external', method: 's3', location: 'bucket/key' });
    expect(copy.uuid).toBe(f.uuid);
  });
});

describe('objects and attributes', () => {
  it('assigns ids, honours the id policy and parents', () => {
    const f = frame();
    const box = bboxFromLtwh(10, 20, 30, 40);
    const person = f.addObject({ namespace: 'det', label: 'person', detectionBox: box });
    expect(person).toBe(0);
    expect(f.addObject({ namespace: 'det', label: 'person', detectionBox: box })).toBe(1);
    expect(codeOf(() => f.addObject({ id: 1, namespace: 'det', label: 'car', detectionBox: box }))).toBe(ErrorCode.DUPLICATE_OBJECT_ID);
    expect(f.addObject({ id: 1, namespace: 'det', label: 'car', detectionBox: box }, { idPolicy: 'generateNewId' })).toBe(2);
    const face = f.addObject({ id: 10, namespace: 'faces', label: 'face', detectionBox: box, parentId: person, trackId: 7, trackBox: box });
    expect(codeOf(() => f.addObject({ namespace: 'x', label: 'y', detectionBox: box, parentId: 99 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => f.addObject({ namespace: 'x', label: 'y', detectionBox: { ...box, width: -1 } }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => f.addObject({ namespace: 'x', label: 'y', detectionBox: box, confidence: 2 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(f.getObject(face)).toMatchObject({ parentId: person, trackId: 7, trackBox: box, detectionBox: box });
    f.deleteObject(person);
    expect(f.getObject(face).parentId).toBeUndefined();
    expect(codeOf(() => f.getObject(person))).toBe(ErrorCode.OBJECT_NOT_FOUND);
    expect(f.objects.map((o) => o.id)).toEqual([1, 2, 10]);
    const updated = { ...f.getObject(2), label: 'truck', confidence: 0.5 };
    f.updateObject(updated);
    expect(f.getObject(2)).toEqual(updated);
  });

  it('round-trips every kind of attribute value', () => {
    const values: AttributeValue[] = [
      { kind: 'none' },
      { kind: 'boolean', value: true, confidence: 0.5 },
      { kind: 'integer', value: -42 },
      { kind: 'float', value: 3.25 },
      { kind: 'string', value: 'red' },
      { kind: 'json', value: '{"a":1}' },
      { kind: 'bytes', value: new Uint8Array([1, 2, 3, 4, 5, 6]), dims: [2, 3] },
      { kind: 'booleans', value: [true, false] },
      { kind: 'integers', value: [1, 2, 3] },
      { kind: 'floats', value: [0.5, 1.5] },
      { kind: 'strings', value: ['a', 'b'] },
      { kind: 'bbox', value: { xc: 1, yc: 2, width: 3, height: 4, angle: 45 } },
      { kind: 'bboxes', value: [bboxFromLtwh(0, 0, 2, 2)] },
      { kind: 'point', value: { x: 1, y: 2 } },
      { kind: 'points', value: [{ x: 1, y: 2 }, { x: 3, y: 4 }] },
    ];
    const f = frame();
    const attribute = { namespace: 'model', name: 'everything', values, hint: 'v1', persistent: true, hidden: false };
    expect(f.setAttribute(attribute)).toBeNull();
    expect(f.getAttribute('model', 'everything')).toEqual(attribute);
    expect(f.setAttribute({ ...attribute, values: [] })).toEqual(attribute);
    expect(codeOf(() => f.setAttribute({ namespace: 'm', name: 'n', values: [{ kind: 'integer', value: 1, confidence: -0.1 }] }))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(codeOf(() => f.setAttribute({ namespace: 'm', name: 'n', values: [{ kind: 'bytes', value: new Uint8Array(5), dims: [2, 3] }] }))).toBe(
      ErrorCode.INVALID_ARGUMENT,
    );
    expect(() => f.setAttribute({ namespace: 'm', name: 'n', values: [{ kind: 'integer', value: 0.5 }] })).toThrow(RangeError);
  });

  it('drops temporary attributes from the frame and its objects', () => {
    const f = frame();
    const id = f.addObject({ namespace: 'det', label: 'car', detectionBox: bboxFromLtwh(0, 0, 1, 1) });
    f.setAttribute({ namespace: 'a', name: 'kept', values: [], persistent: true });
    f.setAttribute({ namespace: 'a', name: 'gone', values: [] });
    f.setObjectAttribute(id, { namespace: 'cls', name: 'color', values: [{ kind: 'string', value: 'red' }] });
    f.deleteTemporaryAttributes();
    expect(f.attributes.map((a) => a.name)).toEqual(['kept']);
    expect(f.getObject(id).attributes).toEqual([]);
  });
});

describe('the transformation chain', () => {
  it('moves the design example box from (400,300) to (400,400)', () => {
    const f = new VideoFrame({ sourceId: 'cam', width: 800, height: 600 });
    const id = f.addObject({ namespace: 'det', label: 'car', detectionBox: { xc: 400, yc: 300, width: 100, height: 50 } });
    f.addTransformation({ kind: 'letter_box', outerWidth: 800, outerHeight: 800, left: 0, top: 100, right: 0, bottom: 100 });
    expect(f.geometry()).toMatchObject({ currentWidth: 800, currentHeight: 800, scaleX: 1, scaleY: 1, offsetY: 100 });
    f.transformForward();
    expect(f.getObject(id).detectionBox).toEqual({ xc: 400, yc: 400, width: 100, height: 50 });
    expect([f.width, f.height]).toEqual([800, 800]);
  });

  it('rejects a step that makes no sense and keeps the chain', () => {
    const f = frame();
    expect(codeOf(() => f.addTransformation({ kind: 'crop', left: 1000, top: 0, right: 920, bottom: 0 }))).toBe(ErrorCode.INVALID_TRANSFORMATION);
    expect(codeOf(() => f.addTransformation({ kind: 'initial_size', width: 1, height: 1 }))).toBe(ErrorCode.INVALID_TRANSFORMATION);
    expect(() => f.addTransformation({ kind: 'padding', left: -1, top: 0, right: 0, bottom: 0 })).toThrow(RangeError);
    expect(f.transformations).toHaveLength(1);
  });

  it('maps a box where ffmpeg scale + pad puts its pixels, and back', () => {
    // A white 400x200 box at (600, 300) on a black 1920x1080 picture, letterboxed
    // by ffmpeg into 640x640 (scaled to 640x360, 140 px bars). Where ffmpeg
    // draws it is measured from the output pixels.
    const gray = execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'color=black:size=1920x1080:duration=0.04'],
      ...['-vf', 'drawbox=x=600:y=300:w=400:h=200:color=white:t=fill,scale=640:360:flags=bilinear,pad=640:640:0:140'],
      ...['-frames:v', '1', '-pix_fmt', 'gray', '-f', 'rawvideo', '-'],
    ]);
    let [left, top, right, bottom] = [640, 640, 0, 0];
    for (let y = 0; y < 640; y++) {
      for (let x = 0; x < 640; x++) {
        if ((gray[y * 640 + x] ?? 0) < 128) continue;
        [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x + 1), Math.max(bottom, y + 1)];
      }
    }
    const f = frame();
    const id = f.addObject({ namespace: 'det', label: 'box', detectionBox: bboxFromLtwh(600, 300, 400, 200) });
    f.addTransformation({ kind: 'letter_box', outerWidth: 640, outerHeight: 640, left: 0, top: 140, right: 0, bottom: 140 });
    const model = f.copy();
    f.transformForward();
    const b = f.getObject(id).detectionBox;
    expect(Math.abs(b.xc - b.width / 2 - left)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.xc + b.width / 2 - right)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.yc - b.height / 2 - top)).toBeLessThanOrEqual(1);
    expect(Math.abs(b.yc + b.height / 2 - bottom)).toBeLessThanOrEqual(1);
    // A detection at ffmpeg's box on the model input maps back to the original.
    model.clearObjects();
    model.addObject({ id, namespace: 'det', label: 'box', detectionBox: bboxFromLtwh(left, top, right - left, bottom - top) });
    model.transformBackward();
    const back = model.getObject(id).detectionBox;
    expect(Math.abs(back.xc - 800)).toBeLessThanOrEqual(3);
    expect(Math.abs(back.yc - 400)).toBeLessThanOrEqual(3);
    expect(Math.abs(back.width - 400)).toBeLessThanOrEqual(6);
    expect([model.width, model.height]).toEqual([1920, 1080]);
  });
});
