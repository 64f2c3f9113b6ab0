// A motion detector over a model's input picture: the difference with the
// source's previous picture, thresholded on a coarse grid, grouped into
// connected regions; each region is a box in the picture's pixels.
// Frame differencing finds the leading and trailing edges of an evenly
// coloured object, so one object can give two boxes. A real
// algorithm on real pixels, standing in for a neural network (the example
// ships none and downloads none).

const CELL = 4; // pixels per grid cell side
const THRESHOLD = 20; // mean luma difference of a cell that counts as motion
const GAP = 3; // compared with the picture this many frames back: slow motion shows
const MIN_CELLS = 6; // smaller regions are noise

export class MotionDetector {
  #previous = new Map();

  /** Boxes `{ xc, yc, width, height, cells }` in the picture's pixels. */
  detect(sourceId, rgba, width, height) {
    const gw = Math.floor(width / CELL);
    const gh = Math.floor(height / CELL);
    const luma = new Float32Array(gw * gh);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        let sum = 0;
        for (let y = gy * CELL; y < gy * CELL + CELL; y += 2) {
          for (let x = gx * CELL; x < gx * CELL + CELL; x += 2) {
            const o = (y * width + x) * 4;
            sum += 0.299 * rgba[o] + 0.587 * rgba[o + 1] + 0.114 * rgba[o + 2];
          }
        }
        luma[gy * gw + gx] = sum / ((CELL * CELL) / 4);
      }
    }
    const history = this.#previous.get(sourceId) ?? [];
    this.#previous.set(sourceId, history);
    history.push(luma);
    if (history.length <= GAP) return [];
    const previous = history.shift();
    const moving = new Uint8Array(gw * gh);
    for (let i = 0; i < moving.length; i++) moving[i] = Math.abs(luma[i] - previous[i]) > THRESHOLD ? 1 : 0;
    return regions(moving, gw, gh).filter((r) => r.cells >= MIN_CELLS).map((r) => ({
      xc: ((r.x0 + r.x1 + 1) / 2) * CELL,
      yc: ((r.y0 + r.y1 + 1) / 2) * CELL,
      width: (r.x1 - r.x0 + 1) * CELL,
      height: (r.y1 - r.y0 + 1) * CELL,
      cells: r.cells,
    }));
  }
}

/** 8-connected regions of set cells, by flood fill. */
function regions(mask, w, h) {
  const seen = new Uint8Array(mask.length);
  const out = [];
  const stack = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    const r = { x0: w, y0: h, x1: 0, y1: 0, cells: 0 };
    stack.push(start);
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop();
      const x = i % w;
      const y = (i - x) / w;
      r.cells++;
      r.x0 = Math.min(r.x0, x);
      r.x1 = Math.max(r.x1, x);
      r.y0 = Math.min(r.y0, y);
      r.y1 = Math.max(r.y1, y);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const j = ny * w + nx;
          if (mask[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    out.push(r);
  }
  return out;
}
