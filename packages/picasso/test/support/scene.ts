/**
 * A drawing scene as plain data, so the same scene can be drawn by
 * `@proj/picasso` and by real Skia (`@napi-rs/canvas`, skia-reference.ts)
 * following the reference implementation's rules (savant-rs picasso
 * `skia/{bbox,dot,label,blur,object}.rs`).
 */
export type Rgba = [number, number, number, number];

export interface SceneBox {
  xc: number;
  yc: number;
  width: number;
  height: number;
  /** Degrees, clockwise on screen (Skia's `rotate`), like `RBBox.angle`. */
  angle?: number;
}

export interface SceneObject {
  namespace: string;
  label: string;
  box: SceneBox;
  trackBox?: SceneBox;
  confidence?: number;
  trackId?: number;
  /**
   * The label's lines already expanded from its template (the test says
   * what each template must give); Skia's side draws exactly these.
   */
  lines: string[];
  draw: SceneDraw;
}

export interface SceneDraw {
  boundingBox?: {
    borderColor: Rgba;
    backgroundColor: Rgba;
    thickness: number;
    /** left, top, right, bottom */
    padding: [number, number, number, number];
  };
  centralDot?: { color: Rgba; radius: number };
  label?: {
    fontColor: Rgba;
    backgroundColor: Rgba;
    borderColor: Rgba;
    fontScale: number;
    thickness: number;
    position: { kind: 'TopLeftInside' | 'TopLeftOutside' | 'Center'; marginX: number; marginY: number };
    padding: [number, number, number, number];
    format: string[];
  };
  blur: boolean;
  bboxSource: 'detection' | 'track';
}

export interface Scene {
  name: string;
  width: number;
  height: number;
  /** Opaque RGBA, width × height × 4 bytes, row after row, no padding. */
  background: Uint8Array;
  /** Drawn in this order. */
  objects: SceneObject[];
}

/** A deterministic opaque picture: a gradient with a checker, like the facts file's bench. */
export function backgroundPicture(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const checker = ((x >> 5) + (y >> 5)) & 1 ? 40 : 0;
      out[i] = (x * 255) / Math.max(1, width - 1) * 0.7 + checker;
      out[i + 1] = (y * 255) / Math.max(1, height - 1) * 0.7 + checker;
      out[i + 2] = 128 + checker;
      out[i + 3] = 255;
    }
  }
  return out;
}
