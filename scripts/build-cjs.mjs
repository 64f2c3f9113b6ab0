#!/usr/bin/env node
// The CommonJS build of a package (run from its folder, after the ESM build):
// the same sources through tsc as CommonJS into dist/cjs, with the
// package.json that tells Node those .js files are CommonJS. The packages'
// "exports" send `require` there and `import` to dist/.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--module', 'commonjs', '--moduleResolution', 'node10', '--esModuleInterop', '--outDir', 'dist/cjs'], {
  stdio: 'inherit',
});
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
