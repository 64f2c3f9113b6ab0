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
export { PicassoEngine } from './engine/engine.js';
export { type Callbacks, type GpuMat, type OutputCallback } from './engine/callbacks.js';
export { type EndOfStream, EvictionDecision, OutputMessage } from './engine/messages.js';
export {
  type AttributeKey,
  CallbackInvocationOrder,
  CodecSpec,
  ConditionalSpec,
  GeneralSpec,
  type GeneralSpecOptions,
  QueuePolicy,
  SourceSpec,
  type SourceSpecOptions,
  StreamResetPolicy,
  StreamResetReason,
} from './engine/specs.js';
export { type EngineStats, type Percentiles, type SourceCounters, type SourceStats } from './engine/stats.js';
export { type SendOptions } from './engine/worker.js';
export {
  Av1DgpuProps,
  DgpuPreset,
  EncoderConfig,
  EncoderProperties,
  H264DgpuProps,
  H264JetsonProps,
  H264Profile,
  HevcDgpuProps,
  HevcJetsonProps,
  HevcProfile,
  JetsonPresetLevel,
  JpegProps,
  Platform,
  PngProps,
  RateControl,
  TuningPreset,
} from '@proj/deepstream';
