// `PicassoEngine`: one worker per source, created on a source's first
// frame with its spec (or the default, which drops frames).
import { argumentError, ErrorCode, openIterator, type OutputIterator, type OutputsOptions, ProjError, toProjError } from '@proj/gstreamer/internal';
import { type Rect, SharedBuffer, SurfaceView, VideoFrame } from '@proj/deepstream';
import { type Callbacks, callbackNames } from './callbacks.js';
import type { OutputMessage } from './messages.js';
import { GeneralSpec, SourceSpec } from './specs.js';
import type { EngineStats, SourceStats } from './stats.js';
import { type SendOptions, SourceWorker, type WorkerHost } from './worker.js';

/** Any throw as an Error with its `code` where it has one. */
function codedError(error: unknown): Error & { code?: string } {
  const e = toProjError(error);
  return e instanceof Error ? e : new ProjError(ErrorCode.INTERNAL, `a callback threw ${String(e)}`);
}

/**
 * Per-source frame processing: each source's frames are dropped, passed
 * through with their boxes mapped back (`bypass`), or placed into an
 * encoder's picture, drawn and encoded, as its `SourceSpec` says.
 *
 * Each source has a worker with its own bounded queue (`inflightQueueSize`),
 * encoder and picture pool: a source whose consumer stalls fills only its
 * own queue. Callbacks run on the JS thread; scaling, drawing and encoding
 * run off it.
 */
export class PicassoEngine implements AsyncDisposable {
  readonly general: GeneralSpec;
  readonly #callbacks: Callbacks;
  readonly #specs = new Map<string, SourceSpec>();
  readonly #workers = new Map<string, SourceWorker>();
  readonly #host: WorkerHost;
  readonly #statsTimer: NodeJS.Timeout | null = null;
  /** `outputs()` iterators, with the source each is for (null: all). */
  readonly #iterators = new Set<OutputIterator<OutputMessage>>();
  readonly #iteratorSource = new WeakMap<OutputIterator<OutputMessage>, string | null>();
  #shutdown: Promise<EngineStats> | null = null;

