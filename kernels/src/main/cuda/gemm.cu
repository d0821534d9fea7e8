// out[rows][N] (+)= x[rows][K] * W[N][K]^T, fp32 accumulation, x/out fp16, W fp16/bf16/f32.
//
// Two paths, chosen on the host by the number of rows:
//   gemv_*  (decode, few rows): bandwidth-bound. One warp per output column n streams W[n] once with
//           128-bit loads and multiplies it into RT rows of x held as RT fp32 accumulators per lane;
//           grid.y walks further chunks of RT rows (re-reading W from L2).
//   gemm_tc_* (prefill, and decode batches above the gemv limit): tensor cores via wmma 16x16x16 (sm_70+,
//           so compute_75 is fine). When the tile grid is too small to fill the GPU (decode: few rows),
//           K is split over grid.z; each split writes an fp32 slice and gemm_splitk_reduce adds them.
//           Block tiles 64x64 (4 warps, 32x32 each) and, for large prefills, 128x128 (8 warps, 64x32 each);
//           K step 32. W tiles of any
//           dtype are converted to fp16 while staged into shared memory (bf16 -> fp16 keeps 11-bit
//           mantissa precision for |w| in [6e-5, 65504]; f32 weights round to fp16 here).
//
//      global x tile [64][32] --half--> smem As (row_major, ld 40)  \
//      global W tile [64][32] --to half--> smem Bs (= B col_major)    > wmma mma_sync -> fp32 frags
//      next tiles prefetched into registers while this one computes /   -> per-warp 16x16 stage -> out (+old)
#include "common.cuh"
#include <mma.h>
using namespace nvcuda;

// ------------------------------------------------------------------------------------------------
template <typename W, int RT>
__device__ void gemv_impl(const __half* x, const W* w, __half* out, int rows, int K, int N, int accumulate, int vec) {
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int n = blockIdx.x * (blockDim.x >> 5) + warp;
    int r0 = blockIdx.y * RT;
    if (n >= N) return;  // whole warp leaves together: no barrier below
    const W* wr = w + (long long) n * K;
    float acc[RT];
#pragma unroll
    for (int r = 0; r < RT; r++) acc[r] = 0.f;
    if (vec) {  // host checked: K % 8 == 0 and x, w 16-byte aligned
#pragma unroll 4
        for (int k8 = lane; k8 < (K >> 3); k8 += 32) {
            float wv[8];
            load8(wr + k8 * 8, wv);
#pragma unroll
            for (int r = 0; r < RT; r++) {
                if (r0 + r < rows) {
                    float xv[8];
                    load8(x + (long long) (r0 + r) * K + k8 * 8, xv);
#pragma unroll
                    for (int j = 0; j < 8; j++) acc[r] = fmaf(wv[j], xv[j], acc[r]);
                }
            }
        }
    } else {  // unaligned rows or widths: scalar, still coalesced across the warp
        for (int k = lane; k < K; k += 32) {
            float wv = to_f(wr[k]);
#pragma unroll
            for (int r = 0; r < RT; r++)
                if (r0 + r < rows) acc[r] = fmaf(wv, __half2float(x[(long long) (r0 + r) * K + k]), acc[r]);
        }
    }
#pragma unroll
    for (int r = 0; r < RT; r++) {
        float s = warp_sum(acc[r]);
        if (lane == 0 && r0 + r < rows) {
            long long o = (long long) (r0 + r) * N + n;
            if (accumulate) s += __half2float(out[o]);
            out[o] = __float2half(s);
        }
    }
}

#define GEMV(T, TN, RT) \
    extern "C" __global__ void gemv_##TN##_r##RT(const __half* x, const T* w, __half* out, int rows, int K, int N, int acc, \
                                                 int vec) \
    { gemv_impl<T, RT>(x, w, out, rows, K, N, acc, vec); }
