// The golden scenes: each rule of drawing (design §6) at its edges, as
// plain data both renderers draw.
import { backgroundPicture, type Rgba, type Scene, type SceneBox, type SceneDraw, type SceneObject } from './scene.js';
import { buildBenchScene } from './skia-reference.js';

const W = 320;
const H = 240;
const none: Rgba = [0, 0, 0, 0];

type LabelSpec = NonNullable<SceneDraw['label']>;

function label(over: Partial<LabelSpec> = {}): LabelSpec {
  return {
    fontColor: [255, 255, 255, 255],
    backgroundColor: [0, 0, 0, 180],
    borderColor: none,
    fontScale: 1,
    thickness: 1,
    position: { kind: 'TopLeftOutside', marginX: 0, marginY: -10 },
    padding: [0, 0, 0, 0],
    format: ['{label}'],
    ...over,
  };
}

function object(box: SceneBox, draw: Partial<SceneDraw>, extra: Partial<SceneObject> = {}): SceneObject {
  return {
    namespace: 'det',
    label: 'car',
    box,
    lines: draw.label ? ['car'] : [],
    draw: { blur: false, bboxSource: 'detection', ...draw },
    ...extra,
  };
}

function scene(name: string, objects: SceneObject[], width = W, height = H): Scene {
  return { name, width, height, background: backgroundPicture(width, height), objects };
}

const bb = (border: Rgba, thickness: number, background: Rgba = none, padding: [number, number, number, number] = [0, 0, 0, 0]) => ({
  boundingBox: { borderColor: border, backgroundColor: background, thickness, padding },
});

