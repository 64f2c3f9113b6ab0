/** Stable codes of the errors thrown by `@proj` packages. Tests and callers
 * should branch on `code`, never on the message. */
export const ErrorCode = Object.freeze({
  UNKNOWN_CODEC: 'ERR_PROJ_UNKNOWN_CODEC',
  GSTREAMER_INIT: 'ERR_PROJ_GSTREAMER_INIT',
  MISSING_ELEMENT: 'ERR_PROJ_MISSING_ELEMENT',
  INVALID_ARGUMENT: 'ERR_PROJ_INVALID_ARGUMENT',
  INVALID_DATA: 'ERR_PROJ_INVALID_DATA',
  NEEDS_KEYFRAME: 'ERR_PROJ_NEEDS_KEYFRAME',
  DTS_NOT_INCREASING: 'ERR_PROJ_DTS_NOT_INCREASING',
  PTS_BEFORE_DTS: 'ERR_PROJ_PTS_BEFORE_DTS',
  OUTPUT_OPEN: 'ERR_PROJ_OUTPUT_OPEN',
  FINISHED: 'ERR_PROJ_FINISHED',
  PIPELINE: 'ERR_PROJ_PIPELINE',
  /** A source that cannot be opened (missing file, no source for the URI); `SOURCE` for a source that fails while read. */
  SOURCE_OPEN: 'ERR_PROJ_SOURCE_OPEN',
  SOURCE: 'ERR_PROJ_SOURCE',
  /** A camera refused the credentials (not retried). */
  SOURCE_AUTH: 'ERR_PROJ_SOURCE_AUTH',
  TIMEOUT: 'ERR_PROJ_TIMEOUT',
  /** A wait ended by its `AbortSignal`. */
  ABORTED: 'ERR_PROJ_ABORTED',
  INVALID_TRANSFORMATION: 'ERR_PROJ_INVALID_TRANSFORMATION',
  OBJECT_NOT_FOUND: 'ERR_PROJ_OBJECT_NOT_FOUND',
  DUPLICATE_OBJECT_ID: 'ERR_PROJ_DUPLICATE_OBJECT_ID',
  UNKNOWN_NAME: 'ERR_PROJ_UNKNOWN_NAME',
  UNSUPPORTED_FORMAT: 'ERR_PROJ_UNSUPPORTED_FORMAT',
  POOL_EXHAUSTED: 'ERR_PROJ_POOL_EXHAUSTED',
  CUDA_UNAVAILABLE: 'ERR_PROJ_CUDA_UNAVAILABLE',
  CUDA: 'ERR_PROJ_CUDA',
  SLOT_OUT_OF_RANGE: 'ERR_PROJ_SLOT_OUT_OF_RANGE',
  BATCH_STATE: 'ERR_PROJ_BATCH_STATE',
  CONSUMED: 'ERR_PROJ_CONSUMED',
  SHUT_DOWN: 'ERR_PROJ_SHUT_DOWN',
  QUEUE_FULL: 'ERR_PROJ_QUEUE_FULL',
  /** `finish()` on a muxer that never accepted a frame: the file holds no video. */
  NO_FRAMES: 'ERR_PROJ_NO_FRAMES',
  /** Something we do not carry out, said up front (an FFmpeg-only option, a codec a container cannot hold, a container a Writable cannot take). */
  UNSUPPORTED: 'ERR_PROJ_UNSUPPORTED',
  /** A write before `open()`. */
  NOT_OPEN: 'ERR_PROJ_NOT_OPEN',
  /** A stream or metadata added after `open()`, or a second `open()`. */
  ALREADY_OPEN: 'ERR_PROJ_ALREADY_OPEN',
  /** The output failed while written (a server went away, a Writable's write failed). */
  OUTPUT: 'ERR_PROJ_OUTPUT',
  /** A file or directory operation failed (create, write, rename, delete). */
  IO: 'ERR_PROJ_IO',
  /** `fsync` failed: the data may not be on disk. Never retried into a false success; a chunk's `.part` is kept. */
  DURABILITY: 'ERR_PROJ_DURABILITY',
  /** A bug in @proj (a Rust panic caught at the boundary); the process goes on. */
  INTERNAL: 'ERR_PROJ_INTERNAL',
  /** The system refused a resource (a thread, memory). */
  RESOURCES: 'ERR_PROJ_RESOURCES',
  /** A pool larger than the memory available (checked before allocating). */
  OUT_OF_MEMORY: 'ERR_PROJ_OUT_OF_MEMORY',
  /** A label template with an unknown placeholder or a stray brace (found when the draw spec is built). */
  LABEL_TEMPLATE: 'ERR_PROJ_LABEL_TEMPLATE',
  /** A font family nobody registered, or bytes that are not a TTF/OTF font. */
  FONT: 'ERR_PROJ_FONT',
  // Thrown by the first import when the addon cannot load (a `ProjLoadError`
  // from @proj/native's loader, so before this table exists for the caller):
  /** A GStreamer library is not installed (`library` names it). */
  GSTREAMER_MISSING: 'ERR_PROJ_GSTREAMER_MISSING',
  /** A GLib library is not installed. */
  GLIB_MISSING: 'ERR_PROJ_GLIB_MISSING',
  /** The GStreamer here lacks a function the addon calls (`symbol`): older than 1.20. */
  GSTREAMER_TOO_OLD: 'ERR_PROJ_GSTREAMER_TOO_OLD',
  /** The glibc here is older than the one the addon was linked against. */
  GLIBC_TOO_OLD: 'ERR_PROJ_GLIBC_TOO_OLD',
  /** No prebuilt addon for this platform was installed. */
  NO_PREBUILT: 'ERR_PROJ_NO_PREBUILT',
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error raised by `@proj`, with a stable `code`. */
export class ProjError extends Error {
  override name = 'ProjError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A `RangeError` or `TypeError` for a bad argument, also carrying a code. */
export function argumentError(kind: 'range' | 'type', message: string): RangeError | TypeError {
  const error = kind === 'range' ? new RangeError(message) : new TypeError(message);
  return Object.assign(error, { code: ErrorCode.INVALID_ARGUMENT });
}

export function isProjError(error: unknown, code?: ErrorCode): error is ProjError {
  return error instanceof ProjError && (code === undefined || error.code === code);
}

const codes = new Set<string>(Object.values(ErrorCode));

/** Runs a call into the native addon, turning its coded errors into `ProjError`. */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw toProjError(error);
  }
}

export function toProjError(error: unknown): unknown {
  // Argument errors stay RangeError/TypeError (they carry a code already).
  if (error instanceof RangeError || error instanceof TypeError) return error;
  if (error instanceof Error && !(error instanceof ProjError)) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && codes.has(code)) {
      return new ProjError(code as ErrorCode, error.message, { cause: error });
    }
  }
  return error;
}
