// A recorder process for the ChunkedWriter tests, killed or traced by them.
//   node chunked-child.mjs <dir> crash   records two cameras and a data track
//                                        at real-time pace until killed,
//                                        printing `W <frame> <epoch ms>` once
//                                        every stream took frame <frame>
//   node chunked-child.mjs <dir> short   records 1.5 s (0.5 s chunks) as fast
//                                        as it can, stops, prints every event
//                                        as a JSON line and the manifest
//   node chunked-child.mjs <dir> paced   the same at real-time pace
// FSYNC_INTERVAL_MS sets the writer's fsyncIntervalMs.
import { ChunkedWriter } from '@proj/gstreamer';

const [dir, mode] = process.argv.slice(2);
const FPS = 30;
const writer = new ChunkedWriter(
  'child',
  dir,
  { cam0: { width: 160, height: 120, fps: FPS, streamOptions: { preset: 'ultrafast' } }, cam1: { width: 96, height: 64, fps: FPS } },
  {
    chunkLengthS: 0.5,
    sensorStreamConfigs: { imu: { codec: 'json' } },
    fsyncIntervalMs: process.env.FSYNC_INTERVAL_MS ? Number(process.env.FSYNC_INTERVAL_MS) : undefined,
  },
);
for (const kind of ['chunk-durable', 'chunk-failed', 'salvaged', 'stream-stalled']) {
  writer.on(kind, (info, error) =>
    process.stdout.write(`EVENT ${JSON.stringify({ kind, info, code: error?.code ?? null }, (_, v) => (typeof v === 'bigint' ? String(v) : v))}\n`),
  );
}
writer.on('error', (e) => process.stdout.write(`ERROR ${e.code} ${e.message}\n`));
await writer.start();
const cam0 = new Uint8Array(160 * 120 * 3);
const cam1 = new Uint8Array(96 * 64 * 3);
const t0 = Date.now();
process.stdout.write(`READY ${t0}\n`);
const frames = mode === 'crash' ? 30 * FPS : 45;
for (let i = 0; i < frames; i++) {
  const at = t0 + (i * 1000) / FPS;
  if (mode !== 'short') {
    const wait = at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  for (let p = 0; p < cam0.length; p += 3) cam0[p] = (p / 3 + i * 4) & 255;
  cam1.fill(i * 5);
  const ts = BigInt(Math.round(at * 1000)) * 1000n;
  await Promise.all([writer.writeFrame('cam0', cam0, ts), writer.writeFrame('cam1', cam1, ts), writer.writeData('imu', `{"i":${i}}\n`, ts)]);
  process.stdout.write(`W ${i} ${Date.now()}\n`);
}
const manifest = await writer.stop();
process.stdout.write(`MANIFEST ${JSON.stringify(manifest)}\n`);