export function goldenScenes(): Scene[] {
  const scenes: Scene[] = [];

  // Every thickness, integer and fractional boxes.
  scenes.push(
    scene(
      'box-thickness',
      [0, 1, 2, 3, 4, 5, 8, 13].flatMap((t, i) => [
        object({ xc: 20 + i * 38, yc: 50, width: 30, height: 60 }, bb([255, 60, 0, 255], t, [0, 0, 255, 64])),
        object({ xc: 20.5 + i * 38, yc: 150.25, width: 29.3, height: 61.7 }, bb([0, 255, 120, 255], t, [255, 255, 0, 48])),
      ]),
    ),
  );

  // Padding grows the box before drawing; a huge thickness fills.
  scenes.push(
    scene('box-padding', [
      object({ xc: 50, yc: 60, width: 60, height: 50 }, bb([255, 0, 0, 255], 2, none, [4, 4, 4, 4])),
      object({ xc: 160, yc: 60, width: 60, height: 50 }, bb([255, 255, 0, 255], 2, [0, 0, 0, 90], [1, 3, 5, 7])),
      object({ xc: 260, yc: 60, width: 60, height: 50 }, bb([0, 255, 255, 255], 3, none, [10, 0, 0, 10])),
      object({ xc: 80, yc: 170, width: 20, height: 16 }, bb([255, 0, 255, 255], 40)),
      object({ xc: 220, yc: 170, width: 90, height: 60 }, bb([255, 255, 255, 200], 7, [40, 200, 40, 100], [2, 2, 2, 2])),
    ]),
  );

  // Rotated boxes are drawn rotated.
  scenes.push(
    scene(
      'rotated',
      [10, 30, 45, 90, -60, 180, 17.5, -5].map((angle, i) =>
        object(
          { xc: 45 + (i % 4) * 76, yc: 65 + Math.floor(i / 4) * 110, width: 56, height: 34, angle },
          { ...bb([255, 200, 0, 255], 1 + (i % 4), [0, 120, 255, 80]), centralDot: { color: [255, 0, 0, 255], radius: 3 } },
        ),
      ),
    ),
  );

  // Dots of every radius class.
  scenes.push(
    scene(
      'dots',
      [1, 2, 3, 5, 10, 20, 35].map((radius, i) =>
        object({ xc: 30 + i * 42, yc: 60 + (i % 2) * 100, width: 40, height: 40 }, {
          centralDot: { color: i % 2 ? [255, 255, 0, 255] : [255, 0, 128, 128], radius },
        }),
      ),
    ),
  );

  // Labels: each position, one to four template lines, padding, border, scales.
  const kinds = ['TopLeftOutside', 'TopLeftInside', 'Center'] as const;
  const formats = [
    ['{label}'],
    ['{label} #{track_id}', 'conf {confidence:.2f}'],
    ['{model}/{label}', '{confidence}', 'id {track_id}'],
    ['{label}', 'x {det_xc:.1f} y {det_yc:.1f}', '{det_width}x{det_height}', 'a {det_angle:.0f}'],
  ];
  const expected = (f: number) =>
    [['car'], ['car #42', 'conf 0.87'], ['det/car', '0.8734', 'id 42'], ['car', 'x 0.0 y 0.0', '0x0', 'a 0']][f]!;
  for (const [k, kind] of kinds.entries()) {
    scenes.push(
      scene(
        `labels-${kind}`,
        formats.map((format, f) => {
          const box = { xc: 45 + f * 78, yc: 130 + (f % 2) * 30, width: 60, height: 70 };
          const lines = expected(f)
            .join('\n')
            .replace('x 0.0 y 0.0', `x ${box.xc.toFixed(1)} y ${box.yc.toFixed(1)}`)
            .replace('0x0', `${box.width}.0x${box.height}.0`)
            .split('\n');
          return object(
            box,
            {
              ...bb([255, 255, 255, 255], 1),
              label: label({
                format,
                fontScale: [0.8, 1, 1.25, 1.5][(f + k) % 4]!,
                padding: [[0, 0, 0, 0], [2, 2, 2, 2], [4, 1, 6, 3], [3, 3, 3, 3]][f] as [number, number, number, number],
                borderColor: f % 2 ? [255, 80, 0, 255] : none,
                thickness: f === 3 ? 2 : 1,
                position: { kind, marginX: f === 2 ? 3 : 0, marginY: kind === 'TopLeftOutside' ? -2 : 2 },
              }),
            },
            { confidence: 0.8734, trackId: 42, lines },
          );
        }),
      ),
    );
  }

  // Large labels: 36 and 60 px text, coloured, with a border.
  scenes.push(
    scene('labels-large', [
      object(
        { xc: 90, yc: 150, width: 120, height: 60 },
        { ...bb([255, 255, 0, 255], 3), label: label({ fontScale: 3, fontColor: [255, 40, 40, 255], backgroundColor: [255, 255, 255, 220], borderColor: [0, 0, 0, 255], thickness: 2, padding: [4, 2, 4, 2] }) },
        { lines: ['car'] },
      ),
      object(
        { xc: 240, yc: 170, width: 100, height: 80 },
        { label: label({ fontScale: 5, fontColor: [255, 230, 0, 255], position: { kind: 'Center', marginX: 0, marginY: 0 } }) },
        { lines: ['Wq'], label: 'Wq' },
      ),
    ]),
  );

  // Blur: small (σ 2), medium, large, rotated, and under a box + label.
  scenes.push(
    scene('blur', [
      object({ xc: 30, yc: 40, width: 20, height: 20 }, { blur: true }),
      object({ xc: 110, yc: 60, width: 100, height: 60 }, { blur: true }),
      object({ xc: 240, yc: 80, width: 130, height: 150 }, { blur: true }),
      object({ xc: 80, yc: 180, width: 90, height: 50, angle: 25 }, { blur: true }),
      object({ xc: 200, yc: 200, width: 70.5, height: 40.5 }, { blur: true, ...bb([255, 0, 0, 255], 2), label: label() }, { lines: ['car'] }),
    ]),
  );

  // Alpha: 0 draws nothing; 1, 128, 254, 255; overlapping translucent fills.
  scenes.push(
    scene('alpha', [
      object({ xc: 40, yc: 50, width: 50, height: 50 }, bb([255, 0, 0, 0], 5, [0, 0, 255, 0])),
      object({ xc: 100, yc: 50, width: 50, height: 50 }, bb([255, 0, 0, 1], 5, [0, 0, 255, 1])),
      object({ xc: 160, yc: 50, width: 50, height: 50 }, bb([255, 0, 0, 128], 5, [0, 0, 255, 128])),
      object({ xc: 220, yc: 50, width: 50, height: 50 }, bb([255, 0, 0, 254], 5, [0, 0, 255, 254])),
      object({ xc: 280, yc: 50, width: 50, height: 50 }, bb([255, 0, 0, 255], 5, [0, 0, 255, 255])),
      object({ xc: 110, yc: 160, width: 120, height: 80 }, bb([0, 0, 0, 0], 0, [255, 255, 0, 90])),
      object({ xc: 170, yc: 180, width: 120, height: 80 }, bb([0, 0, 0, 0], 0, [0, 255, 255, 90])),
      object(
        { xc: 260, yc: 180, width: 40, height: 40 },
        { centralDot: { color: [255, 255, 255, 0], radius: 10 }, label: label({ backgroundColor: none, fontColor: [255, 255, 0, 128] }) },
        { lines: ['car'] },
      ),
    ]),
  );

  // Partly or wholly off the frame, and absurdly large.
  scenes.push(
    scene('off-frame', [
      object({ xc: 5, yc: 60, width: 60, height: 40 }, { ...bb([255, 0, 0, 255], 3, [255, 0, 0, 60]), label: label() }, { lines: ['car'] }),
      object({ xc: 160, yc: 4, width: 80, height: 40 }, { ...bb([0, 255, 0, 255], 2), label: label() }, { lines: ['car'] }),
      object({ xc: 318, yc: 120, width: 60, height: 60, angle: 30 }, { ...bb([255, 255, 0, 255], 2, [0, 0, 0, 80]), blur: true }),
      object({ xc: 160, yc: 238, width: 300, height: 20 }, { ...bb([0, 255, 255, 255], 4), centralDot: { color: [255, 255, 255, 255], radius: 8 } }),
      object({ xc: -500, yc: -500, width: 100, height: 100 }, { ...bb([255, 255, 255, 255], 5), label: label(), blur: true }, { lines: ['car'] }),
      object({ xc: 160, yc: 120, width: 1e6, height: 1e6 }, bb([255, 0, 255, 255], 9, [255, 0, 255, 20])),
    ]),
  );

  scenes.push(buildBenchScene('boxes50'), buildBenchScene('blur10'));
  return scenes;
}
