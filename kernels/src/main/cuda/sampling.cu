// Token selection on the device, so only one int per row crosses PCIe (GPULlama3 PR #134).
//
// argmax: one block per row; lowest index wins ties.
// sample: one block per row, temperature / top-p with a given uniform u in [0,1):
//   e_i = exp((l_i - max) / T) (kept in `scratch`), Z = sum e_i
//   tau = the largest e-value such that mass{e >= tau} >= topP * Z       (the nucleus; boundary ties kept)
//   walk the nucleus in descending e (ties by lower index) and take the first token whose cumulative
//   mass exceeds u * mass(nucleus). Both searches bisect the bit patterns of positive floats (monotone
//   as unsigned ints), so no sort is needed: ~31 block reductions each over the row.
#include "common.cuh"

__device__ __forceinline__ void better(float& bv, int& bi, float v, int i) {
    if (v > bv || (v == bv && i < bi)) { bv = v; bi = i; }
}

__device__ int block_argmax(const __half* row, int vocab, float* sv, int* si) {
    float bv = -INFINITY; int bi = 0x7fffffff;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) better(bv, bi, __half2float(row[i]), i);
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(FULL_MASK, bv, o); int oi = __shfl_xor_sync(FULL_MASK, bi, o);
        better(bv, bi, ov, oi);
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) { sv[warp] = bv; si[warp] = bi; }
    __syncthreads();
    if (warp == 0) {
        bv = lane < warps ? sv[lane] : -INFINITY; bi = lane < warps ? si[lane] : 0x7fffffff;
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            float ov = __shfl_xor_sync(FULL_MASK, bv, o); int oi = __shfl_xor_sync(FULL_MASK, bi, o);
            better(bv, bi, ov, oi);
        }
        if (lane == 0) si[0] = bi == 0x7fffffff ? 0 : bi;  // all -inf/NaN row: token 0
    }
    __syncthreads();
    return si[0];
}

// grid (rows), block 1024
extern "C" __global__ void argmax_rows(const __half* logits, int vocab, int* out) {
    __shared__ float sv[32]; __shared__ int si[32];
    int r = block_argmax(logits + (long long) blockIdx.x * vocab, vocab, sv, si);
    if (threadIdx.x == 0) out[blockIdx.x] = r;
}

// mass of scratch entries >= tau (every thread gets it)
__device__ float mass_at_least(const float* e, int vocab, float tau, float* red) {
    float s = 0.f;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) { float v = e[i]; if (v >= tau) s += v; }
    return block_sum(s, red);
}

// grid (rows), block 1024. scratch: float [rows][vocab].
extern "C" __global__ void sample_rows(const __half* logits, int vocab, const float* temperature, const float* topP,
                                       const double* uniform, float* scratch, int* out) {
    __shared__ float red[32]; __shared__ float sv[32]; __shared__ int si[32];
    __shared__ int counts[1024];
    const int r = blockIdx.x;
    const __half* row = logits + (long long) r * vocab;
    const float T = temperature[r];
    if (!(T > 0.f)) {  // greedy
        int a = block_argmax(row, vocab, sv, si);
        if (threadIdx.x == 0) out[r] = a;
        return;
    }
    float* e = scratch + (long long) r * vocab;
    float mx = -INFINITY;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) mx = fmaxf(mx, __half2float(row[i]));
    mx = block_max(mx, red);
    float z = 0.f;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) { float v = expf((__half2float(row[i]) - mx) / T); e[i] = v; z += v; }
    z = block_sum(z, red);  // its barriers also publish e[] to the whole block
    float p = fminf(fmaxf(topP[r], 0.f), 1.f);
    // nucleus threshold: largest bits b in [0, bits(1.0)] with mass(e >= float(b)) >= p*z
    unsigned lo = 0u, hi = __float_as_uint(1.0f) + 1u;
    float need = p * z;
    while (hi - lo > 1u) {
        unsigned mid = lo + ((hi - lo) >> 1);
        if (mass_at_least(e, vocab, __uint_as_float(mid), red) >= need) lo = mid; else hi = mid;
    }
    const float tau = __uint_as_float(lo);
    const float nucleus = mass_at_least(e, vocab, tau, red);
    double u = uniform[r];
    u = u < 0.0 ? 0.0 : (u >= 1.0 ? 0.99999999 : u);
    const float target = (float) (u * (double) nucleus);
    // the value v of the chosen token: largest bits b >= tau with mass(e >= b) > target
    lo = __float_as_uint(tau); hi = __float_as_uint(1.0f) + 1u;
    while (hi - lo > 1u) {
        unsigned mid = lo + ((hi - lo) >> 1);
        if (mass_at_least(e, vocab, __uint_as_float(mid), red) > target) lo = mid; else hi = mid;
    }
    const float v = __uint_as_float(lo);
    const float before = mass_at_least(e, vocab, __uint_as_float(lo + 1u), red);  // mass strictly above v
    // among the tokens equal to v (index order) take the k-th
    const int chunk = (vocab + blockDim.x - 1) / blockDim.x;
    const int b0 = threadIdx.x * chunk, b1 = min(vocab, b0 + chunk);
    int c = 0;
    for (int i = b0; i < b1; i++) c += e[i] == v;
    counts[threadIdx.x] = c;
    __syncthreads();
    if (threadIdx.x == 0) {
        int total = 0;
        for (int t = 0; t < blockDim.x; t++) { int x = counts[t]; counts[t] = total; total += x; }
        int k = v > 0.f ? (int) floorf((target - before) / v) : 0;
        k = max(0, min(k, total - 1));
        si[0] = k;
        si[1] = total;
    }
    __syncthreads();
    const int k = si[0];
    // total > 0 always: v is the bit pattern of some e_i reached by the bisection (mass(e >= v) > target >= 0).
    int seen = counts[threadIdx.x];
    if (k >= seen && k < seen + c) {
        for (int i = b0; i < b1; i++) {
            if (e[i] == v) { if (seen == k) { out[r] = i; break; } seen++; }
        }
    }
}
