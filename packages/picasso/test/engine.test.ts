// PicassoEngine's per-frame rules (design §6), each checked so that an
// engine that skipped the rule fails: outputs are decoded by ffmpeg and
// counted by ffprobe, not read back from our own code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Codec, Mp4Muxer } from '@proj/gstreamer';
import { BufferGenerator, EncoderConfig, EncoderProperties, H264DgpuProps, hasNvenc, SurfaceView, VideoFrame } from '@proj/deepstream';
import {
  CallbackInvocationOrder,
  CodecSpec,
  ConditionalSpec,
  EvictionDecision,
  GeneralSpec,
  type GpuMat,
  LabelDraw,
  ColorDraw,
  ObjectDraw,
  ObjectDrawSpec,
  OutputMessage,
  PicassoEngine,
  registerFont,
  SourceSpec,
  StreamResetReason,
} from '../src/index.js';
import { decodeH264, frame, FRAME_NS, near, Outputs, picture, pixel, probeH264, sleep, solidBox, until } from './support/engine.js';

const RED: [number, number, number, number] = [255, 0, 0, 255];
const GREEN: [number, number, number, number] = [0, 255, 0, 255];
const GREY: [number, number, number] = [40, 40, 40];
const work = mkdtempSync(join(tmpdir(), 'picasso-engine-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** 320×240 pictures into a 640×640 H.264 encoder, symmetric letterbox:
 * scale 2, 80 px bars top and bottom. */
const h264 = (w = 640, h = 640) => new EncoderConfig('h264', w, h);
const encodeSpec = (draw: ObjectDrawSpec, extra: ConstructorParameters<typeof SourceSpec>[0] = {}) =>
  new SourceSpec({ codec: CodecSpec.encode({}, h264()), draw, ...extra });
const redBoxes = () => {
  const d = new ObjectDrawSpec();
  d.insert('det', 'car', solidBox(RED, 8));
  return d;
};
const CAR = { xc: 160, yc: 120, width: 100, height: 50 };

async function sendAll(engine: PicassoEngine, source: string, frames: VideoFrame[], size: [number, number] = [320, 240]): Promise<void> {
  for (const f of frames) await engine.sendFrame(source, f, await picture(...size));
}

function accounted(s: ReturnType<PicassoEngine['stats']>['sources'][number]): number {
  return s.encoded + s.bypassed + s.droppedBySpec + s.skippedByGate + s.droppedOldest + s.droppedNewest + s.errors + s.queued + s.inFlight;
}

describe('specs', () => {
  it('has the seed API: codec kinds, defaults, enums by name', () => {
    expect(CodecSpec.dropFrames().isDrop).toBe(true);
    expect(CodecSpec.bypass().isBypass).toBe(true);
    const e = CodecSpec.encode({ padding: 'right_bottom' }, h264());
    expect([e.isEncode, e.isDrop, e.isBypass]).toEqual([true, false, false]);
    const s = new SourceSpec();
    expect(s.codec.isDrop).toBe(true);
    expect(s.callbackOrder).toBe(CallbackInvocationOrder.SkiaGpuMat);
    expect(CallbackInvocationOrder.fromName('GpuMatSkia')).toBe(CallbackInvocationOrder.GpuMatSkia);
    const g = new GeneralSpec();
    expect([g.name, g.idleTimeoutSecs, g.inflightQueueSize]).toEqual(['picasso', 30, 8]);
    expect(() => new GeneralSpec({ inflightQueueSize: 0 })).toThrow(expect.objectContaining({ code: 'ERR_PROJ_INVALID_ARGUMENT' }));
    expect(() => new SourceSpec({ codec: 'drop' as never })).toThrow(TypeError);
    expect(() => new ConditionalSpec({ encodeAttribute: ['only-one'] as never })).toThrow(TypeError);
    expect(() => CallbackInvocationOrder.fromName('sideways')).toThrow(expect.objectContaining({ code: 'ERR_PROJ_UNKNOWN_NAME' }));
    expect(EvictionDecision.keepFor(2).isKeep).toBe(true);
    expect(() => EvictionDecision.keepFor(-1)).toThrow(RangeError);
    const eos = OutputMessage.endOfStream('a');
    expect([eos.isEos, eos.isVideoFrame, eos.asEos().sourceId]).toEqual([true, false, 'a']);
    expect(() => eos.asVideoFrame()).toThrow(expect.objectContaining({ code: 'ERR_PROJ_INVALID_ARGUMENT' }));
  });
});

describe('per-frame rules', () => {
  it('drops the frames of a source without a spec, and gives their pictures back', async () => {
    const bypass = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onBypassFrame: bypass.push, onEncodedFrame: bypass.push });
    const pictures = [];
    for (let i = 0; i < 5; i++) {
      const p = await picture(64, 48);
      pictures.push(p);
      await engine.sendFrame('nospec', frame('nospec', i, 64, 48), p);
    }
    await sleep(50);
    const s = engine.stats().sources[0]!;
    expect(s.droppedBySpec).toBe(5);
    expect(bypass.items).toHaveLength(0);
    expect(pictures.every((p) => p.isConsumed)).toBe(true);
    await engine.shutdown();
  });

  it('skips frames without the encode attribute, in any mode, before anything else', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onBypassFrame: out.push });
    engine.setSourceSpec('g', new SourceSpec({ codec: CodecSpec.bypass(), conditional: new ConditionalSpec({ encodeAttribute: ['ctl', 'record'] }) }));
    for (let i = 0; i < 6; i++) {
      const f = frame('g', i, 64, 48);
      if (i % 2 === 0) f.setAttribute({ namespace: 'ctl', name: 'record', values: [] });
      await engine.sendFrame('g', f, await picture(64, 48));
    }
    await engine.shutdown();
    expect(out.frames.map((f) => f.pts)).toEqual([0n, 2n * BigInt(FRAME_NS), 4n * BigInt(FRAME_NS)]);
  });

  it('bypass maps boxes back to the initial frame size through the chain', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onBypassFrame: out.push });
    engine.setSourceSpec('b', new SourceSpec({ codec: CodecSpec.bypass() }));
    // A 1920×1080 frame letterboxed into a 640×640 model input (scale 1/3,
    // bars of 140 px): the detection is in the model's pixels.
    const f = new VideoFrame({ sourceId: 'b', width: 1920, height: 1080, pts: 0 });
    f.addTransformation({ kind: 'letter_box', outerWidth: 640, outerHeight: 640, left: 0, top: 140, right: 0, bottom: 140 });
    f.addObject({ id: 1, namespace: 'det', label: 'car', detectionBox: { xc: 320, yc: 320, width: 64, height: 32 } });
    await engine.sendFrame('b', f, await picture(1920, 1080));
    engine.sendEos('b');
    await engine.shutdown();
    expect(out.items.map((m) => m.isEos)).toEqual([false, true]);
    const back = out.frames[0]!;
    expect(back.transcodingMethod).toBe('copy');
    const box = back.objects[0]!.detectionBox;
    expect(box.xc).toBeCloseTo(960, 6);
    expect(box.yc).toBeCloseTo(540, 6);
    expect(box.width).toBeCloseTo(192, 6);
    expect(box.height).toBeCloseTo(96, 6);
    expect([back.width, back.height]).toEqual([1920, 1080]);
  });

  it('bypass gives back the original boxes of detections made on a letterboxed model input', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onBypassFrame: out.push });
    engine.setSourceSpec('rt', new SourceSpec({ codec: CodecSpec.bypass() }));
    const originals = [
      { xc: 100.5, yc: 200.25, width: 40, height: 30 },
      { xc: 1800, yc: 1000, width: 120.5, height: 60 },
      { xc: 960, yc: 540, width: 10, height: 10 },
    ];
    const f = frame('rt', 0, 1920, 1080, originals);
    // What a pipeline does: letterbox into the model's 640×384 input (the
    // boxes move with it), run the model, hand the frame on.
    f.addTransformation({ kind: 'letter_box', outerWidth: 640, outerHeight: 384, left: 0, top: 12, right: 0, bottom: 12 });
    f.transformForward();
    // transformForward rebased the frame on the model's picture; say again
    // how that picture was made from the camera's.
    const back = new VideoFrame({ sourceId: 'rt', width: 1920, height: 1080, pts: 0 });
    back.addTransformation({ kind: 'letter_box', outerWidth: 640, outerHeight: 384, left: 0, top: 12, right: 0, bottom: 12 });
    for (const o of f.objects) back.addObject({ id: o.id, namespace: o.namespace, label: o.label, detectionBox: o.detectionBox });
    expect(back.objects[1]!.detectionBox.xc).toBeCloseTo(600, 6); // in the model's pixels now
    await engine.sendFrame('rt', back, await picture(1920, 1080));
    await engine.shutdown();
    const boxes = out.frames[0]!.objects.map((o) => o.detectionBox);
    boxes.forEach((b, i) => {
      for (const k of ['xc', 'yc', 'width', 'height'] as const) expect(b[k]).toBeCloseTo(originals[i]![k], 9);
    });
  });

  it('encodes: letterboxes into the encoder picture, rewrites the chain, draws where the chain says, stamps PTS (MP4 checked by ffprobe)', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push });
    engine.setSourceSpec('e', encodeSpec(redBoxes()));
    // Time base 1/90000: PTS 3000 ticks apart.
    for (let i = 0; i < 12; i++) {
      // A DTS from the source stream's decode order, which the new stream does not have.
      const f = new VideoFrame({ sourceId: 'e', width: 320, height: 240, pts: 6000 + i * 3000, dts: i * 3000, duration: 3000, timeBase: { num: 1, den: 90000 } });
      f.addObject({ id: 1, namespace: 'det', label: 'car', detectionBox: CAR });
      await engine.sendFrame('e', f, await picture(320, 240));
    }
    engine.sendEos('e');
    await engine.shutdown();
    expect(out.eos).toBe(1);
    const frames = out.frames;
    expect(frames).toHaveLength(12);
    const first = frames[0]!;
    expect([first.width, first.height, first.transcodingMethod, first.codec, first.keyframe]).toEqual([640, 640, 'encoded', 'h264', true]);
    expect(frames.map((f) => f.pts)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(6000 + i * 3000)));
    expect(frames.map((f) => f.dts)).toEqual(frames.map((f) => f.pts));
    expect(first.objects[0]!.detectionBox).toMatchObject({ xc: 320, yc: 320, width: 200, height: 100 });

    const stream = out.bitstream();
    expect(probeH264(stream)).toEqual({ frames: 12, width: 640, height: 640 });
    const pictures = decodeH264(stream, 640, 640);
    const last = pictures.at(-1)!;
    expect(near(pixel(last, 640, 220, 320), [255, 0, 0])).toBe(true); // left border at 320 − 100
    expect(near(pixel(last, 640, 420, 320), [255, 0, 0])).toBe(true); // right border
    expect(near(pixel(last, 640, 320, 270), [255, 0, 0])).toBe(true); // top border at 320 − 50
    expect(near(pixel(last, 640, 320, 320), GREY, 12)).toBe(true); // inside: the picture
    expect(near(pixel(last, 640, 320, 40), [0, 0, 0], 12)).toBe(true); // the letterbox bar
    expect(near(pixel(last, 640, 320, 100), GREY, 12)).toBe(true); // the picture starts at 80

    // The same frames through a crash-safe MP4: ffprobe reads the PTS.
    const file = join(work, 'e.mp4');
    const muxer = new Mp4Muxer(Codec.H264, file, { fpsNum: 30 });
    for (const f of frames) {
      const c = f.content;
      if (c.kind !== 'internal') throw new Error('no bitstream');
      muxer.push(c.data, (f.pts * 1_000_000_000n) / 90000n, (f.dts! * 1_000_000_000n) / 90000n);
    }
    await muxer.finish();
    const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'json', file]);
    const times = (JSON.parse(probe.stdout.toString()).frames as { pts_time: string }[]).map((f) => Number(f.pts_time));
    expect(times).toHaveLength(12);
    times.forEach((t, i) => expect(t - times[0]!).toBeCloseTo(i / 30, 3));
  });

  it('a source rectangle is a Crop in the chain, and boxes land where it puts them', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push });
    engine.setSourceSpec('c', new SourceSpec({ codec: CodecSpec.encode({}, h264(320, 320)), draw: redBoxes() }));
    // The right half (160×240) of the picture, into 320×320: scale 4/3,
    // 213 px wide, bars of 53/54 px left and right.
    const f = frame('c', 0, 320, 240, [{ xc: 240, yc: 120, width: 60, height: 60 }]);
    await engine.sendFrame('c', f, await picture(320, 240), { top: 0, left: 160, width: 160, height: 240 });
    await engine.shutdown();
    const [encoded] = out.frames;
    const box = encoded!.objects[0]!.detectionBox;
    const scale = 213 / 160; // 160 px wide scaled to round(320 · 2/3)
    expect(box.xc).toBeCloseTo(53 + 80 * scale, 6);
    expect(box.yc).toBeCloseTo(160, 6);
    expect(box.width).toBeCloseTo(60 * scale, 6);
    expect(encoded!.transformations).toHaveLength(1);
    const [rgb] = decodeH264(out.bitstream(), 320, 320);
    expect(near(pixel(rgb!, 320, Math.round(box.xc - 40), 160), [255, 0, 0])).toBe(true);
    expect(near(pixel(rgb!, 320, 20, 160), [0, 0, 0], 12)).toBe(true);
  });

  it('draws on a picture already the encoder\'s size in place, and never on a caller\'s SurfaceView', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push });
    engine.setSourceSpec('same', new SourceSpec({ codec: CodecSpec.encode({}, h264(320, 240)), draw: redBoxes() }));
    const owned = [];
    for (let i = 0; i < 3; i++) {
      const p = await picture(320, 240);
      owned.push(p);
      await engine.sendFrame('same', frame('same', i, 320, 240, [CAR]), p);
    }
    const caller = await picture(320, 240);
    const view = SurfaceView.fromBuffer(caller);
    await engine.sendFrame('same', frame('same', 3, 320, 240, [CAR]), view);
    await engine.shutdown();
    const stats = out.frames.length;
    expect(stats).toBe(4);
    const decoded = decodeH264(out.bitstream(), 320, 240);
    for (const rgb of decoded) expect(near(pixel(rgb, 320, 110, 120), [255, 0, 0])).toBe(true); // left border at 160 − 50
    const pixels = await view.download();
    expect([...pixels.subarray((120 * 320 + 110) * 4, (120 * 320 + 110) * 4 + 3)]).toEqual([40, 40, 40]); // the caller's picture is untouched
    view.release();
    caller.release();
  });

  it('takes NV12 and I420 pictures (converted when placed), and reports BGRx as unsupported', async () => {
    const out = new Outputs();
    const errors: string[] = [];
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push, onError: (_s, e) => errors.push(e.code ?? '') });
    engine.setSourceSpec('yuv', encodeSpec(redBoxes()));
    const formats = ['NV12', 'I420', 'BGRx'];
    for (const [i, format] of formats.entries()) {
      const buffer = await new BufferGenerator(format, 320, 240, { poolSize: 1 }).acquire();
      const view = SurfaceView.fromBuffer(buffer);
      // Mid grey in every plane: (128, 128, 128) in RGB whatever the layout.
      await view.memset(128);
      view.release();
      await engine.sendFrame('yuv', frame('yuv', i, 320, 240, [CAR]), buffer);
    }
    await engine.shutdown();
    expect(errors).toEqual(['ERR_PROJ_UNSUPPORTED_FORMAT']);
    const decoded = decodeH264(out.bitstream(), 640, 640);
    expect(decoded).toHaveLength(2);
    for (const rgb of decoded) {
      expect(near(pixel(rgb, 640, 220, 320), [255, 0, 0])).toBe(true);
      expect(near(pixel(rgb, 640, 320, 320), [128, 128, 128], 24)).toBe(true);
    }
  });

  it('calls onGpumat before and/or after drawing per the order, over the picture itself (writes land in the output)', async () => {
    for (const order of [CallbackInvocationOrder.GpuMatSkia, CallbackInvocationOrder.SkiaGpuMat, CallbackInvocationOrder.GpuMatSkiaGpuMat]) {
      const seen: { border: number[]; length: number }[] = [];
      let kept: Uint8Array | null = null;
      const out = new Outputs();
      const engine = new PicassoEngine(new GeneralSpec(), {
        onEncodedFrame: out.push,
        onGpumat: (_source, _frame, mat: GpuMat) => {
          if (mat.kind !== 'host') throw new Error('expected a host picture');
          const o = 320 * mat.pitch + 220 * 4; // the box's left border
          seen.push({ border: [...mat.data.subarray(o, o + 3)], length: mat.data.length });
          // Paint a white square at (10..30, 100..120) in place.
          for (let y = 100; y < 120; y++) mat.data.fill(255, y * mat.pitch + 40, y * mat.pitch + 120);
          kept = mat.data;
        },
      });
      engine.setSourceSpec('m', encodeSpec(redBoxes(), { useOnGpumat: true, callbackOrder: order }));
      await engine.sendFrame('m', frame('m', 0, 320, 240, [CAR]), await picture(320, 240));
      await engine.shutdown();
      const drawnFirst = order === CallbackInvocationOrder.SkiaGpuMat;
      const expected = order === CallbackInvocationOrder.GpuMatSkiaGpuMat ? [[40, 40, 40], [255, 0, 0]] : [drawnFirst ? [255, 0, 0] : [40, 40, 40]];
      expect(seen.map((s) => s.border)).toEqual(expected);
      expect(seen.every((s) => s.length === 640 * 640 * 4)).toBe(true);
      expect(kept!.length).toBe(0); // cut off once the callback returned
      const [rgb] = decodeH264(out.bitstream(), 640, 640);
      expect(near(pixel(rgb!, 640, 20, 110), [255, 255, 255], 20)).toBe(true);
    }
  });

  it('draws only when the render gate opens; onObjectDrawSpec replaces or skips; onRender draws on top', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), {
      onEncodedFrame: out.push,
      onObjectDrawSpec: (_s, object, spec) => (object.id === 2 ? solidBox(GREEN, 8) : object.id === 3 ? null : spec),
      onRender: (_s, canvas) => {
        canvas.fillRect(600, 600, 30, 30, [0, 0, 255, 255]);
      },
    });
    engine.setSourceSpec('r', encodeSpec(redBoxes(), { useOnRender: true, conditional: new ConditionalSpec({ renderAttribute: ['ctl', 'draw'] }) }));
    const objects = [
      { id: 1, xc: 60, yc: 120, width: 40, height: 40 },
      { id: 2, xc: 160, yc: 120, width: 40, height: 40 },
      { id: 3, xc: 260, yc: 120, width: 40, height: 40 },
    ];
    const plain = frame('r', 0, 320, 240, objects);
    const gated = frame('r', 1, 320, 240, objects);
    gated.setAttribute({ namespace: 'ctl', name: 'draw', values: [] });
    await engine.sendFrame('r', plain, await picture(320, 240));
    await engine.sendFrame('r', gated, await picture(320, 240));
    await engine.shutdown();
    const [a, b] = decodeH264(out.bitstream(), 640, 640);
    // Left borders at x = 2·xc − 40, y = 80 + 2·yc.
    expect(near(pixel(a!, 640, 80, 320), GREY, 12)).toBe(true); // gate closed: nothing drawn
    expect(near(pixel(b!, 640, 80, 320), [255, 0, 0])).toBe(true); // the spec's red
    expect(near(pixel(b!, 640, 280, 320), [0, 255, 0])).toBe(true); // replaced: green
    expect(near(pixel(b!, 640, 480, 320), GREY, 12)).toBe(true); // skipped
    expect(near(pixel(b!, 640, 615, 615), [0, 0, 255], 50)).toBe(true); // onRender's canvas
    expect(near(pixel(a!, 640, 615, 615), [0, 0, 0], 12)).toBe(true);
  });
});

