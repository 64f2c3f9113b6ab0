// One source's worker: takes its queue in order and does what its spec
// says with each frame (design §6): gate, stamp, drop / bypass / place +
// draw + encode. Sources never wait for each other: each has its own
// queue, encoder and picture pool, and the heavy steps run off the JS
// thread.
import * as native from '@proj/native';
import { ErrorCode, type OutputIterator, ProjError, toProjError } from '@proj/gstreamer/internal';
import { type EncodedFrame, type Rect, type SharedBuffer, ticksToNs, transformPlacement, type VideoFrame } from '@proj/deepstream';
import { Canvas } from '../draw-list.js';
import { ObjectDraw } from '../draw-spec.js';
import type { Callbacks, GpuMat } from './callbacks.js';
import { EncodeStage, type Pending } from './encode-stage.js';
import { EvictionDecision, OutputMessage } from './messages.js';
import { type FrameItem, type Item, SourceQueue } from './queue.js';
import { CallbackInvocationOrder, QueuePolicy, type SourceSpec, StreamResetPolicy, StreamResetReason } from './specs.js';
import { Samples, type SourceStats, zeroCounters } from './stats.js';

/** What a worker needs from its engine. */
export interface WorkerHost {
  readonly callbacks: Callbacks;
  /** The `outputs()` iterators this source's outputs go to. */
  iterators(sourceId: string): OutputIterator<OutputMessage>[];
  /** The engine's idle timeout, for specs without their own. */
  readonly idleTimeoutSecs: number;
  /** A frame's failure or a callback's throw. */
  report(sourceId: string, error: unknown, frame: VideoFrame | null): void;
  /** The worker ended (eviction, removal, shutdown). */
  ended(worker: SourceWorker): void;
}

export interface SendOptions {
  /** Where `queuePolicy` is `wait`: rejects with `ERR_PROJ_ABORTED`. */
  signal?: AbortSignal;
  /** Where `queuePolicy` is `wait`: rejects with `ERR_PROJ_TIMEOUT`
   * after this many ms without room. */
  timeoutMs?: number;
}

/** A wait for room longer than this is reported once per source. */
const STALL_WARNING_MS = 10_000;

function sameEncoding(stage: EncodeStage, spec: SourceSpec): boolean {
  const { encoder, transform } = spec.codec;
  if (encoder === null || transform === null) return false;
  if (stage.config === encoder && stage.transform === transform) return true;
  return JSON.stringify(stage.config.toNative()) === JSON.stringify(encoder.toNative()) && JSON.stringify(stage.transform) === JSON.stringify(transform);
}

export class SourceWorker {
  readonly sourceId: string;
  readonly #host: WorkerHost;
  #spec: SourceSpec;
  readonly #queue: SourceQueue;
  readonly counters = zeroCounters();
  readonly #samples = { transform: new Samples(), draw: new Samples(), encode: new Samples(), latency: new Samples() };
  #stage: EncodeStage | null = null;
  #working = 0;
  #lastPtsNs: bigint | null = null;
  /** Frames went to an encoder since the last end-of-stream. */
  #streamOpen = false;
  readonly #consumers = new Set<Promise<void>>();
  #stopping = false;
  /** Set by an immediate stop: nothing waits for the consumer any more. */
  #abandoned = false;
  #abandonNow: () => void = () => {};
  readonly #abandon = new Promise<void>((resolve) => (this.#abandonNow = resolve));
  #stallReported = false;
  #outAtLastStats = 0;
  #statsAt = performance.now();
  #fps = 0;
  /** Resolves when the worker has ended. */
  readonly done: Promise<void>;

  constructor(host: WorkerHost, sourceId: string, spec: SourceSpec, capacity: number) {
    this.#host = host;
    this.sourceId = sourceId;
    this.#spec = spec;
    this.#queue = new SourceQueue(capacity);
    this.done = this.#run();
  }

