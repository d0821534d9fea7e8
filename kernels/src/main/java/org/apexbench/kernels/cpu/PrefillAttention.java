package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.KvGeometry;

/**
 * Causal attention of one sequence's new rows over its paged context: row r (position startPos + r) attends
 * to positions {@code 0 .. startPos + r}. Work items are (row, kvHead); each runs the same tile kernel as
 * decode, so row r equals decode attention with context {@code startPos + r + 1}.
 */
final class PrefillAttention implements WorkerPool.Body {
    private final WorkerPool pool;
    private final AttentionWorker[] workers;

    private MemorySegment q, keys, values, out;
    private KvGeometry geometry;
    private int layer, startPos;
    private int[] table;
    private AttentionShape shape;
    private boolean vector;

    PrefillAttention(WorkerPool pool) {
        this.pool = pool;
        this.workers = new AttentionWorker[pool.threads()];
        for (int i = 0; i < workers.length; i++) workers[i] = new AttentionWorker();
    }

    synchronized void run(MemorySegment q, MemorySegment keys, MemorySegment values, KvGeometry geometry, int layer,
                          int[] table, int startPos, int rows, AttentionShape shape, MemorySegment out, boolean vector) {
        this.q = q; this.keys = keys; this.values = values; this.geometry = geometry; this.layer = layer;
        this.table = table; this.startPos = startPos; this.shape = shape; this.out = out; this.vector = vector;
        for (AttentionWorker w : workers) w.ensure(shape.groupSize(), shape.headDim());
        long elements = ((long) startPos + rows) * rows * shape.kvHeads() * shape.headDim();
        try {
            pool.forRange(rows * shape.kvHeads(), elements >= DecodeAttention.PARALLEL_ELEMENTS, this);
        } finally {
            this.q = this.keys = this.values = this.out = null;
            this.table = null;
        }
    }

    @Override
    public void run(int worker, int from, int to) {
        AttentionWorker aw = workers[worker];
        int g = shape.groupSize(), kvHeads = shape.kvHeads();
        long qRow = (long) shape.heads() * shape.headDim() * 4;
        for (int item = from; item < to; item++) {
            int r = item / kvHeads, kvHead = item % kvHeads;
            aw.loadQuery(q, r * qRow, kvHead * g, shape.scale());
            if (vector) aw.attend(keys, values, geometry, layer, kvHead, table, 0, startPos + r + 1);
            else aw.attendScalar(keys, values, geometry, layer, kvHead, table, 0, startPos + r + 1);
            aw.storeNormalised(out, r * qRow, kvHead * g);
        }
    }
}