describe('streams', () => {
  it('a PTS that does not increase resets the stream: drained, end-of-stream, then a new stream (or silently)', async () => {
    for (const policy of ['eos', 'silent'] as const) {
      const out = new Outputs();
      const resets: string[] = [];
      const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push, onStreamReset: (_s, r) => resets.push(r) });
      engine.setSourceSpec('p', new SourceSpec({ codec: CodecSpec.encode({}, h264(160, 160)), streamResetPolicy: policy }));
      for (const i of [0, 1, 2, 3, 1, 2]) await engine.sendFrame('p', frame('p', i, 320, 240), await picture(320, 240));
      await engine.shutdown();
      expect(resets).toEqual([StreamResetReason.PtsDecreased]);
      const kinds = out.items.map((m) => (m.isEos ? 'eos' : Number(m.asVideoFrame().pts / BigInt(FRAME_NS))));
      expect(kinds).toEqual(policy === 'eos' ? [0, 1, 2, 3, 'eos', 1, 2, 'eos'] : [0, 1, 2, 3, 1, 2, 'eos']);
      // Each stream starts with a keyframe a decoder can start from.
      const second = out.frames.slice(4);
      expect(second[0]!.keyframe).toBe(true);
      expect(probeH264(out.bitstream(second)).frames).toBe(2);
    }
  });

  it('a new encoder config drains the old encoder first; a new font redraws labels', async () => {
    const out = new Outputs();
    const resets: string[] = [];
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push, onStreamReset: (_s, r) => resets.push(r) });
    const labelled = new ObjectDrawSpec();
    labelled.insert('det', 'car', new ObjectDraw({ label: new LabelDraw(new ColorDraw(255, 255, 255, 255), { fontScale: 3, format: ['WWWW 0123'] }) }));
    const spec = (w: number, font?: string) => new SourceSpec({ codec: CodecSpec.encode({}, h264(w, w)), draw: labelled, ...(font ? { fontFamily: font } : {}) });
    registerFont('test mono', '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf');
    engine.setSourceSpec('s', spec(320));
    for (let i = 0; i < 4; i++) await engine.sendFrame('s', frame('s', i, 320, 240, [CAR]), await picture(320, 240));
    engine.setSourceSpec('s', spec(160));
    for (let i = 4; i < 7; i++) await engine.sendFrame('s', frame('s', i, 320, 240, [CAR]), await picture(320, 240));
    engine.setSourceSpec('s', spec(160, 'test mono'));
    for (let i = 7; i < 9; i++) await engine.sendFrame('s', frame('s', i, 320, 240, [CAR]), await picture(320, 240));
    await engine.shutdown();
    expect(resets).toEqual([StreamResetReason.EncoderSpecChanged]);
    // Every 320 px frame came out before any 160 px one.
    expect(out.frames.map((f) => f.width)).toEqual([320, 320, 320, 320, 160, 160, 160, 160, 160]);
    expect(probeH264(out.bitstream(out.frames.slice(0, 4)))).toEqual({ frames: 4, width: 320, height: 320 });
    const small = decodeH264(out.bitstream(out.frames.slice(4)), 160, 160);
    expect(small).toHaveLength(5);
    const diff = (x: Buffer, y: Buffer) => x.reduce((n, v, i) => n + (Math.abs(v - y[i]!) > 40 ? 1 : 0), 0);
    expect(diff(small[1]!, small[2]!)).toBeLessThan(50); // same font: same label
    expect(diff(small[2]!, small[3]!)).toBeGreaterThan(200); // the monospaced font draws it otherwise
  });
});

