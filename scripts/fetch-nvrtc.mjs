// Fetches NVRTC (libnvrtc.so.13) from PyPI's nvidia-cuda-nvrtc wheel into
// DIR, checks its SHA-256, and prints the folder holding the library. The
// tests use it to compile the CUDA kernels on machines with no CUDA
// toolkit (crates/proj_buffers/tests/nvrtc_compile.rs). Needs `unzip`.
//
//   node scripts/fetch-nvrtc.mjs DIR
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const WHEEL = {
  url: 'https://files.pythonhosted.org/packages/a9/54/db4e7f650746265f61c05cf1f8f556dd8c6739b58c823fbc9a7d6fda3247/nvidia_cuda_nvrtc-13.5.37-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl',
  sha256: '86b4d68058807988b7d9af5b44917a0601e9c337f35ccd657bfb3c759ff8d8bc',
};

const dir = resolve(process.argv[2] ?? '.cache/nvrtc');
const lib = join(dir, 'nvidia/cu13/lib');
if (!existsSync(join(lib, 'libnvrtc.so.13'))) {
  mkdirSync(dir, { recursive: true });
  const response = await fetch(WHEEL.url);
  if (!response.ok) throw new Error(`${WHEEL.url}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== WHEEL.sha256) throw new Error(`nvidia-cuda-nvrtc wheel: sha256 ${digest}, expected ${WHEEL.sha256}`);
  const wheel = join(dir, 'nvrtc.whl');
  writeFileSync(wheel, bytes);
  execFileSync('unzip', ['-o', '-q', wheel, 'nvidia/cu13/lib/*', '-d', dir]);
}
console.log(lib);
