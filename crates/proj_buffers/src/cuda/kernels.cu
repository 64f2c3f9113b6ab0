// Kernels of the CUDA platform, compiled at run time by NVRTC (kernels.rs).
// The same text is compiled by the host C++ compiler in
// crates/proj_buffers/tests/kernels_on_host.rs with a header that stands in
// for the CUDA built-ins, so its arithmetic is tested on machines with no
// GPU. Keep it to plain C arithmetic that both compilers accept.
//
// One thread writes one destination pixel (every channel of it).

struct PlaneArg {
    unsigned long long ptr; // device address of the first row
    int pitch;              // bytes per row
    int width;              // pixels
    int height;             // rows
    int channels;           // interleaved bytes per pixel (1, 2 or 4)
};

struct ScaleArg {
    float src_x, src_y, src_w, src_h; // the source crop, in plane pixels
    int dst_x, dst_y, dst_w, dst_h;   // the picture in the destination; the rest is black
    int filter;                       // FILTER_* below
    int black[4];                     // the bar colour, per channel
};

#define FILTER_NEAREST 0
#define FILTER_BILINEAR 1
#define FILTER_CATMULL_ROM 2
#define FILTER_BOX 3
#define FILTER_LANCZOS3 4

// Colour conversion: the chroma layout and the YUV matrix.
#define LAYOUT_NV12 0
#define LAYOUT_NV21 1
#define LAYOUT_I420 2
#define MATRIX_BT601 0
#define MATRIX_BT709 1
#define MATRIX_BT2020 2