  get spec(): SourceSpec {
    return this.#spec;
  }
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Queues a frame per the spec's `queuePolicy`; resolves `true` once it
   * is in the queue, `false` if the policy dropped it (`drop_newest`). */
  async send(frame: VideoFrame, buffer: SharedBuffer, owned: boolean, release: () => void, srcRect: Rect | undefined, options: SendOptions): Promise<boolean> {
    this.counters.framesIn++;
    const item: FrameItem = { kind: 'frame', frame, buffer, owned, release, srcRect, sentAt: performance.now() };
    if (this.#queue.tryPush(item)) return true;
    const policy = this.#spec.queuePolicy;
    if (policy === QueuePolicy.DropNewest) {
      this.counters.droppedNewest++;
      release();
      return false;
    }
    if (policy === QueuePolicy.DropOldest) {
      const oldest = this.#queue.dropOldest();
      if (oldest) {
        this.counters.droppedOldest++;
        oldest.release();
      }
      if (this.#queue.tryPush(item)) return true;
    }
    const stall = setTimeout(() => this.#reportStall(), STALL_WARNING_MS);
    stall.unref();
    try {
      await this.#queue.waitToPush(item, options.signal, options.timeoutMs);
      return true;
    } catch (error) {
      this.counters.errors++;
      release();
      throw error;
    } finally {
      clearTimeout(stall);
    }
  }

  #reportStall(): void {
    if (this.#stallReported) return;
    this.#stallReported = true;
    process.emitWarning(
      `picasso source ${JSON.stringify(this.sourceId)}: sendFrame has waited ${STALL_WARNING_MS / 1000} s for room in a full queue ` +
        `(${this.#queue.queued} queued, ${this.#consumers.size} outputs not consumed); its consumer is stalled, or use queuePolicy drop_oldest`,
      { code: 'PROJ_PICASSO_STALL' },
    );
  }

  /** A new spec, applied after the frames sent before it. */
  setSpec(spec: SourceSpec): void {
    this.#queue.pushControl({ kind: 'spec', spec });
  }
  sendEos(): void {
    this.#queue.pushControl({ kind: 'eos' });
  }
  /** Ends the worker: after its queued frames and a drain (end-of-stream
   * out), or at once (queued frames are reported lost). */
  stop(immediate: boolean): Promise<void> {
    if (immediate) {
      this.#abandoned = true;
      this.#abandonNow();
      this.#discardQueue();
    }
    if (!this.#stopping || immediate) this.#queue.pushControl({ kind: 'stop', immediate });
    this.#stopping = true;
    return this.done;
  }

  #discardQueue(): void {
    const error = new ProjError(ErrorCode.SHUT_DOWN, `picasso source ${JSON.stringify(this.sourceId)} was stopped`);
    for (const item of this.#queue.clear(error)) {
      this.counters.errors++;
      item.release();
      this.#host.report(this.sourceId, error, item.frame);
    }
  }

  stats(): SourceStats {
    const now = performance.now();
    const out = this.counters.encoded + this.counters.bypassed;
    if (now - this.#statsAt >= 250) {
      this.#fps = ((out - this.#outAtLastStats) * 1000) / (now - this.#statsAt);
      this.#outAtLastStats = out;
      this.#statsAt = now;
    }
    let backend: string | null = null;
    try {
      backend = this.#stage?.backend ?? null;
    } catch {
      backend = null;
    }
    return {
      sourceId: this.sourceId,
      ...this.counters,
      queued: this.#queue.queued,
      inFlight: this.#working + (this.#stage?.pending ?? 0),
      waitingSenders: this.#queue.waiting,
      fps: this.#fps,
      transformMs: this.#samples.transform.percentiles(),
      drawMs: this.#samples.draw.percentiles(),
      encodeMs: this.#samples.encode.percentiles(),
      latencyMs: this.#samples.latency.percentiles(),
      encoderBackend: backend,
    };
  }

  #idleMs(): number {
    return 1000 * (this.#spec.idleTimeoutSecs ?? this.#host.idleTimeoutSecs);
  }

  async #run(): Promise<void> {
    await Promise.resolve(); // let the constructor finish
    let idleMs = this.#idleMs();
    let immediate = false;
    try {
      for (;;) {
        await this.#consumed();
        const item = await this.#queue.take(idleMs);
        if (item === null) {
          const decision = this.#evictionDecision().decision;
          if (decision.kind === 'keep') {
            idleMs = decision.secs * 1000;
            continue;
          }
          this.#stopping = true;
          immediate = decision.kind === 'terminate_immediately';
          break;
        }
        idleMs = this.#idleMs();
        if (item.kind === 'stop') {
          immediate = item.immediate;
          break;
        }
        await this.#handle(item);
      }
    } catch (error) {
      this.#host.report(this.sourceId, error, null);
      immediate = true;
    }
    this.#stopping = true;
    if (immediate) {
      this.#discardQueue();
      await this.#closeStage(false);
    } else {
      await this.#drain(true);
      this.#discardQueue(); // senders that were still waiting
    }
    await this.#consumed();
    this.#host.ended(this);
  }

  #evictionDecision(): EvictionDecision {
    const callback = this.#host.callbacks.onEviction;
    if (!callback) return EvictionDecision.terminate();
    try {
      const decision = callback(this.sourceId);
      if (decision instanceof EvictionDecision) return decision;
      throw new ProjError(ErrorCode.INVALID_ARGUMENT, 'onEviction must return an EvictionDecision');
    } catch (error) {
      this.#host.report(this.sourceId, error, null);
      return EvictionDecision.terminate();
    }
  }

  async #handle(item: Item): Promise<void> {
    switch (item.kind) {
      case 'frame':
        this.#working = 1;
        try {
          await this.#frame(item);
        } catch (error) {
          this.counters.errors++;
          this.#host.report(this.sourceId, error, item.frame);
        } finally {
          this.#working = 0;
          item.release();
        }
        return;
      case 'eos':
        if (this.#spec.codec.isBypass) this.#deliver(this.#host.callbacks.onBypassFrame, OutputMessage.endOfStream(this.sourceId));
        else await this.#drain(true);
        return;
      case 'spec':
        await this.#applySpec(item.spec);
        return;
      case 'stop':
        return;
    }
  }

  async #applySpec(spec: SourceSpec): Promise<void> {
    const stage = this.#stage;
    this.#spec = spec;
    if (stage && !sameEncoding(stage, spec)) {
      await this.#closeStage(true);
      this.#lastPtsNs = null;
      this.#call(() => this.#host.callbacks.onStreamReset?.(this.sourceId, StreamResetReason.EncoderSpecChanged));
    }
  }

