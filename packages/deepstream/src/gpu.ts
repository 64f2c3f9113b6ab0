// The GPU helpers of the seed. Each takes an optional GPU id (default 0).
// With no usable NVIDIA GPU: `hasNvenc` and `isJetsonKernel` are false,
// `jetsonModel` is null, and the others throw a ProjError with code
// ERR_PROJ_CUDA_UNAVAILABLE.
import * as native from '@proj/native';
import { native as call, integerArgument } from '@proj/gstreamer/internal';

const gpu = (gpuId: number): number => integerArgument('gpuId', gpuId, 0, 0xffff_ffff);

/** Makes the CUDA context of the GPU (once per process). */
export function initCuda(gpuId = 0): void {
  call(() => native.initCuda(gpu(gpuId)));
}

/** The discrete GPU's architecture family ("hopper", "ada", "ampere", …); null on Jetson. */
export function gpuArchitecture(gpuId = 0): string | null {
  return call(() => native.gpuArchitecture(gpu(gpuId))) ?? null;
}

/** GPU memory in use, in MiB (the device's on a dGPU, the system's on Jetson). */
export function gpuMemUsedMib(gpuId = 0): number {
  return call(() => native.gpuMemUsedMib(gpu(gpuId)));
}

/** A directory-safe tag for engine caches: "hopper", "orin_nano_8gb", or "unknown". */
export function gpuPlatformTag(gpuId = 0): string {
  return call(() => native.gpuPlatformTag(gpu(gpuId)));
}

/** Whether hardware H.264 encoding (NVENC) works on the GPU: false on H100, H200, A100, Orin Nano and machines with no GPU. */
export function hasNvenc(gpuId = 0): boolean {
  return call(() => native.hasNvenc(gpu(gpuId)));
}

/** Whether the kernel is a Jetson (Tegra) kernel. */
export function isJetsonKernel(): boolean {
  return native.isJetsonKernel();
}

/** The Jetson model ("Orin Nano 8GB", "AGX Orin 64GB", …); null off Jetson or for an unknown module. */
export function jetsonModel(gpuId = 0): string | null {
  return call(() => native.jetsonModel(gpu(gpuId))) ?? null;
}
