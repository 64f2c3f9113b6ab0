// The spec's encoder configuration: every property set with every field,
// checked when it is built (natively, by the code the encoder uses), and
// the CPU encoder a config maps onto where NVENC is missing (this machine).
import * as native from '@proj/native';
import { describe, expect, it } from 'vitest';

import { kinds } from '../src/encoder-config.js';
import {
  Av1CpuProps,
  Av1DgpuProps,
  Av1JetsonProps,
  CpuPreset,
  DgpuPreset,
  EncoderConfig,
  EncoderProperties,
  ErrorCode,
  H264CpuProps,
  H264DgpuProps,
  H264JetsonProps,
  H264Profile,
  HevcCpuProps,
  HevcDgpuProps,
  HevcJetsonProps,
  HevcProfile,
  JetsonPresetLevel,
  JpegProps,
  PngProps,
  RateControl,
  TuningPreset,
  VideoFormat,
} from '../src/index.js';
import { codeOf } from './support/code-of.js';

const isJetson = native.isJetsonKernel();

const fullDgpu = {
  bitrate: 4_000_000,
  controlRate: RateControl.VARIABLE_BITRATE,
  iframeinterval: 60,
  idrinterval: 60,
  preset: DgpuPreset.P4,
  tuningInfo: TuningPreset.LOW_LATENCY,
  qpRange: '10,40:8,38:-1,-1',
  maxBitrate: 6_000_000,
  vbvBufSize: 2_000_000,
  vbvInit: 1_000_000,
  cq: 23,
  aq: 8,
  temporalAq: true,
};
const fullJetson = {
  bitrate: 3_000_000,
  controlRate: RateControl.CONSTANT_BITRATE,
  iframeinterval: 30,
  idrinterval: 60,
  presetLevel: JetsonPresetLevel.FAST,
  peakBitrate: 4_000_000,
  vbvSize: 3_000_000,
  qpRange: '10,40:8,38:10,42',
  quantIFrames: 20,
  quantPFrames: 24,
  ratecontrolEnable: true,
  maxperfEnable: true,
  twoPassCbr: false,
  numRefFrames: 2,
};