describe('eviction', () => {
  it('asks onEviction after the idle timeout: keepFor, terminate (drained, end-of-stream), terminateImmediately', async () => {
    const out = new Outputs();
    const asked: { source: string; at: number }[] = [];
    const decisions: Record<string, EvictionDecision[]> = {
      keep: [EvictionDecision.keepFor(0.3), EvictionDecision.terminate()],
      term: [EvictionDecision.terminate()],
      now: [EvictionDecision.terminateImmediately()],
    };
    const engine = new PicassoEngine(new GeneralSpec({ idleTimeoutSecs: 0.2 }), {
      onEncodedFrame: out.push,
      onEviction: (source) => {
        asked.push({ source, at: performance.now() });
        return decisions[source]!.shift()!;
      },
    });
    const start = performance.now();
    for (const s of ['keep', 'term', 'now']) {
      engine.setSourceSpec(s, new SourceSpec({ codec: CodecSpec.encode({}, h264(160, 160)) }));
      await engine.sendFrame(s, frame(s, 0, 320, 240), await picture(320, 240));
    }
    await sleep(900);
    expect(engine.sources).toEqual([]);
    const at = (s: string) => asked.filter((a) => a.source === s).map((a) => a.at - start);
    expect(at('term')).toHaveLength(1);
    expect(at('term')[0]).toBeGreaterThan(190);
    expect(at('term')[0]).toBeLessThan(450);
    expect(at('keep')).toHaveLength(2);
    expect(at('keep')[1]! - at('keep')[0]!).toBeGreaterThan(280);
    const eos = out.items.filter((m) => m.isEos).map((m) => m.asEos().sourceId).sort();
    expect(eos).toEqual(['keep', 'term']);
    await engine.shutdown();
  });

  it('removeSourceSpec drains the source, sends end-of-stream and gives its final stats; its next frames get the default (drop)', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push });
    engine.setSourceSpec('rm', new SourceSpec({ codec: CodecSpec.encode({}, h264(160, 160)) }));
    for (let i = 0; i < 3; i++) await engine.sendFrame('rm', frame('rm', i, 320, 240), await picture(320, 240));
    const final = await engine.removeSourceSpec('rm');
    expect(final).toMatchObject({ sourceId: 'rm', framesIn: 3, encoded: 3, queued: 0, inFlight: 0 });
    expect(out.items.map((m) => m.isEos)).toEqual([false, false, false, true]);
    expect(engine.sources).toEqual([]);
    await engine.sendFrame('rm', frame('rm', 3, 320, 240), await picture(320, 240));
    const stats = await engine.shutdown();
    expect(stats.sources[0]).toMatchObject({ sourceId: 'rm', framesIn: 1, droppedBySpec: 1 });
    expect(await engine.removeSourceSpec('never')).toBeNull();
  });

  it('is right for a 1 s timeout (the reference never waits), and terminates without a callback', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec({ idleTimeoutSecs: 1 }), { onBypassFrame: out.push });
    engine.setSourceSpec('one', new SourceSpec({ codec: CodecSpec.bypass() }));
    await engine.sendFrame('one', frame('one', 0, 64, 48), await picture(64, 48));
    await sleep(700);
    expect(engine.sources).toEqual(['one']);
    await sleep(700);
    expect(engine.sources).toEqual([]);
    // A frame after eviction starts the source again with its spec.
    await engine.sendFrame('one', frame('one', 1, 64, 48), await picture(64, 48));
    await engine.shutdown();
    expect(out.frames).toHaveLength(2);
  });
});

