// Attention over the paged fp16 KV pool ([layer][block][kvHead][16][headDim], KvGeometry.java).
//
// decode_attn_g<G>: one query token per sequence; grid (kvHeads, seqs, splits), 128 threads.
//   The G query heads of a KV head share every K/V row load (GQA). headDim/8 lanes form a "token
//   group" that reads one token's K and V row with 128-bit loads; a block runs 128*8/headDim groups
//   in parallel, each with its own online softmax (m, l, acc) over the tokens it saw:
//
//     tokens of split s  --(group t%NG)-->  s_g = q_g.K_t (lane-group shuffle) -> m,l,acc update
//     all groups --smem--> LSE merge -> splits==1 ? out (fp16) : part[s] + lse[s] (fp32)
//
//   Long contexts use several splits (grid.z) and decode_combine merges them with LSE weights.
//   Each split writes only its own part/lse slot; the combine runs as a separate launch in stream
//   order, so there is no cross-block reduction inside a kernel.
//
// prefill_attn_d<DPL>: causal attention of `rows` new tokens of one sequence at startPos..,
//   flash-style: 16 (token, head) query pairs per block, K/V streamed one 16-token page at a time
//   through shared memory, online softmax; half-warps own one query pair, lane j scores key j.
#include "common.cuh"

// ------------------------------------------------------------------------------------------------
template <int G>
__device__ void decode_impl(const __half* q, const __half* kPool, const __half* vPool, long long layerOff,
                            const int* blockTables, int maxBlocks, const int* ctxLens, int kvHeads, int headDim,
                            float scale, int splitTokens, float* partOut, float* partLse, __half* out) {
    extern __shared__ float sm[];  // [NG][G] m, [NG][G] l, [NG][G][headDim] acc
    const int kvh = blockIdx.x, seq = blockIdx.y, split = blockIdx.z, splits = gridDim.z;
    const int tpt = headDim >> 3, ng = blockDim.x / tpt;
    const int grp = threadIdx.x / tpt, li = threadIdx.x - grp * tpt, d0 = li * 8;
    const int heads = kvHeads * G;
    const int ctx = ctxLens[seq];
    const int t0 = split * splitTokens, t1 = min(ctx, t0 + splitTokens);

    float qf[G][8];
#pragma unroll
    for (int g = 0; g < G; g++) {
        load8(q + ((long long) seq * heads + kvh * G + g) * headDim + d0, qf[g]);
#pragma unroll
        for (int j = 0; j < 8; j++) qf[g][j] *= scale;
    }
    float m[G], l[G], acc[G][8];
#pragma unroll
    for (int g = 0; g < G; g++) {
        m[g] = -INFINITY; l[g] = 0.f;
#pragma unroll
        for (int j = 0; j < 8; j++) acc[g][j] = 0.f;
    }
    const int* table = blockTables + (long long) seq * maxBlocks;
    const long long blockElems = (long long) kvHeads * KV_BLOCK * headDim;
    // Every lane of a warp runs the same number of rounds, so the group shuffles below never diverge.
    // The next round's K/V rows are loaded (raw 128-bit) before this round is computed, so two loads
    // per lane are in flight while the FMAs and exps run.
    auto rowOffset = [&](int t) {
        return layerOff + table[t >> 4] * blockElems + ((long long) kvh * KV_BLOCK + (t & 15)) * headDim + d0;
    };
    uint4 kRaw = make_uint4(0, 0, 0, 0), vRaw = make_uint4(0, 0, 0, 0);
    if (t0 + grp < t1) {
        long long off = rowOffset(t0 + grp);
        kRaw = *reinterpret_cast<const uint4*>(kPool + off);
        vRaw = *reinterpret_cast<const uint4*>(vPool + off);
    }
    for (int base = t0; base < t1; base += ng) {
        const int t = base + grp;
        const bool valid = t < t1;
        const uint4 kCur = kRaw, vCur = vRaw;
        if (t + ng < t1) {
            long long off = rowOffset(t + ng);
            kRaw = *reinterpret_cast<const uint4*>(kPool + off);
            vRaw = *reinterpret_cast<const uint4*>(vPool + off);
        }
        float kv[8], vv[8];
        load8(reinterpret_cast<const __half*>(&kCur), kv);
        load8(reinterpret_cast<const __half*>(&vCur), vv);
#pragma unroll
        for (int g = 0; g < G; g++) {
            float s = 0.f;
#pragma unroll
            for (int j = 0; j < 8; j++) s = fmaf(qf[g][j], kv[j], s);
            for (int o = tpt >> 1; o > 0; o >>= 1) s += __shfl_xor_sync(FULL_MASK, s, o);
            if (valid) {
                float mn = fmaxf(m[g], s);
                float c = __expf(m[g] - mn), p = __expf(s - mn);
                l[g] = l[g] * c + p;
#pragma unroll
                for (int j = 0; j < 8; j++) acc[g][j] = fmaf(p, vv[j], acc[g][j] * c);
                m[g] = mn;
            }
        }
    }
    float* sm_m = sm;
    float* sm_l = sm + ng * G;
    float* sm_acc = sm + 2 * ng * G;
#pragma unroll
    for (int g = 0; g < G; g++) {
        if (li == 0) { sm_m[grp * G + g] = m[g]; sm_l[grp * G + g] = l[g]; }
#pragma unroll
        for (int j = 0; j < 8; j++) sm_acc[((long long) grp * G + g) * headDim + d0 + j] = acc[g][j];
    }
    __syncthreads();
    for (int e = threadIdx.x; e < G * headDim; e += blockDim.x) {
        int g = e / headDim, d = e - g * headDim;
        float M = -INFINITY;
        for (int k = 0; k < ng; k++) M = fmaxf(M, sm_m[k * G + g]);
        float L = 0.f, A = 0.f;
        if (M != -INFINITY) {
            for (int k = 0; k < ng; k++) {
                float w = __expf(sm_m[k * G + g] - M);  // groups that saw no token have m=-inf -> w=0
                L += sm_l[k * G + g] * w;
                A += sm_acc[((long long) k * G + g) * headDim + d] * w;
            }
        }
        int h = kvh * G + g;
        if (splits == 1) {
            out[((long long) seq * heads + h) * headDim + d] = __float2half(L > 0.f ? A / L : 0.f);
        } else {
            long long slot = ((long long) seq * heads + h) * splits + split;
            partOut[slot * headDim + d] = L > 0.f ? A / L : 0.f;
            if (d == 0) partLse[slot] = L > 0.f ? M + __logf(L) : -INFINITY;
        }
    }
}
#define DECODE(G) \
    extern "C" __global__ void decode_attn_g##G(const __half* q, const __half* k, const __half* v, long long layerOff, \
        const int* bt, int maxBlocks, const int* ctx, int kvHeads, int headDim, float scale, int splitTokens, \
        float* part, float* lse, __half* out) \
    { decode_impl<G>(q, k, v, layerOff, bt, maxBlocks, ctx, kvHeads, headDim, scale, splitTokens, part, lse, out); }
