// Draws a Scene with @proj/picasso, so the golden tests can hold it
// against real Skia (skia-reference.ts) drawing the same scene.
import { BufferGenerator, SurfaceView, VideoFrame } from '@proj/deepstream';
import {
  BoundingBoxDraw,
  ColorDraw,
  DotDraw,
  LabelDraw,
  LabelPosition,
  ObjectDraw,
  ObjectDrawSpec,
  PaddingDraw,
  drawObjects,
  type DrawList,
} from '../../src/index.js';
import type { Rgba, Scene, SceneBox, SceneDraw } from './scene.js';

const color = (c: Rgba) => new ColorDraw(...c);
const padding = (p: readonly [number, number, number, number]) => new PaddingDraw(...p);

export function objectDraw(d: SceneDraw): ObjectDraw {
  const b = d.boundingBox;
  const l = d.label;
  return new ObjectDraw({
    boundingBox: b && new BoundingBoxDraw({
      borderColor: color(b.borderColor),
      backgroundColor: color(b.backgroundColor),
      thickness: b.thickness,
      padding: padding(b.padding),
    }),
    centralDot: d.centralDot && new DotDraw(color(d.centralDot.color), { radius: d.centralDot.radius }),
    label: l && new LabelDraw(color(l.fontColor), {
      backgroundColor: color(l.backgroundColor),
      borderColor: color(l.borderColor),
      fontScale: l.fontScale,
      thickness: l.thickness,
      position: new LabelPosition({ position: l.position.kind, marginX: l.position.marginX, marginY: l.position.marginY }),
      padding: padding(l.padding),
      format: l.format,
    }),
    blur: d.blur,
    bboxSource: d.bboxSource === 'track' ? 'tracking_box' : 'detection_box',
  });
}

const box = (b: SceneBox) => ({ xc: b.xc, yc: b.yc, width: b.width, height: b.height, angle: b.angle });

/** The scene as a frame and a spec: each object's label is a unique key
 * (its spec entry) and its draw label the scene's label, which is what
 * `{label}` prints. */
export function frameAndSpec(scene: Scene): { frame: VideoFrame; spec: ObjectDrawSpec } {
  const frame = new VideoFrame({ sourceId: scene.name, width: scene.width, height: scene.height });
  const spec = new ObjectDrawSpec();
  scene.objects.forEach((o, i) => {
    const key = `object-${i}`;
    frame.addObject({
      id: i + 1,
      namespace: o.namespace,
      label: key,
      drawLabel: o.label,
      detectionBox: box(o.box),
      trackBox: o.trackBox && box(o.trackBox),
      confidence: o.confidence,
      trackId: o.trackId,
    });
    spec.insert(o.namespace, key, objectDraw(o.draw));
  });
  return { frame, spec };
}

/** Draws `scene` on a system-memory RGBA buffer holding its background and returns the pixels. */
export async function drawSceneOurs(scene: Scene, overlay?: DrawList): Promise<Uint8Array> {
  const { frame, spec } = frameAndSpec(scene);
  const generator = new BufferGenerator('RGBA', scene.width, scene.height, { memType: 'system', poolSize: 1 });
  const buffer = await generator.acquire();
  try {
    const view = SurfaceView.fromBuffer(buffer);
    view.uploadSync(scene.background);
    await drawObjects(frame, buffer, spec, { overlay });
    return view.downloadSync();
  } finally {
    buffer.release();
  }
}
