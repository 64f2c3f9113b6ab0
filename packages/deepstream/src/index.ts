export { type Attribute, type AttributeValue, type Point } from './attribute.js';
export { bboxFromLtwh, type ChainGeometry, type RBBox, type Transformation } from './geometry.js';
export { VideoCodec } from './video-codec.js';
export {
  type FrameContent,
  type IdPolicy,
  type NewVideoObject,
  type Rational,
  type Ticks,
  type TranscodingMethod,
  VideoFrame,
  type VideoFrameInit,
  type VideoObject,
} from './video-frame.js';
export { ErrorCode, isProjError, ProjError } from '@proj/gstreamer';
export {
  type AcquireOptions,
  BufferGenerator,
  type DstPadding,
  type GeneratorOptions,
  getSavantIdMeta,
  getSurfaceInfo,
  NonUniformBatch,
  type Rect,
  type SavantId,
  setNumFilled,
  SharedBuffer,
  type SurfaceDescriptor,
  SurfaceBatch,
  SurfaceView,
  type TransformConfig,
  UniformBatchGenerator,
} from './buffers.js';
export { gpuArchitecture, gpuMemUsedMib, gpuPlatformTag, hasNvenc, initCuda, isJetsonKernel, jetsonModel } from './gpu.js';
export { ComputeMode, Interpolation, MemType, Padding, SavantIdMetaKind, VideoFormat } from './enums.js';
