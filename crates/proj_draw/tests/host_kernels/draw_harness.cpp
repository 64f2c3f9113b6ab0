// Runs the drawing kernels of crates/proj_buffers/src/cuda/draw.cu on the
// CPU: the CUDA built-ins become globals and each launch's grid becomes
// loops. Used by tests/draw_kernel_on_host.rs to check that a recorded
// draw list comes out on the "GPU" byte for byte as the CPU renderer draws
// it, on machines with no GPU.
//
//   draw_harness PLAN PICTURE_IN PICTURE_OUT
//
// PLAN: little-endian u32 words: width height pitch n_prim_words n_tiles
// n_items n_steps arena_len blur_bytes atlas_len, then the primitives, the
// tiles (4 words each), the items, the steps (4 words each: 0 first count 0
// for tiles, 1 prim width height for a blur), then the arena's bytes, then
// the glyph atlas's.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
struct Index3 { unsigned x, y, z; };
static Index3 threadIdx, blockIdx, blockDim;

#include "draw.cu"

static std::vector<unsigned char> read_file(const char* path) {
    std::vector<unsigned char> bytes;
    FILE* f = std::fopen(path, "rb");
    if (!f) { std::perror(path); std::exit(2); }
    unsigned char buffer[65536];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
    std::fclose(f);
    return bytes;
}

int main(int argc, char** argv) {
    if (argc != 4) { std::fprintf(stderr, "usage: draw_harness PLAN IN OUT\n"); return 2; }
    if (sizeof(DrawPrim) != 26 * 4 || sizeof(TileArg) != 16) { std::fprintf(stderr, "layout: DrawPrim %zu bytes\n", sizeof(DrawPrim)); return 3; }
    std::vector<unsigned char> plan = read_file(argv[1]);
    std::vector<unsigned char> picture = read_file(argv[2]);
    size_t at = 0;
    auto word = [&]() { unsigned v; std::memcpy(&v, &plan[at], 4); at += 4; return v; };
    const int width = (int)word(), height = (int)word(), pitch = (int)word();
    const unsigned n_words = word(), n_tiles = word(), n_items = word(), n_steps = word(), arena_len = word(), blur_bytes = word();
    const unsigned atlas_len = word();
    std::vector<DrawPrim> prims(n_words / 26 + 1);
    std::memcpy(prims.data(), &plan[at], n_words * 4); at += n_words * 4;
    std::vector<TileArg> tiles(n_tiles + 1);
    std::memcpy(tiles.data(), &plan[at], n_tiles * 16); at += n_tiles * 16;
    std::vector<int> items(n_items + 1);
    std::memcpy(items.data(), &plan[at], n_items * 4); at += n_items * 4;
    std::vector<unsigned> steps(n_steps * 4 + 4);
    std::memcpy(steps.data(), &plan[at], n_steps * 16); at += n_steps * 16;
    std::vector<unsigned char> arena(arena_len + 1);
    std::memcpy(arena.data(), &plan[at], arena_len); at += arena_len;
    std::vector<unsigned char> atlas(atlas_len + 1);
    std::memcpy(atlas.data(), &plan[at], atlas_len);
    std::vector<unsigned char> a(blur_bytes + 4), b(blur_bytes + 4);
    const unsigned long long base = (unsigned long long)picture.data();
    (void)height;

    for (unsigned s = 0; s < n_steps; ++s) {
        const unsigned* step = &steps[s * 4];
        if (step[0] == 0) {
            blockDim = Index3{16, 16, 1};
            for (unsigned t = 0; t < step[2]; ++t) {
                blockIdx = Index3{t, 0, 0};
                for (unsigned ty = 0; ty < 16; ++ty)
                    for (unsigned tx = 0; tx < 16; ++tx) {
                        threadIdx = Index3{tx, ty, 0};
                        draw_tiles(base, pitch, width, height, prims.data(), tiles.data(), (int)step[1], items.data(), arena.data(), atlas.data());
                    }
            }
        } else {
            const int prim = (int)step[1];
            const unsigned w = step[2], h = step[3];
            blockDim = Index3{64, 1, 1};
            for (unsigned block = 0; block < (h + 63) / 64; ++block)
                for (unsigned t = 0; t < 64; ++t) {
                    blockIdx = Index3{block, 0, 0};
                    threadIdx = Index3{t, 0, 0};
                    draw_blur_rows(base, pitch, prims.data(), prim, a.data(), b.data());
                }
            for (unsigned block = 0; block < (w + 63) / 64; ++block)
                for (unsigned t = 0; t < 64; ++t) {
                    blockIdx = Index3{block, 0, 0};
                    threadIdx = Index3{t, 0, 0};
                    draw_blur_columns(base, pitch, prims.data(), prim, a.data(), b.data(), arena.data());
                }
        }
    }
    FILE* out = std::fopen(argv[3], "wb");
    if (!out) { std::perror(argv[3]); return 2; }
    std::fwrite(picture.data(), 1, picture.size(), out);
    std::fclose(out);
    return 0;
}
