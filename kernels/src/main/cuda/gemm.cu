// out[rows][N] (+)= x[rows][K] * W[N][K]^T, fp32 accumulation, x/out fp16, W fp16/bf16/f32.
//
// Two paths, chosen on the host by the number of rows:
//   gemv_*  (decode, few rows): bandwidth-bound. One warp per output column n streams W[n] once with
//           128-bit loads and multiplies it into RT rows of x held as RT fp32 accumulators per lane;
//           grid.y walks further chunks of RT rows (re-reading W from L2).
//   gemm_tc_* (prefill): tensor cores via wmma 16x16x16 (sm_70+, so compute_75 is fine). Block tile
//           64x64, K step 32, 4 warps each owning a 32x32 quadrant (2x2 fragments). W tiles of any
//           dtype are converted to fp16 while staged into shared memory (bf16 -> fp16 keeps 11-bit
//           mantissa precision for |w| in [6e-5, 65504]; f32 weights round to fp16 here).
//
//      global x tile [64][32] --half--> smem As (row_major, ld 40)  \
//      global W tile [64][32] --to half--> smem Bs (= B col_major)    > wmma mma_sync -> fp32 frags
//      next tiles prefetched into registers while this one computes /   -> smem C -> out (+old)
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
#define TM 64
#define TN_ 64
#define TK 32
#define LDS (TK + 8)
#define LDC (TN_ + 4)

// Loads 8 consecutive k of one tile row into registers as fp16 (zero outside the matrix).
template <typename T>
__device__ __forceinline__ void fetch8(const T* m, int row, int nrows, int k, int K, int vec, __half2 (&o)[4]) {
    float v[8];
    if (vec && row < nrows && k + 8 <= K) {
        load8(m + (long long) row * K + k, v);
    } else {
#pragma unroll
        for (int j = 0; j < 8; j++) v[j] = (row < nrows && k + j < K) ? to_f(m[(long long) row * K + k + j]) : 0.f;
    }
#pragma unroll
    for (int j = 0; j < 4; j++) o[j] = __floats2half2_rn(v[2 * j], v[2 * j + 1]);
}

template <typename W>
__device__ void gemm_tc_impl(const __half* x, const W* w, __half* out, int rows, int K, int N, int accumulate, int vec) {
    __shared__ __align__(128) __half As[TM * LDS];
    __shared__ __align__(128) __half Bs[TN_ * LDS];
    __shared__ __align__(128) float Cs[TM * LDC];
    int tid = threadIdx.x, warp = tid >> 5;
    int m0 = blockIdx.y * TM, n0 = blockIdx.x * TN_;
    int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> c[2][2];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(c[i][j], 0.f);

    // 128 threads x 2 chunks of 8 = 64 rows x 32 k per operand tile.
    __half2 ra[2][4], rb[2][4];
    auto fetch = [&](int k0) {
#pragma unroll
        for (int s = 0; s < 2; s++) {
            int chunk = tid + s * 128, row = chunk >> 2, kk = (chunk & 3) * 8;
            fetch8(x, m0 + row, rows, k0 + kk, K, vec, ra[s]);
            fetch8(w, n0 + row, N, k0 + kk, K, vec, rb[s]);
        }
    };
    fetch(0);
    for (int k0 = 0; k0 < K; k0 += TK) {
        __syncthreads();  // previous tile fully consumed before it is overwritten
#pragma unroll
        for (int s = 0; s < 2; s++) {
            int chunk = tid + s * 128, row = chunk >> 2, kk = (chunk & 3) * 8;
            *reinterpret_cast<uint4*>(&As[row * LDS + kk]) = *reinterpret_cast<uint4*>(ra[s]);
            *reinterpret_cast<uint4*>(&Bs[row * LDS + kk]) = *reinterpret_cast<uint4*>(rb[s]);
        }
        __syncthreads();
        if (k0 + TK < K) fetch(k0 + TK);  // overlaps the global loads with the mma below
#pragma unroll
        for (int kk = 0; kk < TK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> b[2];
#pragma unroll
            for (int i = 0; i < 2; i++) wmma::load_matrix_sync(a[i], &As[(wm + 16 * i) * LDS + kk], LDS);
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], &Bs[(wn + 16 * j) * LDS + kk], LDS);
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(c[i][j], a[i], b[j], c[i][j]);
        }
    }
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
            wmma::store_matrix_sync(&Cs[(wm + 16 * i) * LDC + wn + 16 * j], c[i][j], LDC, wmma::mem_row_major);
    __syncthreads();
    for (int e = tid; e < TM * TN_; e += 128) {
        int r = e / TN_, cc = e - r * TN_;
        int gr = m0 + r, gc = n0 + cc;
        if (gr < rows && gc < N) {
            long long o = (long long) gr * N + gc;
            float v = Cs[r * LDC + cc];
            if (accumulate) v += __half2float(out[o]);
            out[o] = __float2half(v);
        }
    }
}
extern "C" __global__ void gemm_tc_f16(const __half* x, const __half* w, __half* o, int rows, int K, int N, int acc, int vec) { gemm_tc_impl(x, w, o, rows, K, N, acc, vec); }
extern "C" __global__ void gemm_tc_bf16(const __half* x, const __nv_bfloat16* w, __half* o, int rows, int K, int N, int acc, int vec) { gemm_tc_impl(x, w, o, rows, K, N, acc, vec); }
extern "C" __global__ void gemm_tc_f32(const __half* x, const float* w, __half* o, int rows, int K, int N, int acc, int vec) { gemm_tc_impl(x, w, o, rows, K, N, acc, vec); }