DECODE(1) DECODE(2) DECODE(4) DECODE(8)

// Merges the splits of one (seq, head): grid (heads, seqs), 128 threads over headDim.
extern "C" __global__ void decode_combine(const float* part, const float* lse, int splits, int heads, int headDim,
                                          __half* out) {
    long long sh = (long long) blockIdx.y * heads + blockIdx.x;
    const float* ls = lse + sh * splits;
    float M = -INFINITY;
    for (int s = 0; s < splits; s++) M = fmaxf(M, ls[s]);
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float W = 0.f, A = 0.f;
        if (M != -INFINITY) {
            for (int s = 0; s < splits; s++) {
                float w = __expf(ls[s] - M);
                W += w;
                A += w * part[(sh * splits + s) * headDim + d];
            }
        }
        out[sh * headDim + d] = __float2half(W > 0.f ? A / W : 0.f);
    }
}

// ------------------------------------------------------------------------------------------------
// DPL = ceil(headDim / 16): elements of the output row each lane of a half-warp owns.
template <int DPL>
__device__ void prefill_impl(const __half* q, const __half* kPool, const __half* vPool, long long layerOff,
                             const int* blockTable, int startPos, int rows, int kvHeads, int G, int headDim, float scale,
                             __half* out) {
    extern __shared__ float sm[];
    const int ld = headDim + 1;  // odd stride: the 16 key rows a half-warp reads hit 16 distinct banks
    float* Qs = sm;              // [16][ld]
    float* Ks = Qs + 16 * ld;    // [16][ld]
    float* Vs = Ks + 16 * ld;    // [16][ld]
    const int kvh = blockIdx.y, heads = kvHeads * G, pairs = rows * G;
    const int p0 = blockIdx.x * 16;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, hs = lane >> 4, j = lane & 15;

    for (int e = threadIdx.x; e < 16 * headDim; e += blockDim.x) {
        int i = e / headDim, d = e - i * headDim, p = p0 + i;
        float v = 0.f;
        if (p < pairs) {
            int ti = p / G, h = kvh * G + p % G;
            v = __half2float(q[((long long) ti * heads + h) * headDim + d]) * scale;
        }
        Qs[i * ld + d] = v;
    }
    const int lastPair = min(pairs, p0 + 16) - 1;
    const int tmax = startPos + lastPair / G;  // last key position any query of this block sees
    // query pairs of this lane: rows warp*4 + {0,1} (hs=0) or {2,3} (hs=1)
    int rowLocal[2], limit[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        rowLocal[r] = warp * 4 + r * 2 + hs;
        int p = p0 + rowLocal[r];
        limit[r] = p < pairs ? startPos + p / G : -1;
    }
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f}, acc[2][DPL];
#pragma unroll
    for (int r = 0; r < 2; r++)
