// Draw lists (crates/proj_draw's primitives) executed on a picture in GPU
// memory, glyph masks read from a glyph atlas kept on the GPU from frame to
// frame: one launch of draw_tiles per run of primitives between blurs,
// over 16 × 16 tiles, one thread per pixel, each walking its tile's
// primitives in order; a blur is two launches (rows, then columns). The
// arithmetic is the CPU renderer's, operation for operation (compiled with
// --fmad=false, as the host harness is with -ffp-contract=off), so both
// platforms give the same bytes. Plain C arithmetic that the host C++
// compiler also accepts (crates/proj_draw/tests/draw_kernel_on_host.rs).

#define DRAW_FRAME 0
#define DRAW_MASK 1
#define DRAW_LAYER 2
#define DRAW_BLUR 3
#define DRAW_GLYPH 4

#define SOFT_WHOLE 0
#define SOFT_ALIGNED 1
#define SOFT_MASK 2

// 26 four-byte words, as proj_buffers' DrawPrim::words writes them.
struct DrawPrim {
    unsigned kind;
    unsigned pixel;     // the colour's bytes in the picture's order, alpha lane 255, byte 0 lowest
    unsigned alpha;     // 0–255
    unsigned offset;    // arena offset: a mask, a layer, a blur's coverage; atlas offset: a glyph
    float outer[4];     // frame: left top right bottom (clipped); blur: the soft rectangle
    float inner[4];     // frame: the hole; left > right when none
    int rect[4];        // mask: where it lands (x0 y0 x1 y1, unclipped); layer and blur: the region
    unsigned soft;      // blur: SOFT_*
    unsigned passes[6]; // blur: (left, right) reach of each of the three box passes
    unsigned inv[3];    // blur: each pass's 2^22 / size, rounded
};

struct TileArg {
    int x0, y0;      // the tile's first pixel
    int start, end;  // its primitives: items[start..end]
};

__device__ __forceinline__ unsigned draw_div255(unsigned v) {
    v += 128u;
    return (v + (v >> 8)) >> 8;
}

__device__ __forceinline__ float draw_overlap(int p, float a, float b) {
    const float pf = (float)p;
    const float hi = b < pf + 1.0f ? b : pf + 1.0f;
    const float lo = a > pf ? a : pf;
    float c = hi - lo;
    c = c < 0.0f ? 0.0f : (c > 1.0f ? 1.0f : c);
    return c;
}

__device__ __forceinline__ unsigned char draw_coverage_alpha(unsigned alpha, float coverage) {
    const float v = (float)alpha * coverage + 0.5f;
    return v >= 255.0f ? 255 : (unsigned char)v;
}

__device__ __forceinline__ void draw_blend(unsigned char* d, unsigned pixel, unsigned a) {
    const unsigned ia = 255u - a;
    for (int k = 0; k < 4; ++k) {
        const unsigned s = (pixel >> (8 * k)) & 255u;
        d[k] = (unsigned char)draw_div255(s * a + d[k] * ia);
    }
}

// One thread per pixel of one tile (blockDim 16 × 16); blockIdx.x picks
// the tile among `tiles[first ..]`.
extern "C" __global__ void draw_tiles(
    unsigned long long picture, int pitch, int width, int height,
    const DrawPrim* prims, const TileArg* tiles, int first, const int* items,
    const unsigned char* arena, const unsigned char* atlas) {
    const TileArg tile = tiles[first + (int)blockIdx.x];
    const int x = tile.x0 + (int)threadIdx.x;
    const int y = tile.y0 + (int)threadIdx.y;
    if (x >= width || y >= height) return;
    unsigned char* p = (unsigned char*)(picture + (unsigned long long)y * (unsigned long long)pitch) + x * 4;
    unsigned char d[4] = {p[0], p[1], p[2], p[3]};
    for (int i = tile.start; i < tile.end; ++i) {
        const DrawPrim* q = &prims[items[i]];
        if (q->kind == DRAW_FRAME) {
            if ((float)x + 1.0f <= q->outer[0] || (float)x >= q->outer[2]) continue;
            const float vo = draw_overlap(y, q->outer[1], q->outer[3]);
            const float ho = draw_overlap(x, q->outer[0], q->outer[2]);
            float vi = 0.0f, hi = 0.0f;
            if (q->inner[0] <= q->inner[2]) {
                vi = draw_overlap(y, q->inner[1], q->inner[3]);
                hi = draw_overlap(x, q->inner[0], q->inner[2]);
            }
            float coverage = vo * ho - vi * hi;
            coverage = coverage < 0.0f ? 0.0f : (coverage > 1.0f ? 1.0f : coverage);
            const unsigned a = draw_coverage_alpha(q->alpha, coverage);
            if (a != 0) draw_blend(d, q->pixel, a);
        } else if (q->kind == DRAW_MASK || q->kind == DRAW_GLYPH) {
            if (x < q->rect[0] || x >= q->rect[2] || y < q->rect[1] || y >= q->rect[3]) continue;
            const int w = q->rect[2] - q->rect[0];
            const unsigned char* masks = q->kind == DRAW_GLYPH ? atlas : arena;
            const unsigned c = masks[q->offset + (unsigned)((y - q->rect[1]) * w + (x - q->rect[0]))];
            const unsigned a = draw_div255(q->alpha * c);
            if (a != 0) draw_blend(d, q->pixel, a);
        } else if (q->kind == DRAW_LAYER) {
            if (x < q->rect[0] || x >= q->rect[2] || y < q->rect[1] || y >= q->rect[3]) continue;
            const int w = q->rect[2] - q->rect[0];
            const unsigned char* s = arena + q->offset + (unsigned)((y - q->rect[1]) * w + (x - q->rect[0])) * 4u;
            if (s[3] == 0) continue;
            const unsigned ia = 255u - s[3];
            for (int k = 0; k < 4; ++k) {
                const unsigned v = s[k] + draw_div255(d[k] * ia);
                d[k] = (unsigned char)(v > 255u ? 255u : v);
            }
        }
    }
    p[0] = d[0];
    p[1] = d[1];
    p[2] = d[2];
    p[3] = d[3];
}