#define GEMV_ALL(T, TN) GEMV(T, TN, 1) GEMV(T, TN, 2) GEMV(T, TN, 4) GEMV(T, TN, 8) GEMV(T, TN, 16)
GEMV_ALL(__half, f16)
GEMV_ALL(__nv_bfloat16, bf16)
GEMV_ALL(float, f32)

// ------------------------------------------------------------------------------------------------
#define TK 32
#define LDS (TK + 8)  // fp16 row stride of the smem tiles: 80 bytes keeps 16-byte stores and 32-byte wmma rows

// Loads 8 consecutive k of one tile row into registers as fp16. Elements at k >= kEnd (the end of
// this block's K range) or rows >= nrows read as zero; K is the row stride.
template <typename T>
__device__ __forceinline__ void fetch8(const T* m, int row, int nrows, int k, int kEnd, int K, int vec, __half2 (&o)[4]) {
    float v[8];
    if (vec && row < nrows && k + 8 <= kEnd) {
        load8(m + (long long) row * K + k, v);
    } else {
#pragma unroll
        for (int j = 0; j < 8; j++) v[j] = (row < nrows && k + j < kEnd) ? to_f(m[(long long) row * K + k + j]) : 0.f;
    }
#pragma unroll
    for (int j = 0; j < 4; j++) o[j] = __floats2half2_rn(v[2 * j], v[2 * j + 1]);
}

// Block tile BM x BN over WARPS_M x WARPS_N warps; each warp owns a (BM/WARPS_M) x (BN/WARPS_N) tile of
// 16x16 accumulator fragments. The epilogue goes fragment by fragment through a 16x16 fp32 staging
// area per warp, so shared memory stays small whatever the tile.
template <typename W, int BM, int BN, int WARPS_M, int WARPS_N>
__device__ void gemm_tc_impl(const __half* x, const W* w, __half* out, int rows, int K, int N, int accumulate, int vec,
                             int kChunk, float* partial) {
    constexpr int THREADS = 32 * WARPS_M * WARPS_N;
    constexpr int FM = BM / WARPS_M / 16, FN = BN / WARPS_N / 16;
    constexpr int CHUNKS_A = BM * (TK / 8) / THREADS, CHUNKS_B = BN * (TK / 8) / THREADS;
    static_assert(CHUNKS_A * THREADS == BM * (TK / 8) && CHUNKS_B * THREADS == BN * (TK / 8), "tile / thread mismatch");
    __shared__ __align__(128) __half As[BM * LDS];
    __shared__ __align__(128) __half Bs[BN * LDS];
    __shared__ __align__(128) float Cw[WARPS_M * WARPS_N][16 * 16];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int wm = (warp / WARPS_N) * (BM / WARPS_M), wn = (warp % WARPS_N) * (BN / WARPS_N);
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> c[FM][FN];
#pragma unroll
    for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++) wmma::fill_fragment(c[i][j], 0.f);

    // split-K: block z covers k in [kBegin, kEnd); kChunk is a multiple of TK
    const int kBegin = blockIdx.z * kChunk, kEnd = min(K, kBegin + kChunk);
    __half2 ra[CHUNKS_A][4], rb[CHUNKS_B][4];
    auto fetch = [&](int k0) {
#pragma unroll
        for (int s = 0; s < CHUNKS_A; s++) {
            int chunk = tid + s * THREADS, row = chunk >> 2, kk = (chunk & 3) * 8;
            fetch8(x, m0 + row, rows, k0 + kk, kEnd, K, vec, ra[s]);
        }
#pragma unroll
        for (int s = 0; s < CHUNKS_B; s++) {
            int chunk = tid + s * THREADS, row = chunk >> 2, kk = (chunk & 3) * 8;
            fetch8(w, n0 + row, N, k0 + kk, kEnd, K, vec, rb[s]);
        }
    };
    fetch(kBegin);
    for (int k0 = kBegin; k0 < kEnd; k0 += TK) {
        __syncthreads();  // previous tile fully consumed before it is overwritten
#pragma unroll
        for (int s = 0; s < CHUNKS_A; s++) {
            int chunk = tid + s * THREADS, row = chunk >> 2, kk = (chunk & 3) * 8;
            *reinterpret_cast<uint4*>(&As[row * LDS + kk]) = *reinterpret_cast<uint4*>(ra[s]);
        }
#pragma unroll
        for (int s = 0; s < CHUNKS_B; s++) {
            int chunk = tid + s * THREADS, row = chunk >> 2, kk = (chunk & 3) * 8;
            *reinterpret_cast<uint4*>(&Bs[row * LDS + kk]) = *reinterpret_cast<uint4*>(rb[s]);
        }
        __syncthreads();
        if (k0 + TK < kEnd) fetch(k0 + TK);  // overlaps the global loads with the mma below
#pragma unroll
        for (int kk = 0; kk < TK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a[FM];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> b[FN];
#pragma unroll
            for (int i = 0; i < FM; i++) wmma::load_matrix_sync(a[i], &As[(wm + 16 * i) * LDS + kk], LDS);
#pragma unroll
            for (int j = 0; j < FN; j++) wmma::load_matrix_sync(b[j], &Bs[(wn + 16 * j) * LDS + kk], LDS);
#pragma unroll
            for (int i = 0; i < FM; i++)
#pragma unroll
                for (int j = 0; j < FN; j++) wmma::mma_sync(c[i][j], a[i], b[j], c[i][j]);
        }
    }
    float* stage = Cw[warp];