#pragma unroll
        for (int e = 0; e < DPL; e++) acc[r][e] = 0.f;
    const long long blockElems = (long long) kvHeads * KV_BLOCK * headDim;

    for (int b = 0; b * KV_BLOCK <= tmax; b++) {
        __syncthreads();  // everyone is done with the previous page
        const long long base = layerOff + blockTable[b] * blockElems + (long long) kvh * KV_BLOCK * headDim;
        for (int e = threadIdx.x; e < KV_BLOCK * headDim; e += blockDim.x) {
            int t = e / headDim, d = e - t * headDim;
            // slots past the last position are never written for this sequence: zero them, since a
            // masked probability of 0 times a stale NaN would still poison the accumulator
            bool live = b * KV_BLOCK + t <= tmax;
            Ks[t * ld + d] = live ? __half2float(kPool[base + e]) : 0.f;
            Vs[t * ld + d] = live ? __half2float(vPool[base + e]) : 0.f;
        }
        __syncthreads();
        const int key = b * KV_BLOCK + j;
#pragma unroll
        for (int r = 0; r < 2; r++) {
            bool valid = key <= limit[r];
            float s = -INFINITY;
            if (valid) {
                s = 0.f;
                const float* qr = Qs + rowLocal[r] * ld;
                const float* kr = Ks + j * ld;
                for (int d = 0; d < headDim; d++) s = fmaf(qr[d], kr[d], s);
            }
            float tm = s;
#pragma unroll
            for (int o = 8; o > 0; o >>= 1) tm = fmaxf(tm, __shfl_xor_sync(FULL_MASK, tm, o));
            float mn = fmaxf(m[r], tm);
            float p = valid ? __expf(s - mn) : 0.f;
            float c = m[r] == -INFINITY ? 0.f : __expf(m[r] - mn);
            float ps = p;
#pragma unroll
            for (int o = 8; o > 0; o >>= 1) ps += __shfl_xor_sync(FULL_MASK, ps, o);
            l[r] = l[r] * c + ps;
            m[r] = mn;
#pragma unroll
            for (int e = 0; e < DPL; e++) acc[r][e] *= c;
#pragma unroll
            for (int jj = 0; jj < KV_BLOCK; jj++) {
                float pj = __shfl_sync(FULL_MASK, p, (hs << 4) + jj);
#pragma unroll
                for (int e = 0; e < DPL; e++) {
                    int d = j + 16 * e;
                    if (d < headDim) acc[r][e] = fmaf(pj, Vs[jj * ld + d], acc[r][e]);
                }
            }
        }
    }
#pragma unroll
    for (int r = 0; r < 2; r++) {
        int p = p0 + rowLocal[r];
        if (p < pairs) {
            int ti = p / G, h = kvh * G + p % G;
            __half* o = out + ((long long) ti * heads + h) * headDim;
#pragma unroll
            for (int e = 0; e < DPL; e++) {
                int d = j + 16 * e;
                if (d < headDim) o[d] = __float2half(l[r] > 0.f ? acc[r][e] / l[r] : 0.f);
            }
        }
    }
}
#define PREFILL(DPL) \
    extern "C" __global__ void prefill_attn_d##DPL(const __half* q, const __half* k, const __half* v, long long layerOff, \
        const int* bt, int startPos, int rows, int kvHeads, int G, int headDim, float scale, __half* out) \
    { prefill_impl<DPL>(q, k, v, layerOff, bt, startPos, rows, kvHeads, G, headDim, scale, out); }
PREFILL(1) PREFILL(2) PREFILL(4) PREFILL(8) PREFILL(16)
