// The CommonJS entry points of the installed packages: each loads, with its
// types' runtime values, and a native call works through them.
//   node smoke.cjs
'use strict';
const native = require('@proj/native');
const gstreamer = require('@proj/gstreamer');
const deepstream = require('@proj/deepstream');
const picasso = require('@proj/picasso');

const check = (ok, what) => {
  if (!ok) throw new Error(`smoke (CJS): ${what}`);
};
check(typeof native.VideoFrame === 'function', '@proj/native exports VideoFrame');
check(typeof gstreamer.Mp4Muxer === 'function' && gstreamer.Codec.H264 !== undefined, '@proj/gstreamer exports Mp4Muxer and Codec');
check(typeof deepstream.FlexibleDecoderPool === 'function', '@proj/deepstream exports FlexibleDecoderPool');
check(typeof picasso.PicassoEngine === 'function', '@proj/picasso exports PicassoEngine');
const frame = new deepstream.VideoFrame({ sourceId: 'cam', width: 320, height: 240 });
frame.addTransformation(deepstream.transformPlacement(320, 240, 256, 256).letterBox);
const g = frame.geometry();
check(g.currentWidth === 256 && g.currentHeight === 256 && g.offsetY === 32, `letterbox geometry ${JSON.stringify(g)}`);
check(picasso.fontFamilies().includes('dejavu sans'), `the built-in font is there (${picasso.fontFamilies()})`);
// A typed error comes through the CJS build too.
let code;
try {
  new gstreamer.Mp4Muxer(gstreamer.Codec.H264, '', { fpsNum: -1 });
} catch (error) {
  code = error.code;
}
check(typeof code === 'string' && code.startsWith('ERR_PROJ_'), `a typed error (${code})`);
console.log(`smoke (${process.arch}, CommonJS): all four packages load; ${code} for a bad muxer`);