__device__ __forceinline__ unsigned char draw_scaled(unsigned sum, unsigned inv) {
    const unsigned v = (sum * inv + (1u << 21)) >> 22;
    return (unsigned char)(v > 255u ? 255u : v);
}

// One box pass along a line of n pixels (`step` bytes apart) from src to
// dst, edges clamped: the CPU's box_rows / box_columns for one line.
__device__ void draw_box_line(const unsigned char* src, unsigned char* dst, int n, int step,
                              unsigned left, unsigned right, unsigned inv) {
    const int last = n - 1;
    unsigned sum[4] = {0, 0, 0, 0};
    for (unsigned i = 0; i <= left + right; ++i) {
        int at = (int)i - (int)left;
        at = at < 0 ? 0 : (at > last ? last : at);
        for (int k = 0; k < 4; ++k) sum[k] += src[at * step + k];
    }
    for (int x = 0; x < n; ++x) {
        for (int k = 0; k < 4; ++k) dst[x * step + k] = draw_scaled(sum[k], inv);
        int add = x + (int)right + 1;
        add = add > last ? last : add;
        int sub = x - (int)left;
        sub = sub < 0 ? 0 : sub;
        for (int k = 0; k < 4; ++k) sum[k] = sum[k] + src[add * step + k] - src[sub * step + k];
    }
}

// A blur's three horizontal passes: one thread per row of the region,
// picture → a → b → a (scratch buffers of the region's size, rows packed).
extern "C" __global__ void draw_blur_rows(
    unsigned long long picture, int pitch, const DrawPrim* prims, int prim,
    unsigned char* a, unsigned char* b) {
    const DrawPrim* q = &prims[prim];
    const int w = q->rect[2] - q->rect[0], h = q->rect[3] - q->rect[1];
    const int row = (int)(blockIdx.x * blockDim.x + threadIdx.x);
    if (row >= h) return;
    const unsigned char* src = (const unsigned char*)(picture + (unsigned long long)(q->rect[1] + row) * (unsigned long long)pitch) + q->rect[0] * 4;
    unsigned char* ra = a + (size_t)row * (size_t)w * 4;
    unsigned char* rb = b + (size_t)row * (size_t)w * 4;
    draw_box_line(src, ra, w, 4, q->passes[0], q->passes[1], q->inv[0]);
    draw_box_line(ra, rb, w, 4, q->passes[2], q->passes[3], q->inv[1]);
    draw_box_line(rb, ra, w, 4, q->passes[4], q->passes[5], q->inv[2]);
}

// The three vertical passes, one thread per column: a → b → a → laid back
// on the picture, mixed by the blur's coverage (whole, soft-edged
// rectangle, or a mask from the arena).
extern "C" __global__ void draw_blur_columns(
    unsigned long long picture, int pitch, const DrawPrim* prims, int prim,
    unsigned char* a, unsigned char* b, const unsigned char* arena) {
    const DrawPrim* q = &prims[prim];
    const int w = q->rect[2] - q->rect[0], h = q->rect[3] - q->rect[1];
    const int col = (int)(blockIdx.x * blockDim.x + threadIdx.x);
    if (col >= w) return;
    const int step = w * 4;
    draw_box_line(a + col * 4, b + col * 4, h, step, q->passes[0], q->passes[1], q->inv[0]);
    draw_box_line(b + col * 4, a + col * 4, h, step, q->passes[2], q->passes[3], q->inv[1]);
    // The last pass goes to b, then onto the picture.
    draw_box_line(a + col * 4, b + col * 4, h, step, q->passes[4], q->passes[5], q->inv[2]);
    const int x = q->rect[0] + col;
    for (int row = 0; row < h; ++row) {
        const int y = q->rect[1] + row;
        unsigned char* p = (unsigned char*)(picture + (unsigned long long)y * (unsigned long long)pitch) + x * 4;
        const unsigned char* blurred = b + (size_t)row * (size_t)step + col * 4;
        unsigned c = 255;
        if (q->soft == SOFT_ALIGNED) {
            const float v = draw_overlap(y, q->outer[1], q->outer[3]);
            const float hx = draw_overlap(x, q->outer[0], q->outer[2]);
            const float f = v * hx * 255.0f + 0.5f;
            c = f >= 255.0f ? 255u : (unsigned)f;
        } else if (q->soft == SOFT_MASK) {
            c = arena[q->offset + (unsigned)(row * w + col)];
        }
        for (int k = 0; k < 4; ++k) p[k] = (unsigned char)draw_div255(blurred[k] * c + p[k] * (255u - c));
    }
}
