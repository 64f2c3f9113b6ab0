// Runs the CUDA kernels of src/cuda/kernels.cu on the CPU: the CUDA
// built-ins become globals and the launch grid becomes loops. Used by
// tests/kernels_on_host.rs to check the kernels' arithmetic against the CPU
// platform on machines with no GPU.
//
//   harness letterbox IN OUT sw sh ch dw dh  cx cy cw chh  rx ry rw rh  filter  b0 b1 b2 b3
//   harness yuv420    IN OUT layout sw sh dw dh  cx cy cw chh  rx ry rw rh  filter bgr matrix full_range
//   harness rgb_i420  IN OUT w h full_range
//
// IN holds tightly packed planes; OUT receives them tightly packed. Planes
// are given a pitch wider than their rows, as cuMemAllocPitch does.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
struct Index3 { unsigned x, y, z; };
static Index3 threadIdx, blockIdx, blockDim;

#include "kernels.cu"

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

// A pitched copy of a packed plane, like a device allocation.
struct Pitched {
    std::vector<unsigned char> bytes;
    PlaneArg arg;
    Pitched(int width, int height, int channels, const unsigned char* packed) {
        const int row = width * channels, pitch = row + 64;
        bytes.assign((size_t)pitch * height, 0xAB);
        if (packed) for (int y = 0; y < height; ++y) std::memcpy(&bytes[(size_t)y * pitch], packed + (size_t)y * row, row);
        arg = PlaneArg{(unsigned long long)bytes.data(), pitch, width, height, channels};
    }
    void write_packed(std::vector<unsigned char>& out) const {
        const int row = arg.width * arg.channels;
        for (int y = 0; y < arg.height; ++y) out.insert(out.end(), &bytes[(size_t)y * arg.pitch], &bytes[(size_t)y * arg.pitch] + row);
    }
};

template <typename Kernel>
static void launch(const PlaneArg& dst, Kernel kernel) {
    blockDim = Index3{32, 8, 1};
    const unsigned gx = (dst.width + 31) / 32, gy = (dst.height + 7) / 8;
    for (unsigned by = 0; by < gy; ++by)
        for (unsigned bx = 0; bx < gx; ++bx)
            for (unsigned ty = 0; ty < 8; ++ty)
                for (unsigned tx = 0; tx < 32; ++tx) {
                    blockIdx = Index3{bx, by, 0};
                    threadIdx = Index3{tx, ty, 0};
                    kernel();
                }
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const std::string kind = argv[1];
    std::vector<int> a;
    std::vector<float> f;
    for (int i = 4; i < argc; ++i) { a.push_back(std::atoi(argv[i])); f.push_back((float)std::atof(argv[i])); }
    const std::vector<unsigned char> in = read_file(argv[2]);
    std::vector<unsigned char> out;
    if (kind == "letterbox" && a.size() == 18) {
        const int sw = a[0], sh = a[1], ch = a[2], dw = a[3], dh = a[4];
        if (in.size() != (size_t)sw * sh * ch) return 3;
        Pitched src(sw, sh, ch, in.data()), dst(dw, dh, ch, nullptr);
        ScaleArg s{f[5], f[6], f[7], f[8], a[9], a[10], a[11], a[12], a[13], {a[14], a[15], a[16], a[17]}};
        launch(dst.arg, [&] { letterbox_plane(src.arg, dst.arg, s); });
        dst.write_packed(out);
    } else if (kind == "yuv420" && a.size() == 17) {
        const int layout = a[0], sw = a[1], sh = a[2], dw = a[3], dh = a[4];
        const int cw = (sw + 1) / 2, chh = (sh + 1) / 2;
        const size_t luma = (size_t)sw * sh, chroma = (size_t)cw * chh;
        if (in.size() != luma + 2 * chroma) return 3;
        Pitched y(sw, sh, 1, in.data());
        Pitched ca(cw, chh, layout == LAYOUT_I420 ? 1 : 2, in.data() + luma);
        Pitched cb(cw, chh, 1, in.data() + luma + chroma);
        Pitched dst(dw, dh, 4, nullptr);
        ScaleArg s{f[5], f[6], f[7], f[8], a[9], a[10], a[11], a[12], a[13], {0, 0, 0, 0}};
        const int bgr = a[14], matrix = a[15], full_range = a[16];
        launch(dst.arg, [&] {
            yuv420_to_rgb(y.arg, ca.arg, layout == LAYOUT_I420 ? cb.arg : ca.arg, layout, dst.arg, s, bgr, matrix, full_range);
        });
        dst.write_packed(out);
    } else if (kind == "rgb_i420" && a.size() == 3) {
        const int w = a[0], h = a[1], full_range = a[2];
        const int cw = (w + 1) / 2, chh = (h + 1) / 2;
        if (in.size() != (size_t)w * h * 4) return 3;
        Pitched src(w, h, 4, in.data()), y(w, h, 1, nullptr), u(cw, chh, 1, nullptr), v(cw, chh, 1, nullptr);
        launch(u.arg, [&] { rgb_to_i420(src.arg, y.arg, u.arg, v.arg, full_range); });
        y.write_packed(out);
        u.write_packed(out);
        v.write_packed(out);
    } else {
        std::fprintf(stderr, "bad arguments\n");
        return 2;
    }
    FILE* o = std::fopen(argv[3], "wb");
    if (!o || std::fwrite(out.data(), 1, out.size(), o) != out.size()) return 4;
    std::fclose(o);
    return 0;
}