#pragma unroll
    for (int i = 0; i < FM; i++) {
#pragma unroll
        for (int j = 0; j < FN; j++) {
            wmma::store_matrix_sync(stage, c[i][j], 16, wmma::mem_row_major);
            __syncwarp();
#pragma unroll
            for (int e = lane * 8; e < lane * 8 + 8; e++) {
                int gr = m0 + wm + 16 * i + (e >> 4), gc = n0 + wn + 16 * j + (e & 15);
                if (gr < rows && gc < N) {
                    long long o = (long long) gr * N + gc;
                    float v = stage[e];
                    if (partial != nullptr) {  // split-K: this split's own fp32 slice; gemm_splitk_reduce sums them
                        partial[(long long) blockIdx.z * rows * N + o] = v;
                    } else {
                        if (accumulate) v += __half2float(out[o]);
                        out[o] = __float2half(v);
                    }
                }
            }
            __syncwarp();  // the staging area is rewritten by the next fragment
        }
    }
}
#define GEMM_TC(T, TN) \
    extern "C" __global__ void __launch_bounds__(128) gemm_tc_##TN(const __half* x, const T* w, __half* o, int rows, int K, \
        int N, int acc, int vec, int kChunk, float* partial) \
    { gemm_tc_impl<T, 64, 64, 2, 2>(x, w, o, rows, K, N, acc, vec, kChunk, partial); } \
    extern "C" __global__ void __launch_bounds__(256) gemm_tc128_##TN(const __half* x, const T* w, __half* o, int rows, int K, \
        int N, int acc, int vec, int kChunk, float* partial) \
    { gemm_tc_impl<T, 128, 128, 2, 4>(x, w, o, rows, K, N, acc, vec, kChunk, partial); }
GEMM_TC(__half, f16)
GEMM_TC(__nv_bfloat16, bf16)
GEMM_TC(float, f32)

// Sums the split-K slices in a fixed order (deterministic, no atomics): out = (out +) sum_z partial[z].
// Each element is owned by one thread, so there is no cross-block reduction. grid-stride over rows*N.
extern "C" __global__ void gemm_splitk_reduce(const float* partial, int splits, int rows, int N, __half* out, int accumulate) {
    long long n = (long long) rows * N;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < n; e += (long long) gridDim.x * blockDim.x) {
        float v = accumulate ? __half2float(out[e]) : 0.f;
        for (int z = 0; z < splits; z++) v += partial[z * n + e];
        out[e] = __float2half(v);
    }
}
