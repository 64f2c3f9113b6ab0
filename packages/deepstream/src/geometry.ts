import type * as native from '@proj/native';

/** A box by centre, size and optional rotation in degrees (clockwise). */
export interface RBBox {
  xc: number;
  yc: number;
  width: number;
  height: number;
  angle?: number | undefined;
}

/** An axis-aligned box from its left-top corner. */
export function bboxFromLtwh(left: number, top: number, width: number, height: number): RBBox {
  return { xc: left + width / 2, yc: top + height / 2, width, height };
}

/** One step between the camera's picture and the one a frame describes. */
export type Transformation =
  /** The picture as it came. Always (and only) first. */
  | { kind: 'initial_size'; width: number; height: number }
  /** Scaled into `outer − padding`, then padded out to `outer`. */
  | { kind: 'letter_box'; outerWidth: number; outerHeight: number; left: number; top: number; right: number; bottom: number }
  /** Borders added. */
  | { kind: 'padding'; left: number; top: number; right: number; bottom: number }
  /** Borders removed. */
  | { kind: 'crop'; left: number; top: number; right: number; bottom: number };

/** What a transformation chain adds up to: sizes, and the map
 * `x' = scaleX·x + offsetX`, `y' = scaleY·y + offsetY` from initial to
 * current coordinates. */
export interface ChainGeometry {
  initialWidth: number;
  initialHeight: number;
  currentWidth: number;
  currentHeight: number;
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

export function toBBox(b: native.RbBox): RBBox {
  return b.angle === undefined || b.angle === null
    ? { xc: b.xc, yc: b.yc, width: b.width, height: b.height }
    : { xc: b.xc, yc: b.yc, width: b.width, height: b.height, angle: b.angle };
}

export function toTransformation(t: native.Transformation): Transformation {
  const sides = { left: t.left ?? 0, top: t.top ?? 0, right: t.right ?? 0, bottom: t.bottom ?? 0 };
  switch (t.kind) {
    case 'initial_size':
      return { kind: 'initial_size', width: t.width ?? 0, height: t.height ?? 0 };
    case 'letter_box':
      return { kind: 'letter_box', outerWidth: t.outerWidth ?? 0, outerHeight: t.outerHeight ?? 0, ...sides };
    case 'padding':
    case 'crop':
      return { kind: t.kind, ...sides };
    default:
      throw new Error(`unknown transformation kind ${t.kind}`);
  }
}
