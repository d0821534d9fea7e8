package org.apexbench.kernels.cuda;

import jcuda.driver.CUdeviceptr;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvPool;

/**
 * Host side of the attention kernels (attention.cu) for {@link CudaBackend}: argument checks, block
 * tables into staged metadata, kernel variant by head geometry, and the split-KV plan of decode.
 */
final class CudaAttention {
    private final CudaBackend b;

    CudaAttention(CudaBackend backend) { this.b = backend; }

    void prefill(DeviceBuffer q, KvPool pool, int layer, int[] blockTable, int startPos, int rows, AttentionShape shape,
                 DeviceBuffer out) {
        var g = CudaBackend.f16Pool(pool, "prefillAttention");
        CudaBackend.checkLayer(g, layer, "prefillAttention");
        CudaBackend.checkShape(g, shape, "prefillAttention");
        int d = shape.headDim();
        if (d > 256) throw new UnsupportedOperationException("cuda prefillAttention: headDim " + d + " > 256 is not supported");
        b.need(q, (long) rows * shape.qWidth() * 2, "prefillAttention", "q");
        b.need(out, (long) rows * shape.qWidth() * 2, "prefillAttention", "out");
        int blocksNeeded = (startPos + rows + 15) / 16;
        if (blockTable.length < blocksNeeded) {
            throw new IllegalArgumentException("prefillAttention: block table has " + blockTable.length + " blocks, positions 0.."
                    + (startPos + rows - 1) + " need " + blocksNeeded);
        }
        if (rows == 0) return;
        int dpl = 1;
        while (dpl * 16 < d) dpl <<= 1;
        int smem = 3 * 16 * (d + 1) * 4;
        String fn = "prefill_attn_d" + dpl;
        b.allowSmem(fn, smem);
        CUdeviceptr bt = b.meta().ints(blockTable, blocksNeeded, b.compute());
        int pairs = rows * shape.groupSize();
        b.launch(fn, (pairs + 15) / 16, shape.kvHeads(), 1, 128, smem, b.ptr(q, "prefillAttention"), b.ptr(pool.keys(), "prefillAttention"),
                b.ptr(pool.values(), "prefillAttention"), (long) layer * (g.layerBytes() / 2), bt, startPos, rows, shape.kvHeads(),
                shape.groupSize(), d, shape.scale(), b.ptr(out, "prefillAttention"));
    }

    void decode(DeviceBuffer q, KvPool pool, int layer, int[][] blockTables, int[] contextLens, int count, AttentionShape shape,
                DeviceBuffer out) {
        var g = CudaBackend.f16Pool(pool, "decodeAttention");
        CudaBackend.checkLayer(g, layer, "decodeAttention");
        CudaBackend.checkShape(g, shape, "decodeAttention");
        int d = shape.headDim(), grp = shape.groupSize();
        if (d % 8 != 0 || d > 256 || (grp != 1 && grp != 2 && grp != 4 && grp != 8)) {
            throw new UnsupportedOperationException("cuda decodeAttention supports headDim multiple of 8 up to 256 and GQA group "
                    + "1, 2, 4 or 8; got headDim " + d + ", group " + grp);
        }
        b.need(q, (long) count * shape.qWidth() * 2, "decodeAttention", "q");
        b.need(out, (long) count * shape.qWidth() * 2, "decodeAttention", "out");
        if (b.buf(q, "decodeAttention", "q").offset() % 16 != 0) {
            throw new IllegalArgumentException("cuda decodeAttention: q must start 16-byte aligned (128-bit loads), offset is "
                    + b.buf(q, "decodeAttention", "q").offset());
        }
        int maxCtx = 0, maxBlocks = 1;
        for (int i = 0; i < count; i++) {
            int ctx = contextLens[i], nb = (ctx + 15) / 16;
            if (ctx < 0 || blockTables[i].length < nb) {
                throw new IllegalArgumentException("decodeAttention: sequence " + i + " has context " + ctx + " but "
                        + blockTables[i].length + " blocks");
            }
            maxCtx = Math.max(maxCtx, ctx);
            maxBlocks = Math.max(maxBlocks, nb);
        }
        if (count == 0) return;
        // Split long contexts so that the grid fills the GPU (>= 2 blocks per SM), >= 128 tokens a split.
        int base = count * shape.kvHeads(), splits = 1;
        if (base < 2 * b.multiprocessors() && maxCtx > 256) {
            splits = Math.min((2 * b.multiprocessors() + base - 1) / base, (maxCtx + 127) / 128);
        }
        int splitTokens = ((maxCtx + splits - 1) / splits + 15) / 16 * 16;
        splits = Math.max(1, (maxCtx + splitTokens - 1) / Math.max(1, splitTokens));
        if (splitTokens == 0) splitTokens = 16;
        long partBytes = (long) count * shape.heads() * splits * d * 4, lseBytes = (long) count * shape.heads() * splits * 4;
        CUdeviceptr part = b.scratch(partBytes + lseBytes), lse = part.withByteOffset(partBytes);
        CUdeviceptr bt = b.meta().table(blockTables, count, maxBlocks, b.compute());
        CUdeviceptr ctx = b.meta().ints(contextLens, count, b.compute());
        int ng = 128 / (d / 8);
        int smem = (2 * ng * grp + ng * grp * d) * 4;
        String fn = "decode_attn_g" + grp;
        b.allowSmem(fn, smem);
        b.launch(fn, shape.kvHeads(), count, splits, 128, smem, b.ptr(q, "decodeAttention"), b.ptr(pool.keys(), "decodeAttention"),
                b.ptr(pool.values(), "decodeAttention"), (long) layer * (g.layerBytes() / 2), bt, maxBlocks, ctx, shape.kvHeads(), d,
                shape.scale(), splitTokens, part, lse, b.ptr(out, "decodeAttention"));
        if (splits > 1) {
            b.launch("decode_combine", shape.heads(), count, 1, Math.min(128, (d + 31) / 32 * 32), 0, part, lse, splits,
                    shape.heads(), d, b.ptr(out, "decodeAttention"));
        }
    }
}
