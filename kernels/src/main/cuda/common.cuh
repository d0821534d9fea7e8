// Shared helpers of the APEX Bench CUDA kernels (compiled to PTX for compute_75, JIT-ed forward).
//
// Conventions every kernel follows:
//   activations     : __half, row-major [rows][width]
//   accumulation    : float
//   weights         : template parameter W in {__half, __nv_bfloat16, float}, row-major [rows][cols]
//   KV pool (fp16)  : [layer][block][kvHead][16 slots][headDim]  (KvGeometry.java)
//   block tables    : int32 [seq][maxBlocks], slots and positions int32
#pragma once
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#define KV_BLOCK 16
#define FULL_MASK 0xffffffffu

__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }
// bf16 -> f32 is exact: the 16 bits are the high half of the f32 pattern.
__device__ __forceinline__ float to_f(__nv_bfloat16 v) {
    return __uint_as_float(((unsigned) __bfloat16_as_ushort(v)) << 16);
}
__device__ __forceinline__ float to_f(float v) { return v; }

// 8 consecutive elements of type T starting at p (p 16-byte aligned for 2-byte types, 32 for f32).
__device__ __forceinline__ void load8(const __half* p, float (&o)[8]) {
    uint4 u = *reinterpret_cast<const uint4*>(p);
    const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
    for (int i = 0; i < 4; i++) { float2 f = __half22float2(h[i]); o[2 * i] = f.x; o[2 * i + 1] = f.y; }
}
__device__ __forceinline__ void load8(const __nv_bfloat16* p, float (&o)[8]) {
    uint4 u = *reinterpret_cast<const uint4*>(p);
    const unsigned* w = reinterpret_cast<const unsigned*>(&u);
#pragma unroll
    for (int i = 0; i < 4; i++) { o[2 * i] = __uint_as_float(w[i] << 16); o[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u); }
}
__device__ __forceinline__ void load8(const float* p, float (&o)[8]) {
    float4 a = *reinterpret_cast<const float4*>(p);
    float4 b = *reinterpret_cast<const float4*>(p + 4);
    o[0] = a.x; o[1] = a.y; o[2] = a.z; o[3] = a.w; o[4] = b.x; o[5] = b.y; o[6] = b.z; o[7] = b.w;
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

// Sum over the whole block. Every thread gets the result. `scratch` holds >= 32 floats.
// The leading __syncthreads protects scratch from a previous call still being read (the race
// GPULlama3 PR #132 had in its RMSNorm reduction); the trailing one publishes the total.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < warps ? scratch[lane] : 0.f;
    t = warp_sum(t);
    return t;
}
__device__ __forceinline__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < warps ? scratch[lane] : -INFINITY;
    return warp_max(t);
}
