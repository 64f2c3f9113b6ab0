// The draw types: defaults, ranges, copies, enums, the spec's map, and
// label templates (every placeholder, precision, missing values, unknown
// placeholders as typed errors when the spec is built).
import { VideoFrame } from '@proj/deepstream';
import { describe, expect, test } from 'vitest';
import {
  BBoxSource,
  BoundingBoxDraw,
  ColorDraw,
  DotDraw,
  ErrorCode,
  LabelDraw,
  LabelPosition,
  LabelPositionKind,
  ObjectDraw,
  ObjectDrawSpec,
  PaddingDraw,
  SetDrawLabelKind,
} from '../src/index.js';

const white = new ColorDraw(255, 255, 255, 255);

describe('draw values', () => {
  test('defaults are the reference’s', () => {
    expect(new ColorDraw().rgba).toEqual([0, 255, 0, 255]);
    expect(ColorDraw.transparent().rgba).toEqual([0, 0, 0, 0]);
    expect(new ColorDraw(1, 2, 3, 4).bgra).toEqual([3, 2, 1, 4]);
    expect(PaddingDraw.defaultPadding().padding).toEqual([0, 0, 0, 0]);
    const b = new BoundingBoxDraw();
    expect([b.borderColor.alpha, b.backgroundColor.alpha, b.thickness, b.padding.padding]).toEqual([0, 0, 2, [0, 0, 0, 0]]);
    expect(new DotDraw(white).radius).toBe(2);
    const p = LabelPosition.defaultPosition();
    expect([p.position, p.marginX, p.marginY]).toEqual([LabelPositionKind.TopLeftOutside, 0, -10]);
    const l = new LabelDraw(white);
    expect([l.fontScale, l.thickness, l.format, l.backgroundColor.alpha, l.borderColor.alpha]).toEqual([1, 1, ['{label}'], 0, 0]);
    const o = new ObjectDraw();
    expect([o.boundingBox, o.centralDot, o.label, o.blur, o.bboxSource]).toEqual([null, null, null, false, BBoxSource.DetectionBox]);
  });

  test('ranges are checked with typed argument errors', () => {
    const range = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    range(() => new ColorDraw(256));
    range(() => new ColorDraw(-1));
    range(() => new ColorDraw(1.5));
    range(() => new PaddingDraw(-1));
    range(() => new BoundingBoxDraw({ thickness: 501 }));
    range(() => new DotDraw(white, { radius: 101 }));
    range(() => new LabelDraw(white, { fontScale: 0 }));
    range(() => new LabelDraw(white, { fontScale: Number.NaN }));
    range(() => new LabelDraw(white, { thickness: -1 }));
    range(() => new LabelDraw(white, { format: Array(65).fill('x') }));
    range(() => new BoundingBoxDraw({ borderColor: [255, 0, 0, 255] as never }));
    expect(() => new LabelPosition({ position: 'bottom' })).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }));
    expect(() => new ObjectDraw({ bboxSource: 'nope' })).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_NAME }));
  });

  test('copies are equal and separate; values are frozen', () => {
    const label = new LabelDraw(white, {
      backgroundColor: new ColorDraw(0, 0, 0, 128),
      fontScale: 1.5,
      position: new LabelPosition({ position: 'center', marginX: 3, marginY: 4 }),
      padding: new PaddingDraw(1, 2, 3, 4),
      format: ['{label}', '{confidence:.2f}'],
    });
    const draw = new ObjectDraw({ label, boundingBox: new BoundingBoxDraw({ thickness: 3 }), blur: true, bboxSource: 'tracking_box' });
    const copy = draw.copy();
    expect(copy).not.toBe(draw);
    expect(copy.label?.format).toEqual(['{label}', '{confidence:.2f}']);
    expect(copy.label?.position.position).toBe('center');
    expect(copy.bboxSource).toBe(BBoxSource.TrackingBox);
    expect(Object.isFrozen(draw)).toBe(true);
    expect(() => ((draw as { blur: boolean }).blur = false)).toThrow(TypeError);
  });

  test('SetDrawLabelKind', () => {
    const own = SetDrawLabelKind.own('person');
    const parent = SetDrawLabelKind.parent('crowd');
    expect([own.isOwnLabel(), own.isParentLabel(), own.getLabel()]).toEqual([true, false, 'person']);
    expect([parent.isOwnLabel(), parent.isParentLabel(), parent.getLabel()]).toEqual([false, true, 'crowd']);

    const frame = new VideoFrame({ sourceId: 's', width: 100, height: 100 });
    const box = { xc: 50, yc: 50, width: 10, height: 10 };
    const group = frame.addObject({ namespace: 'n', label: 'group', detectionBox: box });
    const member = frame.addObject({ namespace: 'n', label: 'member', detectionBox: box, parentId: group });
    expect(own.applyTo(frame, member)).toBe(member);
    expect(parent.applyTo(frame, member)).toBe(group);
    expect(frame.getObject(member).drawLabel).toBe('person');
    expect(frame.getObject(group).drawLabel).toBe('crowd');
    expect(new LabelDraw(white).lines(frame.getObject(group))).toEqual(['crowd']);
    expect(() => parent.applyTo(frame, group)).toThrow(expect.objectContaining({ code: ErrorCode.OBJECT_NOT_FOUND }));
    expect(() => own.applyTo(frame, 999)).toThrow(expect.objectContaining({ code: ErrorCode.OBJECT_NOT_FOUND }));
  });
});