describe('encoder property sets', () => {
  it('take every field of the spec (and ours), and give them back', () => {
    const sets = [
      new H264DgpuProps({ ...fullDgpu, profile: H264Profile.HIGH, initQp: '20:22:24', extendedColorformat: true }),
      new HevcDgpuProps({ ...fullDgpu, profile: HevcProfile.MAIN, initQp: '20:22:24', extendedColorformat: false }),
      new Av1DgpuProps(fullDgpu),
      new H264JetsonProps({ ...fullJetson, profile: H264Profile.MAIN, insertSpsPps: true, insertAud: false, insertVui: true, disableCabac: false }),
      new HevcJetsonProps({ ...fullJetson, profile: HevcProfile.MAIN10, enableLossless: false }),
      new Av1JetsonProps({ ...fullJetson, quantBFrames: 26, insertSeqHdr: true, tiles: '1,0' }),
      new JpegProps({ quality: 85 }),
      new PngProps({ compressionLevel: 1 }),
      new H264CpuProps({ preset: CpuPreset.VERYFAST, rateControl: RateControl.CONSTANT_QP, bitrate: 2_000_000, qp: 22, keyframeInterval: 15, profile: H264Profile.BASELINE, threads: 1, openh264: false }),
      new HevcCpuProps({ preset: CpuPreset.ULTRAFAST, rateControl: RateControl.CONSTANT_BITRATE, bitrate: 2_000_000, qp: 26, keyframeInterval: 30, profile: HevcProfile.MAIN, threads: 2 }),
      new Av1CpuProps({ cpuUsed: 9, rateControl: RateControl.CONSTANT_BITRATE, bitrate: 1_000_000, minQuantizer: 10, maxQuantizer: 50, keyframeInterval: 30, threads: 1 }),
    ];
    for (const set of sets) {
      // Every field of the kind is set in these full sets, except the
      // CQP-only constQp (its own case below).
      const fields = Object.keys(kinds[set.kind]).filter((f) => f !== 'constQp').sort();
      expect(Object.keys(set.toJSON()).sort(), set.kind).toEqual(fields);
      expect(set.copy().toJSON()).toEqual(set.toJSON());
      expect(Object.isFrozen(set)).toBe(true);
    }
    const cqp = new H264DgpuProps({ controlRate: 'CONSTANT_QP' as RateControl, constQp: '20:24:28' });
    expect(cqp.controlRate).toBe(RateControl.CONSTANT_QP); // names parse in the seed's spelling
    expect(cqp.constQp).toBe('20:24:28');
  });

  it('refuse a field out of range, of another set, of a wrong type or an unknown name when built', () => {
    const at = (build: () => unknown) => codeOf(build);
    expect(at(() => new H264DgpuProps({ cq: 52 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new H264DgpuProps({ aq: 16 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new H264DgpuProps({ bitrate: 10 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new H264DgpuProps({ bitrate: 4_000_000, maxBitrate: 1_000_000 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new H264DgpuProps({ qpRange: '10:40' }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new H264DgpuProps({ constQp: '20:24:28' }))).toBe(ErrorCode.INVALID_ARGUMENT); // not CQP
    expect(at(() => new H264DgpuProps({ quality: 80 } as never))).toBe(ErrorCode.INVALID_ARGUMENT); // a JPEG field
    expect(at(() => new H264DgpuProps({ bitrat: 4_000_000 } as never))).toBe(ErrorCode.INVALID_ARGUMENT); // a typo
    expect(at(() => new H264DgpuProps({ controlRate: 'fast' as RateControl }))).toBe(ErrorCode.UNKNOWN_NAME);
    expect(() => new H264DgpuProps({ bitrate: '4M' as never })).toThrow(TypeError);
    expect(() => new H264DgpuProps({ temporalAq: 1 as never })).toThrow(TypeError);
    expect(() => new H264DgpuProps({ bitrate: -1 })).toThrow(RangeError);
    expect(at(() => new H264JetsonProps({ controlRate: RateControl.CONSTANT_QP }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new Av1JetsonProps({ tiles: '7,0' }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new JpegProps({ quality: 101 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new PngProps({ compressionLevel: 10 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new Av1CpuProps({ minQuantizer: 40, maxQuantizer: 20 }))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(at(() => new H264CpuProps({ rateControl: RateControl.CONSTANT_QP }))).toBe(ErrorCode.INVALID_ARGUMENT); // no qp
    expect(() => EncoderProperties.h264Dgpu(new JpegProps() as never)).toThrow(TypeError);
  });
});

describe('EncoderConfig', () => {
  it('is checked whole at every builder: codec of the set, platform, sizes, format', () => {
    const config = new EncoderConfig('h264', 1280, 720).fps(25, 1).format(VideoFormat.RGBA);
    expect([config.codec, config.width, config.height, config.fpsNum, config.fpsDen, config.settings.format]).toEqual(['h264', 1280, 720, 25, 1, 'RGBA']);
    expect(config.encoderParams).toBeNull();
    const withProps = config.properties(EncoderProperties.h264Dgpu(new H264DgpuProps({ bitrate: 4_000_000 })));
    expect(withProps.encoderParams?.kind).toBe('h264Dgpu');
    expect(withProps.encoderParams?.platform).toBe('dgpu');
    expect(codeOf(() => config.properties(EncoderProperties.jpeg()))).toBe(ErrorCode.INVALID_ARGUMENT); // another codec
    if (!isJetson) expect(codeOf(() => config.properties(EncoderProperties.h264Jetson(new H264JetsonProps())))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => new EncoderConfig('h264', 641, 360))).toBe(ErrorCode.INVALID_ARGUMENT); // 4:2:0 needs even sides
    expect(new EncoderConfig('png', 641, 361).settings.format).toBe('RGBA'); // PNG takes RGBA, odd sides too
    expect(codeOf(() => new EncoderConfig('png', 641, 361).format('NV12'))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => new EncoderConfig('png', 64, 64).format(VideoFormat.GRAY8))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => new EncoderConfig('vp9', 64, 64))).toBe(ErrorCode.UNKNOWN_CODEC);
    expect(codeOf(() => new EncoderConfig('h264', 100_000, 64))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(() => new EncoderConfig('h264', 64, 64).fps(0, 1)).toThrow(RangeError);
  });

  it('says how the CPU encodes it where NVENC is missing, and which fields it cannot honour', () => {
    const props = new H264DgpuProps({ bitrate: 4_000_000, controlRate: RateControl.CONSTANT_BITRATE, iframeinterval: 60, idrinterval: 60, aq: 4, preset: DgpuPreset.P5 });
    const plan = new EncoderConfig('h264', 1280, 720).properties(EncoderProperties.h264Dgpu(props)).cpuPlan();
    expect(plan.element).toBe('x264enc');
    const value = (name: string) => plan.properties.find((p) => p.name === name)?.value;
    expect([value('bitrate'), value('key-int-max'), value('tune'), value('bframes'), value('speed-preset')]).toEqual(['4000', '60', 'zerolatency', '0', 'veryfast']);
    expect(plan.unmapped.sort()).toEqual(['aq', 'idrinterval']);
    expect(new EncoderConfig('av1', 640, 360).cpuPlan().properties.find((p) => p.name === 'max-quantizer')?.value).not.toBe('0');
    expect(new EncoderConfig('jpeg', 640, 360).properties(EncoderProperties.jpeg(new JpegProps({ quality: 90 }))).cpuPlan()).toMatchObject({ element: 'jpegenc', unmapped: [] });
  });

  it('enum and field tables match the native ones', () => {
    const names = native.encoderNames();
    expect(RateControl.values()).toEqual(names.rateControls);
    expect(DgpuPreset.values()).toEqual(names.dgpuPresets);
    expect(TuningPreset.values()).toEqual(names.tuningPresets);
    expect(H264Profile.values()).toEqual(names.h264Profiles);
    expect(HevcProfile.values()).toEqual(names.hevcProfiles);
    expect(JetsonPresetLevel.values()).toEqual(names.jetsonPresetLevels);
    expect(CpuPreset.values()).toEqual(names.cpuPresets);
    const nativeKinds = Object.fromEntries(names.propertyKinds.map((k) => k.split(':')).map(([k, f]) => [k, f!.split(',').sort()]));
    expect(Object.fromEntries(Object.entries(kinds).map(([k, f]) => [k, Object.keys(f).sort()]))).toEqual(nativeKinds);
  });
});
