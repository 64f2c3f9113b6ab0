// Type-checked (not run) by scripts/install-test.sh: the CommonJS .d.ts
// (the packages' "require" condition), as a CommonJS TypeScript user has them.
import deepstream = require('@proj/deepstream');
import gstreamer = require('@proj/gstreamer');
import picasso = require('@proj/picasso');

export const frame: deepstream.VideoFrame = new deepstream.VideoFrame({ sourceId: 'cam', width: 320, height: 240 });
export const codec: gstreamer.Codec = gstreamer.Codec.H264;
export type Engine = picasso.PicassoEngine;