describe('ObjectDrawSpec', () => {
  test('insert, lookup, len, isEmpty', () => {
    const spec = new ObjectDrawSpec();
    expect([spec.len(), spec.isEmpty()]).toEqual([0, true]);
    const a = new ObjectDraw({ blur: true });
    spec.insert('yolo', 'car', a);
    spec.insert('yolo', 'person', new ObjectDraw());
    spec.insert('face', 'car', new ObjectDraw());
    expect([spec.len(), spec.isEmpty()]).toEqual([3, false]);
    expect(spec.lookup('yolo', 'car')).toBe(a);
    expect(spec.lookup('yolo', 'truck')).toBeNull();
    expect(spec.lookup('Yolo', 'car')).toBeNull();
    spec.insert('yolo', 'car', new ObjectDraw());
    expect(spec.len()).toBe(3);
    expect(spec.native.len).toBe(3);
  });
});

describe('label templates', () => {
  const object = {
    namespace: 'yolo',
    label: 'person',
    detectionBox: { xc: 100, yc: 50.5, width: 40, height: 80, angle: 12.5 },
    confidence: 0.87654,
    trackId: 42,
    trackBox: { xc: 101, yc: 51, width: 41, height: 81 },
  };
  const lines = (format: string[], o: Parameters<LabelDraw['lines']>[0] = object) => new LabelDraw(white, { format }).lines(o);

  test('every placeholder', () => {
    expect(lines(['{label}', '{model}', '{confidence}', '{track_id}'])).toEqual(['person', 'yolo', '0.87654', '42']);
    expect(lines(['{det_xc} {det_yc} {det_width} {det_height} {det_angle}'])).toEqual(['100.0 50.5 40.0 80.0 12.5']);
    expect(lines(['{track_xc} {track_yc} {track_width} {track_height} {track_angle}'])).toEqual(['101.0 51.0 41.0 81.0 0.0']);
    expect(lines(['{model}/{label} #{track_id}: {confidence:.2f}'])).toEqual(['yolo/person #42: 0.88']);
    expect(lines(['{{{label}}}', 'plain text'])).toEqual(['{person}', 'plain text']);
  });

  test('precision', () => {
    expect(lines(['{confidence:.0f}', '{confidence:.1f}', '{confidence:.3f}', '{det_yc:.2f}'])).toEqual(['1', '0.9', '0.877', '50.50']);
  });

  test('the draw label wins over the label', () => {
    expect(lines(['{label}'], { ...object, drawLabel: 'VIP' })).toEqual(['VIP']);
  });

  test('missing values print as nothing', () => {
    const bare = { namespace: 'yolo', label: 'car', detectionBox: object.detectionBox };
    expect(lines(['[{confidence}]', '[{confidence:.2f}]', '[{track_id}]', '[{track_xc}]'], bare)).toEqual(['[]', '[]', '[]', '[]']);
  });

  test('unknown placeholders and bad specs are typed errors when the spec is built', () => {
    for (const bad of ['{score}', '{label', 'a } b', '{confidence:.2e}', '{label:.2f}', '{track_id:d}', '{det_xc:.99f}', '{}']) {
      expect(() => new LabelDraw(white, { format: ['ok', bad] }), bad).toThrow(
        expect.objectContaining({ code: ErrorCode.LABEL_TEMPLATE }),
      );
    }
  });
});