__device__ __forceinline__ int clamp_int(int v, int lo, int hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

__device__ __forceinline__ unsigned char to_byte(float v) {
    return (unsigned char)clamp_int((int)floorf(v + 0.5f), 0, 255);
}

// Adds w times pixel (x, y), edges clamped, to acc: every channel.
__device__ __forceinline__ void accumulate(const PlaneArg& p, int x, int y, float w, float* acc) {
    x = clamp_int(x, 0, p.width - 1);
    y = clamp_int(y, 0, p.height - 1);
    const unsigned char* pixel = (const unsigned char*)(p.ptr + (unsigned long long)y * p.pitch) + x * p.channels;
    for (int c = 0; c < p.channels; ++c) acc[c] += w * (float)pixel[c];
}

__device__ __forceinline__ float catmull_rom(float x) {
    x = fabsf(x);
    if (x < 1.0f) return (1.5f * x - 2.5f) * x * x + 1.0f;
    if (x < 2.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
    return 0.0f;
}

__device__ __forceinline__ float sinc(float x) {
    if (fabsf(x) < 1e-6f) return 1.0f;
    const float pi_x = 3.14159265358979f * x;
    return sinf(pi_x) / pi_x;
}

__device__ __forceinline__ float lanczos3(float x) {
    return fabsf(x) < 3.0f ? sinc(x) * sinc(x / 3.0f) : 0.0f;
}

// The weight of a convolving filter at distance d (in filter units).
__device__ __forceinline__ float convolution_weight(int filter, float d) {
    return filter == FILTER_BOX ? (fabsf(d) <= 0.5f ? 1.0f : 0.0f) : lanczos3(d);
}

#define MAX_CHANNELS 4
// Column weights of a convolution kept in registers/local memory; wider
// supports (downscales beyond about 10x for Lanczos-3) recompute them.
#define MAX_COLUMNS 64

// Every channel of plane p at the source point (cx, cy), a pixel centre
// mapped from the destination, into out; scale_x/scale_y are plane pixels
// per destination pixel. Interpolating filters (nearest, bilinear,
// Catmull-Rom) sample the neighbourhood; convolving ones (box, Lanczos-3)
// widen their support by the downscale factor so every source pixel
// contributes.
__device__ void sample(const PlaneArg& p, float cx, float cy, float scale_x, float scale_y, int filter, float* out) {
    for (int c = 0; c < MAX_CHANNELS; ++c) out[c] = 0.0f;
    if (filter == FILTER_NEAREST) {
        accumulate(p, (int)floorf(cx), (int)floorf(cy), 1.0f, out);
        return;
    }
    const float fx = cx - 0.5f, fy = cy - 0.5f;
    const int x0 = (int)floorf(fx), y0 = (int)floorf(fy);
    const float tx = fx - (float)x0, ty = fy - (float)y0;
    if (filter == FILTER_BILINEAR) {
        accumulate(p, x0, y0, (1.0f - tx) * (1.0f - ty), out);
        accumulate(p, x0 + 1, y0, tx * (1.0f - ty), out);
        accumulate(p, x0, y0 + 1, (1.0f - tx) * ty, out);
        accumulate(p, x0 + 1, y0 + 1, tx * ty, out);
        return;
    }
    if (filter == FILTER_CATMULL_ROM) {
        float wx[4];
        for (int i = 0; i < 4; ++i) wx[i] = catmull_rom((float)(i - 1) - tx);
        for (int j = 0; j < 4; ++j) {
            const float wy = catmull_rom((float)(j - 1) - ty);
            for (int i = 0; i < 4; ++i) accumulate(p, x0 + i - 1, y0 + j - 1, wx[i] * wy, out);
        }
        return;
    }
    // Convolution: box (area average) or Lanczos-3.
    const float support = filter == FILTER_BOX ? 0.5f : 3.0f;
    const float sx = scale_x > 1.0f ? scale_x : 1.0f;
    const float sy = scale_y > 1.0f ? scale_y : 1.0f;
    const int left = (int)floorf(cx - support * sx), right = (int)ceilf(cx + support * sx);
    const int top = (int)floorf(cy - support * sy), bottom = (int)ceilf(cy + support * sy);
    float column_weights[MAX_COLUMNS];
    const bool cached = right - left < MAX_COLUMNS;
    if (cached) {
        for (int x = left; x <= right; ++x) {
            column_weights[x - left] = convolution_weight(filter, ((float)x + 0.5f - cx) / sx);
        }
    }
    float weights = 0.0f;
    for (int y = top; y <= bottom; ++y) {
        const float wy = convolution_weight(filter, ((float)y + 0.5f - cy) / sy);
        if (wy == 0.0f || y < 0 || y >= p.height) continue;
        for (int x = left; x <= right; ++x) {
            const float wx = cached ? column_weights[x - left]
                                    : convolution_weight(filter, ((float)x + 0.5f - cx) / sx);
            if (wx == 0.0f || x < 0 || x >= p.width) continue;
            accumulate(p, x, y, wx * wy, out);
            weights += wx * wy;
        }
    }
    if (weights != 0.0f) {
        for (int c = 0; c < MAX_CHANNELS; ++c) out[c] /= weights;
    } else {
        accumulate(p, (int)floorf(cx), (int)floorf(cy), 1.0f, out);
    }
}

// Where destination pixel (x, y) of the picture samples the source.
__device__ __forceinline__ void source_point(const ScaleArg& s, int x, int y, float* cx, float* cy, float* scale_x, float* scale_y) {
    *scale_x = s.src_w / (float)s.dst_w;
    *scale_y = s.src_h / (float)s.dst_h;
    *cx = s.src_x + ((float)(x - s.dst_x) + 0.5f) * *scale_x;
    *cy = s.src_y + ((float)(y - s.dst_y) + 0.5f) * *scale_y;
}

__device__ __forceinline__ bool in_picture(const ScaleArg& s, int x, int y) {
    return x >= s.dst_x && x < s.dst_x + s.dst_w && y >= s.dst_y && y < s.dst_y + s.dst_h;
}

// Scale + letterbox of one plane: src and dst have the same channels.
extern "C" __global__ void letterbox_plane(PlaneArg src, PlaneArg dst, ScaleArg s) {
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= dst.width || y >= dst.height) return;
    unsigned char* out = (unsigned char*)(dst.ptr + (unsigned long long)y * dst.pitch) + x * dst.channels;
    if (!in_picture(s, x, y)) {
        for (int c = 0; c < dst.channels; ++c) out[c] = (unsigned char)s.black[c];
        return;
    }
    float cx, cy, scale_x, scale_y;
    source_point(s, x, y, &cx, &cy, &scale_x, &scale_y);
    float value[MAX_CHANNELS];
    sample(src, cx, cy, scale_x, scale_y, s.filter, value);
    for (int c = 0; c < dst.channels; ++c) out[c] = to_byte(value[c]);
}

// Scale + letterbox of 4:2:0 YUV into 4-channel RGB (RGBA, or BGRx with
// bgr = 1). matrix: MATRIX_BT601, MATRIX_BT709 or MATRIX_BT2020;
// full_range = 1 for 0-255 YUV, 0 for 16-235/240. Chroma is sampled at the
// same point in its half-size plane(s). The bars are black with alpha 255
// (s.black).
extern "C" __global__ void yuv420_to_rgb(PlaneArg luma, PlaneArg chroma_a, PlaneArg chroma_b, int layout,
                                         PlaneArg dst, ScaleArg s, int bgr, int matrix, int full_range) {
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= dst.width || y >= dst.height) return;
    unsigned char* out = (unsigned char*)(dst.ptr + (unsigned long long)y * dst.pitch) + x * 4;
    if (!in_picture(s, x, y)) {
        for (int c = 0; c < 4; ++c) out[c] = (unsigned char)s.black[c];
        return;
    }
    float cx, cy, scale_x, scale_y;
    source_point(s, x, y, &cx, &cy, &scale_x, &scale_y);
    // Chroma planes are half size: half the coordinates, half the scale.
    float l[MAX_CHANNELS], first[MAX_CHANNELS], second[MAX_CHANNELS];
    sample(luma, cx, cy, scale_x, scale_y, s.filter, l);
    sample(chroma_a, cx * 0.5f, cy * 0.5f, scale_x * 0.5f, scale_y * 0.5f, s.filter, first);
    float u, v;
    if (layout == LAYOUT_I420) {
        sample(chroma_b, cx * 0.5f, cy * 0.5f, scale_x * 0.5f, scale_y * 0.5f, s.filter, second);
        u = first[0];
        v = second[0];
    } else {
        u = first[layout == LAYOUT_NV12 ? 0 : 1];
        v = first[layout == LAYOUT_NV12 ? 1 : 0];
    }
    // Kr and Kb of the matrix; limited range stretches 219 (luma) and 224
    // (chroma) steps to 255.
    const float kr = matrix == MATRIX_BT709 ? 0.2126f : matrix == MATRIX_BT2020 ? 0.2627f : 0.299f;
    const float kb = matrix == MATRIX_BT709 ? 0.0722f : matrix == MATRIX_BT2020 ? 0.0593f : 0.114f;
    const float kg = 1.0f - kr - kb;
    const float luma_gain = full_range ? 1.0f : 255.0f / 219.0f;
    const float chroma_gain = full_range ? 1.0f : 255.0f / 224.0f;
    const float yy = (l[0] - (full_range ? 0.0f : 16.0f)) * luma_gain;
    const float cb = (u - 128.0f) * chroma_gain, cr = (v - 128.0f) * chroma_gain;
    const float r = yy + 2.0f * (1.0f - kr) * cr;
    const float g = yy - (2.0f * kb * (1.0f - kb) / kg) * cb - (2.0f * kr * (1.0f - kr) / kg) * cr;
    const float b = yy + 2.0f * (1.0f - kb) * cb;
    out[0] = to_byte(bgr ? b : r);
    out[1] = to_byte(g);
    out[2] = to_byte(bgr ? r : b);
    out[3] = 255;
}

