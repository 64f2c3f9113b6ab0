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
  type WaitOptions,
  BufferGenerator,
  DstPadding,
  type GeneratorOptions,
  getSavantIdMeta,
  getSurfaceInfo,
  NonUniformBatch,
  type Rect,
  type SavantId,
  setNumFilled,
  SharedBuffer,
  type SurfaceInfo,
  SurfaceBatch,
  SurfaceView,
  type TransformConfig,
  UniformBatchGenerator,
} from './buffers.js';
export { gpuArchitecture, gpuMemUsedMib, gpuPlatformTag, hasNvenc, initCuda, isJetsonKernel, jetsonModel } from './gpu.js';
export { ComputeMode, Interpolation, MemType, MetaClearPolicy, Padding, Platform, SavantIdMetaKind, VideoFormat } from './enums.js';
export {
  Av1DecoderConfig,
  CudadecMemtype,
  DecoderConfig,
  type DecoderConfigCallback,
  FlexibleDecoderConfig,
  FlexibleDecoderPoolConfig,
  H264DecoderConfig,
  H264StreamFormat,
  HevcDecoderConfig,
  HevcStreamFormat,
  JpegBackend,
  JpegDecoderConfig,
  PngDecoderConfig,
  RawRgbaDecoderConfig,
  RawRgbDecoderConfig,
  Vp8DecoderConfig,
  Vp9DecoderConfig,
} from './decoder-config.js';
export {
  type DecodedFrame,
  type DecoderParameters,
  ErrorOutput,
  EventOutput,
  type EvictionCallback,
  EvictionDecision,
  FlexibleDecoder,
  FlexibleDecoderOutput,
  FlexibleDecoderPool,
  FrameOutput,
  OrphanFrameOutput,
  ParameterChangeOutput,
  type ResultCallback,
  SealedDelivery,
  SkippedOutput,
  SkipReason,
  SourceEosOutput,
} from './decoders.js';
