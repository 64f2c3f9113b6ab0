//! Drawing: the draw spec, fonts, `drawObjects`, draw lists and canvases.

mod list;
mod render;
mod spec;