describe('back-pressure and accounting', () => {
  it('a full queue waits, drops the oldest or drops the newest, and every frame is accounted for', async () => {
    for (const policy of ['wait', 'drop_oldest', 'drop_newest'] as const) {
      let unblock!: () => void;
      const blocked = new Promise<void>((r) => (unblock = r));
      const out = new Outputs();
      const engine = new PicassoEngine(new GeneralSpec({ inflightQueueSize: 3 }), {
        onBypassFrame: (m) => {
          out.push(m);
          return blocked; // the consumer stalls
        },
      });
      engine.setSourceSpec('q', new SourceSpec({ codec: CodecSpec.bypass(), queuePolicy: policy }));
      const sends: Promise<boolean>[] = [];
      for (let i = 0; i < 10; i++) sends.push(engine.sendFrame('q', frame('q', i, 64, 48), await picture(64, 48)));
      await sleep(100);
      const s = engine.stats().sources[0]!;
      expect(s.queued).toBe(3);
      expect(out.frames).toHaveLength(1);
      expect(accounted(s)).toBe(10 - s.waitingSenders);
      if (policy === 'wait') expect(s.waitingSenders).toBe(6);
      if (policy === 'drop_oldest') expect(s.droppedOldest).toBe(6);
      if (policy === 'drop_newest') expect(s.droppedNewest).toBe(6);
      unblock();
      const admitted = await Promise.all(sends);
      await engine.shutdown();
      const kept = out.frames.map((f) => Number(f.pts / BigInt(FRAME_NS)));
      if (policy === 'wait') expect(kept).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      if (policy === 'drop_oldest') expect(kept).toEqual([0, 7, 8, 9]);
      if (policy === 'drop_newest') expect(kept).toEqual([0, 1, 2, 3]);
      expect(admitted.filter((a) => !a)).toHaveLength(policy === 'drop_newest' ? 6 : 0);
    }
  });

  it('offers the outputs as async iterators, whose slow reader holds only its own source', async () => {
    const engine = new PicassoEngine(new GeneralSpec({ inflightQueueSize: 2 }));
    for (const s of ['it-a', 'it-b']) engine.setSourceSpec(s, new SourceSpec({ codec: CodecSpec.bypass() }));
    const onlyA = engine.outputs({ sourceId: 'it-a' });
    const all = engine.outputs();
    const seenAll: string[] = [];
    const draining = (async () => {
      for await (const m of all) seenAll.push(m.isEos ? `${m.asEos().sourceId}:eos` : `${m.asVideoFrame().sourceId}:${m.asVideoFrame().pts / BigInt(FRAME_NS)}`);
    })();
    // it-a's reader has not started: it-a holds after its first output and
    // its queue fills; it-b goes on.
    const picturesA = [];
    for (let i = 0; i < 4; i++) picturesA.push(await picture(64, 48));
    // Sent in order without waiting for each (sendFrame queues synchronously).
    const sendsA = picturesA.map((p, i) => engine.sendFrame('it-a', frame('it-a', i, 64, 48), p));
    for (let i = 0; i < 6; i++) await engine.sendFrame('it-b', frame('it-b', i, 64, 48), await picture(64, 48));
    await sleep(100);
    const a = engine.stats().sources.find((x) => x.sourceId === 'it-a')!;
    const b = engine.stats().sources.find((x) => x.sourceId === 'it-b')!;
    expect([a.bypassed, a.queued, a.waitingSenders, b.bypassed]).toEqual([1, 2, 1, 6]);
    engine.sendEos('it-a');
    const read: number[] = [];
    for await (const m of onlyA) {
      if (m.isEos) break;
      read.push(Number(m.asVideoFrame().pts / BigInt(FRAME_NS)));
    }
    await Promise.all(sendsA);
    await engine.shutdown();
    await draining;
    expect(read).toEqual([0, 1, 2, 3]);
    expect(seenAll.filter((x) => x.startsWith('it-a'))).toEqual(['it-a:0', 'it-a:1', 'it-a:2', 'it-a:3', 'it-a:eos']);
    expect(seenAll.filter((x) => x.startsWith('it-b'))).toEqual(['it-b:0', 'it-b:1', 'it-b:2', 'it-b:3', 'it-b:4', 'it-b:5']);
  });

  it('an immediate shutdown ends a source whose consumer never settles, reporting the frames it drops', async () => {
    const errors: string[] = [];
    const engine = new PicassoEngine(new GeneralSpec({ inflightQueueSize: 2 }), {
      onBypassFrame: () => new Promise<void>(() => {}), // never settles
      onError: (_s, e) => errors.push(e.code ?? ''),
    });
    engine.setSourceSpec('stuck', new SourceSpec({ codec: CodecSpec.bypass() }));
    const sends = [];
    for (let i = 0; i < 5; i++) sends.push(engine.sendFrame('stuck', frame('stuck', i, 64, 48), await picture(64, 48)).catch((e: { code: string }) => e.code));
    await sleep(50);
    const before = engine.stats().sources[0]!;
    expect([before.bypassed, before.queued, before.waitingSenders]).toEqual([1, 2, 2]);
    await engine.shutdown({ immediate: true });
    expect(await Promise.all(sends)).toEqual([true, true, true, 'ERR_PROJ_SHUT_DOWN', 'ERR_PROJ_SHUT_DOWN']);
    expect(errors).toEqual(Array(4).fill('ERR_PROJ_SHUT_DOWN'));
  });

  it('reports a bad frame (typed), loses nothing else, and rejects calls after shutdown', async () => {
    const out = new Outputs();
    const errors: string[] = [];
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push, onError: (_s, e) => errors.push(e.code ?? '') });
    engine.setSourceSpec('x', new SourceSpec({ codec: CodecSpec.encode({}, h264(160, 160)) }));
    await engine.sendFrame('x', frame('x', 0, 320, 240), await picture(320, 240));
    await engine.sendFrame('x', frame('x', 1, 320, 240), await picture(64, 48)); // the wrong size
    await engine.sendFrame('x', frame('x', 2, 320, 240), await picture(320, 240));
    await expect(engine.sendFrame('x', {} as never, await picture(64, 48))).rejects.toThrow(TypeError);
    await expect(engine.sendFrame('x', frame('x', 3, 320, 240), new Uint8Array(4) as never)).rejects.toThrow(TypeError);
    await engine.shutdown();
    expect(errors).toEqual(['ERR_PROJ_INVALID_ARGUMENT']);
    expect(out.frames.map((f) => Number(f.pts / BigInt(FRAME_NS)))).toEqual([0, 2]);
    await expect(engine.sendFrame('x', frame('x', 4, 320, 240), await picture(320, 240))).rejects.toMatchObject({ code: 'ERR_PROJ_SHUT_DOWN' });
    expect(() => engine.setSourceSpec('x', new SourceSpec())).toThrow(expect.objectContaining({ code: 'ERR_PROJ_SHUT_DOWN' }));
  });

  it('encodes a dGPU encoder config on a machine without NVENC through the CPU fallback, losing nothing', async () => {
    const out = new Outputs();
    const engine = new PicassoEngine(new GeneralSpec(), { onEncodedFrame: out.push });
    const dgpu = h264(160, 160).properties(EncoderProperties.h264Dgpu(new H264DgpuProps({ bitrate: 800_000, iframeinterval: 10 })));
    engine.setSourceSpec('fb', new SourceSpec({ codec: CodecSpec.encode({}, dgpu) }));
    for (let i = 0; i < 6; i++) await engine.sendFrame('fb', frame('fb', i, 320, 240), await picture(320, 240));
    await sleep(100);
    const backend = engine.stats().sources[0]!.encoderBackend;
    await engine.shutdown();
    expect(backend).toBe(hasNvenc() ? 'nvh264enc' : 'x264enc');
    expect(probeH264(out.bitstream())).toEqual({ frames: 6, width: 160, height: 160 });
  });

  it('reports stats: counters, queue, timings, backend; periodically too', async () => {
    const seen: number[] = [];
    const engine = new PicassoEngine(new GeneralSpec({ statsIntervalMs: 50 }), {
      onEncodedFrame: () => {},
      onStats: (s) => seen.push(s.sources.length),
    });
    engine.setSourceSpec('st', encodeSpec(redBoxes()));
    for (let i = 0; i < 8; i++) await engine.sendFrame('st', frame('st', i, 320, 240, [CAR]), await picture(320, 240));
    await until(() => engine.stats().sources[0]?.encoded === 8 && seen.length > 0);
    const s = engine.stats().sources[0]!;
    expect(s).toMatchObject({ sourceId: 'st', framesIn: 8, encoded: 8, errors: 0, queued: 0, inFlight: 0, encoderBackend: 'x264enc' });
    expect(s.drawMs.count).toBe(8);
    expect(s.encodeMs.p50).toBeGreaterThan(0);
    expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p50);
    expect(seen.length).toBeGreaterThan(0);
    await engine.shutdown();
  });
});

