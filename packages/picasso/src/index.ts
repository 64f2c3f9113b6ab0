export {
  BBoxSource,
  BoundingBoxDraw,
  type BoundingBoxDrawOptions,
  ColorDraw,
  DotDraw,
  LabelDraw,
  type LabelDrawOptions,
  type LabelSubject,
  LabelPosition,
  LabelPositionKind,
  type LabelPositionOptions,
  ObjectDraw,
  type ObjectDrawOptions,
  ObjectDrawSpec,
  PaddingDraw,
  type Rgba,
  SetDrawLabelKind,
} from './draw-spec.js';
export { Canvas, type Color, DrawList, type PaintOptions, type RenderOptions, SkiaContext, type TextOptions } from './draw-list.js';
export { drawObjects, type DrawObjectsOptions, drawOn, type DrawResult, fontFamilies, registerFont } from './draw.js';
export { ErrorCode, isProjError, ProjError } from '@proj/gstreamer';