  constructor(general: GeneralSpec = new GeneralSpec(), callbacks: Callbacks = {}) {
    if (!(general instanceof GeneralSpec)) throw argumentError('type', 'PicassoEngine takes a GeneralSpec');
    if (callbacks === null || typeof callbacks !== 'object') throw argumentError('type', 'callbacks must be an object');
    for (const name of callbackNames) {
      if (callbacks[name] !== undefined && typeof callbacks[name] !== 'function') throw argumentError('type', `${name} must be a function`);
    }
    this.general = general;
    this.#callbacks = { ...callbacks };
    const engine = this;
    this.#host = {
      callbacks: this.#callbacks,
      idleTimeoutSecs: general.idleTimeoutSecs,
      iterators: (sourceId) => [...engine.#iterators].filter((it) => (engine.#iteratorSource.get(it) ?? sourceId) === sourceId),
      report: (sourceId, error, frame) => engine.#report(sourceId, error, frame),
      ended: (worker) => {
        if (engine.#workers.get(worker.sourceId) === worker) engine.#workers.delete(worker.sourceId);
      },
    };
    if (general.statsIntervalMs > 0 && this.#callbacks.onStats) {
      const onStats = this.#callbacks.onStats;
      this.#statsTimer = setInterval(() => {
        try {
          onStats(this.stats());
        } catch (error) {
          this.#report('', error, null);
        }
      }, general.statsIntervalMs);
      this.#statsTimer.unref();
    }
  }

  #report(sourceId: string, error: unknown, frame: VideoFrame | null): void {
    const e = codedError(error);
    const onError = this.#callbacks.onError;
    if (onError) {
      try {
        onError(sourceId, e, frame);
        return;
      } catch (thrown) {
        process.emitWarning(`picasso onError threw: ${String(thrown)}`, { code: 'PROJ_PICASSO_CALLBACK' });
      }
    }
    process.emitWarning(`picasso ${this.general.name} source ${JSON.stringify(sourceId)}: ${e.code} ${e.message}`, { code: 'PROJ_PICASSO_ERROR' });
  }

  #checkOpen(): void {
    if (this.#shutdown) throw new ProjError(ErrorCode.SHUT_DOWN, 'the PicassoEngine is shut down');
  }

  /** Sets or replaces a source's spec. A running source takes it after the
   * frames sent before this call; a new encoder config drains the old
   * encoder first (`onStreamReset(encoder_spec_changed)`). */
  setSourceSpec(sourceId: string, spec: SourceSpec): void {
    this.#checkOpen();
    if (typeof sourceId !== 'string') throw argumentError('type', 'sourceId must be a string');
    if (!(spec instanceof SourceSpec)) throw argumentError('type', 'spec must be a SourceSpec');
    this.#specs.set(sourceId, spec);
    this.#workers.get(sourceId)?.setSpec(spec);
  }

  /** Removes a source's spec and ends its worker after its queued frames
   * (its encoder drained, end-of-stream out); resolves when it has ended,
   * with its final stats (null if it had no worker). */
  async removeSourceSpec(sourceId: string): Promise<SourceStats | null> {
    if (typeof sourceId !== 'string') throw argumentError('type', 'sourceId must be a string');
    this.#specs.delete(sourceId);
    const worker = this.#workers.get(sourceId);
    if (!worker) return null;
    await worker.stop(false);
    return worker.stats();
  }

  /**
   * Queues a frame of `sourceId` with its picture (RGBA, or NV12 / I420
   * converted when placed; in system or CUDA memory; the size of the
   * frame's initial size); `srcRect` cuts
   * it first. Resolves `true` once the frame is in the source's queue
   * (waiting while it is full, per the spec's `queuePolicy`), `false` if
   * the policy dropped it. The engine owns `buffer` from now on: it is
   * released when the frame is done. A `SurfaceView` stays the caller's.
   */
  async sendFrame(sourceId: string, frame: VideoFrame, buffer: SharedBuffer | SurfaceView, srcRect?: Rect, options: SendOptions = {}): Promise<boolean> {
    this.#checkOpen();
    if (typeof sourceId !== 'string') throw argumentError('type', 'sourceId must be a string');
    if (!(frame instanceof VideoFrame)) throw argumentError('type', 'frame must be a VideoFrame');
    if (srcRect !== undefined && (srcRect === null || typeof srcRect !== 'object')) throw argumentError('type', 'srcRect must be { top, left, width, height }');
    let shared: SharedBuffer;
    let release: () => void;
    if (buffer instanceof SharedBuffer) {
      shared = buffer;
      release = () => buffer.release();
    } else if (buffer instanceof SurfaceView) {
      const own = buffer.sharedBuffer();
      shared = own;
      release = () => own.release();
    } else {
      throw argumentError('type', 'buffer must be a SharedBuffer or a SurfaceView');
    }
    let worker = this.#workers.get(sourceId);
    if (!worker || worker.stopping) {
      if (worker) await worker.done;
      this.#checkOpen();
      worker = this.#workers.get(sourceId) ?? this.#start(sourceId);
    }
    return await worker.send(frame, shared, buffer instanceof SharedBuffer, release, srcRect, options);
  }

  #start(sourceId: string): SourceWorker {
    const spec = this.#specs.get(sourceId) ?? new SourceSpec();
    const worker = new SourceWorker(this.#host, sourceId, spec, this.general.inflightQueueSize);
    this.#workers.set(sourceId, worker);
    return worker;
  }

  /** Ends a source's stream after the frames sent before: an encoding
   * source drains its encoder and sends end-of-stream to `onEncodedFrame`;
   * a bypassing one to `onBypassFrame`. */
  sendEos(sourceId: string): void {
    this.#checkOpen();
    if (typeof sourceId !== 'string') throw argumentError('type', 'sourceId must be a string');
    this.#workers.get(sourceId)?.sendEos();
  }

  /** Sources with a worker now. */
  get sources(): string[] {
    return [...this.#workers.keys()];
  }

  /** Counters, queue depths, timings and encoder backend of every running
   * source. */
  stats(): EngineStats {
    return { name: this.general.name, sources: [...this.#workers.values()].map((w) => w.stats()) };
  }

  /** The outputs (encoded and bypassed frames, end-of-stream) as an async
   * iterator, of one source or of all, from now until `shutdown()`. Its
   * reader holds the source as a Promise-returning callback does: a source's
   * next frame waits until the reader asks for the next output, so a slow
   * reader fills only its sources' queues. An iterator `maxQueued` behind
   * (default 1024) is ended with `ERR_PROJ_QUEUE_FULL`. */
  outputs(options: OutputsOptions & { sourceId?: string } = {}): AsyncIterableIterator<OutputMessage> {
    this.#checkOpen();
    const { sourceId, ...rest } = options;
    if (sourceId !== undefined && typeof sourceId !== 'string') throw argumentError('type', 'sourceId must be a string');
    const iterator = openIterator<OutputMessage>('picasso', rest, this.#iterators);
    this.#iterators.add(iterator);
    this.#iteratorSource.set(iterator, sourceId ?? null);
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<OutputMessage> {
    return this.outputs();
  }

  /** Ends every source: after their queued frames, drained (the
   * default), or at once (`{ immediate: true }`); resolves with their final
   * stats. Later calls reject with `ERR_PROJ_SHUT_DOWN`. */
  shutdown(options: { immediate?: boolean } = {}): Promise<EngineStats> {
    this.#shutdown ??= (async () => {
      if (this.#statsTimer) clearInterval(this.#statsTimer);
      const workers = [...this.#workers.values()];
      await Promise.all(workers.map((w) => w.stop(options.immediate === true)));
      for (const iterator of this.#iterators) iterator.end();
      this.#iterators.clear();
      return { name: this.general.name, sources: workers.map((w) => w.stats()) };
    })();
    return this.#shutdown;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