  async #frame(item: FrameItem): Promise<void> {
    const spec = this.#spec;
    const { frame, buffer } = item;
    const gate = spec.conditional.encodeAttribute;
    if (gate && frame.getAttribute(gate[0], gate[1]) === null) {
      this.counters.skippedByGate++;
      return;
    }
    const timeBase = frame.timeBase;
    const ptsNs = ticksToNs(frame.pts, timeBase);
    const duration = frame.duration;
    const durationNs = duration === null ? null : ticksToNs(duration, timeBase);
    buffer.ptsNs = ptsNs;
    buffer.durationNs = durationNs;
    if (spec.codec.isDrop) {
      this.counters.droppedBySpec++;
      return;
    }
    if (spec.codec.isBypass) {
      frame.transcodingMethod = 'copy';
      frame.transformBackward();
      this.counters.bypassed++;
      this.#samples.latency.add(performance.now() - item.sentAt);
      this.#deliver(this.#host.callbacks.onBypassFrame, OutputMessage.videoFrame(frame));
      return;
    }
    await this.#encode(item, spec, ptsNs, durationNs);
  }

  async #encode(item: FrameItem, spec: SourceSpec, ptsNs: bigint, durationNs: bigint | null): Promise<void> {
    const { frame } = item;
    if (this.#lastPtsNs !== null && ptsNs <= this.#lastPtsNs) {
      this.#call(() => this.#host.callbacks.onStreamReset?.(this.sourceId, StreamResetReason.PtsDecreased));
      await this.#drain(spec.streamResetPolicy === StreamResetPolicy.EndOfStream);
    }
    const stage = (this.#stage ??= this.#openStage(spec));
    const render = spec.conditional.renderAttribute
      ? frame.getAttribute(spec.conditional.renderAttribute[0], spec.conditional.renderAttribute[1]) !== null
      : spec.useOnRender || !spec.draw.isEmpty();

    // The picture's size is the frame's initial size; boxes come back to
    // it first if the chain says they are elsewhere (a model's input).
    const src = item.buffer.surfaceInfo();
    if (frame.transformations.length > 1) frame.transformBackward();
    if (src.width !== frame.width || src.height !== frame.height) {
      throw new ProjError(
        ErrorCode.INVALID_ARGUMENT,
        `the picture is ${src.width}x${src.height} but the frame's initial size is ${frame.width}x${frame.height}`,
      );
    }
    const rect = item.srcRect;
    const placement = transformPlacement(src.width, src.height, stage.width, stage.height, stage.transform, rect);
    // A picture already the encoder's (the engine owns it until the frame
    // is done) is drawn and encoded as it is, without a copy.
    const asIs = item.owned && stage.takesAsIs(src, rect);
    let t = performance.now();
    const picture = asIs ? item.buffer : await stage.place(item.buffer, rect);
    this.#samples.transform.add(performance.now() - t);
    try {
      if (rect !== undefined) frame.addTransformation({ kind: 'crop', ...placement.crop });
      frame.addTransformation(placement.letterBox);
      frame.transformForward();

      const order = spec.callbackOrder;
      const gpumat = spec.useOnGpumat && this.#host.callbacks.onGpumat !== undefined;
      if (gpumat && order !== CallbackInvocationOrder.SkiaGpuMat) this.#gpumat(frame, picture);
      if (render) {
        t = performance.now();
        await this.#draw(spec, frame, picture, stage);
        this.#samples.draw.add(performance.now() - t);
      }
      if (gpumat && order !== CallbackInvocationOrder.GpuMatSkia) this.#gpumat(frame, picture);

      const now = performance.now();
      this.#lastPtsNs = ptsNs;
      this.#streamOpen = true;
      await stage.submit(picture, { frame, sentAt: item.sentAt, submittedAt: now }, ptsNs, durationNs);
    } catch (error) {
      if (isEncoderFailure(error)) await this.#closeStage(false);
      throw error;
    } finally {
      if (!asIs) picture.release();
    }
  }

  #openStage(spec: SourceSpec): EncodeStage {
    const { encoder, transform } = spec.codec;
    if (encoder === null || transform === null) throw new ProjError(ErrorCode.INTERNAL, 'an encode spec without its encoder');
    return new EncodeStage(encoder, transform, (pending, encoded) => this.#encoded(pending, encoded));
  }

  #encoded(pending: Pending, encoded: EncodedFrame): void {
    const { frame } = pending;
    frame.content = { kind: 'internal', data: encoded.data };
    frame.transcodingMethod = 'encoded';
    frame.codec = encoded.codec;
    frame.keyframe = encoded.keyframe;
    // Encoders here make no B-frames: the new bitstream's DTS is its PTS
    // (the frame may carry its source stream's decode order).
    frame.setTiming(frame.pts, frame.pts, frame.duration);
    const now = performance.now();
    this.counters.encoded++;
    this.#samples.encode.add(now - pending.submittedAt);
    this.#samples.latency.add(now - pending.sentAt);
    this.#deliver(this.#host.callbacks.onEncodedFrame, OutputMessage.videoFrame(frame));
  }

  async #draw(spec: SourceSpec, frame: VideoFrame, picture: SharedBuffer, stage: EncodeStage): Promise<void> {
    const callbacks = this.#host.callbacks;
    let choices: native.ObjectDrawChoice[] | undefined;
    const choose = callbacks.onObjectDrawSpec;
    if (choose) {
      choices = [];
      for (const object of frame.objects) {
        const entry = spec.draw.lookup(object.namespace, object.label);
        const chosen = choose(this.sourceId, object, entry);
        if (chosen === entry) continue;
        if (chosen !== null && !(chosen instanceof ObjectDraw)) {
          throw new ProjError(ErrorCode.INVALID_ARGUMENT, 'onObjectDrawSpec must return an ObjectDraw or null');
        }
        choices.push(chosen === null ? { id: object.id } : { id: object.id, draw: chosen.toNative() });
      }
    }
    let overlay: native.DrawListInit | undefined;
    if (spec.useOnRender && callbacks.onRender) {
      const canvas = new Canvas(stage.width, stage.height);
      callbacks.onRender(this.sourceId, canvas, frame);
      overlay = canvas.toNative();
    }
    await native.drawObjects(frame.native, picture.native, spec.draw.native, { fontFamily: spec.fontFamily }, overlay, choices);
  }

  #gpumat(frame: VideoFrame, picture: SharedBuffer): void {
    const callback = this.#host.callbacks.onGpumat;
    if (!callback) return;
    const info = picture.surfaceInfo();
    const common = { width: info.width, height: info.height, pitch: info.pitch, format: info.format, channels: 4 as const };
    if (info.memType === 'cuda_device' || info.memType === 'cuda_unified') {
      this.#call(() => callback(this.sourceId, frame, { kind: 'cuda', ...info, channels: 4 }));
      return;
    }
    const data = picture.native.hostView(0);
    try {
      const mat: GpuMat = { kind: 'host', data, ...common };
      this.#call(() => callback(this.sourceId, frame, mat));
    } finally {
      picture.native.closeHostView(data.buffer as ArrayBuffer);
    }
  }

  /** Drains the encoder (its frames out), then end-of-stream if asked. */
  async #drain(endOfStream: boolean): Promise<void> {
    await this.#closeStage(true);
    this.#lastPtsNs = null;
    if (endOfStream && this.#streamOpen) {
      this.#streamOpen = false;
      this.#deliver(this.#host.callbacks.onEncodedFrame, OutputMessage.endOfStream(this.sourceId));
    }
  }

  async #closeStage(drain: boolean): Promise<void> {
    const stage = this.#stage;
    if (!stage) return;
    this.#stage = null;
    const lost = drain ? await stage.finish() : await stage.shutdown();
    if (lost.length === 0) return;
    const error = new ProjError(ErrorCode.PIPELINE, `the encoder of ${JSON.stringify(this.sourceId)} ended without ${lost.length} frame(s)`);
    for (const p of lost) {
      this.counters.errors++;
      this.#host.report(this.sourceId, error, p.frame);
    }
  }

  /** Hands an output to its callback and to the `outputs()` iterators; a
   * Promise the callback returns, and an iterator's reader until it asks
   * for the next output, hold this source's next frame. */
  #deliver(callback: ((output: OutputMessage) => void | Promise<void>) | undefined, output: OutputMessage): void {
    for (const iterator of this.#host.iterators(this.sourceId)) {
      this.#hold(new Promise<void>((resolve) => iterator.push(output, resolve)), output);
    }
    if (!callback) return;
    let result: void | Promise<void>;
    try {
      result = callback(output);
    } catch (error) {
      this.#host.report(this.sourceId, error, output.isVideoFrame ? output.asVideoFrame() : null);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') this.#hold(Promise.resolve(result), output);
  }

  /** Counts `pending` among the consumer's outstanding work. */
  #hold(pending: Promise<void>, output: OutputMessage): void {
    const p: Promise<void> = pending.then(
      () => {
        this.#consumers.delete(p);
      },
      (error: unknown) => {
        this.#consumers.delete(p);
        this.#host.report(this.sourceId, error, output.isVideoFrame ? output.asVideoFrame() : null);
      },
    );
    this.#consumers.add(p);
  }

  /** Waits for the consumer's outstanding Promises (reported once when
   * that takes 10 s); an immediate stop ends the wait. */
  async #consumed(): Promise<void> {
    if (this.#consumers.size === 0) return;
    const stall = setTimeout(() => this.#reportConsumerStall(), STALL_WARNING_MS);
    stall.unref();
    try {
      while (this.#consumers.size > 0 && !this.#abandoned) await Promise.race([Promise.all([...this.#consumers]), this.#abandon]);
    } finally {
      clearTimeout(stall);
    }
  }

  #reportConsumerStall(): void {
    process.emitWarning(
      `picasso source ${JSON.stringify(this.sourceId)}: its consumer has not settled the Promise of an output for ${STALL_WARNING_MS / 1000} s; ` +
        'the source waits for it (shutdown({ immediate: true }) stops waiting)',
      { code: 'PROJ_PICASSO_STALL' },
    );
  }

  #call(f: () => void): void {
    try {
      f();
    } catch (error) {
      this.#host.report(this.sourceId, error, null);
    }
  }
}

function isEncoderFailure(error: unknown): boolean {
  const e = toProjError(error) as { code?: unknown } | null;
  const code = e?.code;
  return code === ErrorCode.PIPELINE || code === ErrorCode.FINISHED || code === ErrorCode.SHUT_DOWN;
}