// Repeats one pixel (channels bytes of value) over width x height.
extern "C" __global__ void fill_plane(PlaneArg dst, int v0, int v1, int v2, int v3) {
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= dst.width || y >= dst.height) return;
    unsigned char* out = (unsigned char*)(dst.ptr + (unsigned long long)y * dst.pitch) + x * dst.channels;
    const int value[4] = {v0, v1, v2, v3};
    for (int c = 0; c < dst.channels; ++c) out[c] = (unsigned char)value[c];
}

// 4-channel RGB (RGBA, RGBx) into I420 planes, BT.601, for an encoder on
// the CPU: 1.5 bytes per pixel then cross the bus instead of 4. One thread
// per chroma sample writes its 2x2 block of luma (a block cut by an odd
// edge has fewer pixels) and the block's mean colour as chroma.
// full_range = 1 for 0-255, 0 for 16-235 (luma) and 16-240 (chroma).
extern "C" __global__ void rgb_to_i420(PlaneArg src, PlaneArg luma, PlaneArg u, PlaneArg v, int full_range) {
    const int cx = blockIdx.x * blockDim.x + threadIdx.x;
    const int cy = blockIdx.y * blockDim.y + threadIdx.y;
    if (cx >= u.width || cy >= u.height) return;
    const float kr = 0.299f, kb = 0.114f, kg = 1.0f - kr - kb;
    const float luma_gain = full_range ? 1.0f : 219.0f / 255.0f;
    const float chroma_gain = full_range ? 1.0f : 224.0f / 255.0f;
    const float luma_offset = full_range ? 0.0f : 16.0f;
    float sum_r = 0.0f, sum_g = 0.0f, sum_b = 0.0f;
    int count = 0;
    for (int dy = 0; dy < 2; ++dy) {
        for (int dx = 0; dx < 2; ++dx) {
            const int x = cx * 2 + dx, y = cy * 2 + dy;
            if (x >= luma.width || y >= luma.height) continue;
            const unsigned char* p = (const unsigned char*)(src.ptr + (unsigned long long)y * src.pitch) + x * src.channels;
            const float r = (float)p[0], g = (float)p[1], b = (float)p[2];
            unsigned char* out = (unsigned char*)(luma.ptr + (unsigned long long)y * luma.pitch) + x;
            *out = to_byte(luma_offset + luma_gain * (kr * r + kg * g + kb * b));
            sum_r += r;
            sum_g += g;
            sum_b += b;
            ++count;
        }
    }
    const float r = sum_r / (float)count, g = sum_g / (float)count, b = sum_b / (float)count;
    const float yy = kr * r + kg * g + kb * b;
    const float cb = (b - yy) / (2.0f * (1.0f - kb)), cr = (r - yy) / (2.0f * (1.0f - kr));
    *((unsigned char*)(u.ptr + (unsigned long long)cy * u.pitch) + cx) = to_byte(128.0f + chroma_gain * cb);
    *((unsigned char*)(v.ptr + (unsigned long long)cy * v.pitch) + cx) = to_byte(128.0f + chroma_gain * cr);
}
