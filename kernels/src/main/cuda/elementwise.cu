// Row-wise ops of the Llama forward pass: embedding, RMSNorm, RoPE, SiLU*up, KV append.
// Every reduction here is within one block (one row per block); no cross-block communication.
#include "common.cuh"

// ---- embedding: out[i][c] = half(table[tokens[i]][c]); grid (count), block 256 -------------------
template <typename W>
__device__ void embedding_impl(const W* table, const int* tokens, __half* out, int cols) {
    const W* row = table + (long long) tokens[blockIdx.x] * cols;
    __half* o = out + (long long) blockIdx.x * cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) o[c] = __float2half(to_f(row[c]));
}
extern "C" __global__ void embedding_f16(const __half* t, const int* tok, __half* o, int cols) { embedding_impl(t, tok, o, cols); }
extern "C" __global__ void embedding_bf16(const __nv_bfloat16* t, const int* tok, __half* o, int cols) { embedding_impl(t, tok, o, cols); }
extern "C" __global__ void embedding_f32(const float* t, const int* tok, __half* o, int cols) { embedding_impl(t, tok, o, cols); }

// ---- rmsnorm: out[r] = x[r] * rsqrt(mean(x[r]^2) + eps) * w; grid (rows), block 256 ---------------
// Pass 1 reads the row to sum squares (fp32); pass 2 rereads it, so out may alias x (each element is
// read and written by the same thread, after the block-wide barrier inside block_sum).
template <typename W>
__device__ void rmsnorm_impl(const __half* x, const W* w, float eps, int cols, __half* out) {
    __shared__ float scratch[32];
    const __half* xr = x + (long long) blockIdx.x * cols;
    __half* orow = out + (long long) blockIdx.x * cols;
    float ss = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) { float v = __half2float(xr[c]); ss += v * v; }
    ss = block_sum(ss, scratch);
    float inv = rsqrtf(ss / (float) cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) orow[c] = __float2half(__half2float(xr[c]) * inv * to_f(w[c]));
}
extern "C" __global__ void rmsnorm_f16(const __half* x, const __half* w, float eps, int cols, __half* o) { rmsnorm_impl(x, w, eps, cols, o); }
extern "C" __global__ void rmsnorm_bf16(const __half* x, const __nv_bfloat16* w, float eps, int cols, __half* o) { rmsnorm_impl(x, w, eps, cols, o); }
extern "C" __global__ void rmsnorm_f32(const __half* x, const float* w, float eps, int cols, __half* o) { rmsnorm_impl(x, w, eps, cols, o); }

// ---- rope (Hugging Face rotate_half layout), in place ---------------------------------------------
// x is [rows][heads*headDim]; pair (i, i + headDim/2) of every head rotates by positions[r]*invFreq[i].
// The angle is formed in fp32 like transformers does, and sincosf (not __sinf) keeps large angles
// (position 4096 * invFreq 1.0) accurate. grid (rows), block 128; thread -> (head, i) pairs.
extern "C" __global__ void rope(__half* x, int heads, int headDim, const int* positions, const float* invFreq) {
    int half = headDim >> 1;
    float pos = (float) positions[blockIdx.x];
    __half* row = x + (long long) blockIdx.x * heads * headDim;
    for (int p = threadIdx.x; p < heads * half; p += blockDim.x) {
        int h = p / half, i = p - h * half;
        float s, c;
        sincosf(pos * invFreq[i], &s, &c);
        __half* hp = row + h * headDim;
        float a = __half2float(hp[i]), b = __half2float(hp[i + half]);
        hp[i] = __float2half(a * c - b * s);
        hp[i + half] = __float2half(b * c + a * s);
    }
}

// ---- silu_mul: out[r][i] = silu(g) * u, g = gateUp[r][i], u = gateUp[r][width+i]; grid-stride ----
extern "C" __global__ void silu_mul(const __half* gateUp, int rows, int width, __half* out) {
    long long n = (long long) rows * width;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < n; e += (long long) gridDim.x * blockDim.x) {
        long long r = e / width; int i = (int) (e - r * width);
        float g = __half2float(gateUp[r * 2 * width + i]);
        float u = __half2float(gateUp[r * 2 * width + width + i]);
        out[e] = __float2half(g / (1.f + __expf(-g)) * u);
    }
}

// ---- mark_nonfinite: flags[r] = 1 if row r of x holds a NaN or an infinity, else 0; grid (rows), block 256 ----
// A layer's residual stream is a few hundred KB to a few MB: one pass over it per layer is small beside the layer's
// weights, and the flags stay on the device until the pass reads them all at once.
extern "C" __global__ void mark_nonfinite(const __half* x, int width, int* flags) {
    const __half* row = x + (long long) blockIdx.x * width;
    int bad = 0;
    for (int i = threadIdx.x; i < width && !bad; i += blockDim.x) bad = !isfinite(__half2float(row[i]));
    bad = __syncthreads_or(bad);
    if (threadIdx.x == 0) flags[blockIdx.x] = bad ? 1 : 0;
}

// ---- kv_append: rows of K and V [rows][kvHeads*headDim] into one layer of the fp16 pool ---------
// grid (rows), block 128. slot = block*16 + offsetInBlock.
extern "C" __global__ void kv_append(const __half* k, const __half* v, __half* kPool, __half* vPool, long long layerElems,
                                     int layer, int kvHeads, int headDim, const int* slots) {
    int r = blockIdx.x, slot = slots[r], blk = slot / KV_BLOCK, off = slot - blk * KV_BLOCK;
    int width = kvHeads * headDim;
    long long base = layer * layerElems + (long long) blk * kvHeads * KV_BLOCK * headDim + (long long) off * headDim;
    for (int e = threadIdx.x; e < width; e += blockDim.x) {
        int h = e / headDim, d = e - h * headDim;
        long long dst = base + (long long) h * KV_BLOCK * headDim + d;
        kPool[dst] = k[(long long) r * width + e];
        vPool[dst] = v[(long long) r * width + e];
    }
}
