export {
  type AudioStreamConfig,
  type ChunkedWriterEvents,
  type ChunkedWriterOptions,
  type ChunkedWriterStats,
  type ChunkInfo,
  ChunkedWriter,
  type DataStreamConfig,
  type DropPolicy,
  type ManifestChunk,
  type MergeReport,
  mergeRecordingChunks,
  mergeStreamFiles,
  type PacketStreamConfig,
  type RecordingManifest,
  type Timestamp,
  type VideoStreamConfig,
} from './chunked-writer.js';
export { Codec } from './codec.js';
export { ErrorCode, isProjError, ProjError } from './errors.js';
export { FlowResult, InvocationReason } from './flow.js';
export {
  MediaSource,
  type MediaSourceEvents,
  type MediaSourceOptions,
  type MediaSourceStats,
  type SourcePacket,
  type SourceStream,
} from './media-source.js';
export { Mp4Muxer, type Mp4MuxerOptions, type Mp4MuxerStats } from './mp4-muxer.js';
export {
  type AudioStreamOptions,
  type CodecConfig,
  type PacketInput,
  type PacketStreamInfo,
  type PoolBuffer,
  StreamingMediaEncoder,
  type StreamingMediaEncoderEvents,
  type StreamingMediaEncoderOptions,
  type StreamingEncoderStats,
  type VideoStreamOptions,
  type WritableLike,
} from './streaming-media-encoder.js';
export type { Nanoseconds } from './timestamp.js';
