package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.KvGeometry;

/**
 * Causal attention of one sequence's new rows over its paged context: row r (position startPos + r) attends
 * to positions {@code 0 .. startPos + r}. Work items are stripes of rows (all heads); each runs the same tile kernel as
 * decode, so row r equals decode attention with context {@code startPos + r + 1}.
 */
final class PrefillAttention implements WorkerPool.Body {
    private final WorkerPool pool;
    private final AttentionWorker[] workers;

    private MemorySegment q, keys, values, out;
    private KvGeometry geometry;
    private int layer, startPos, rows, stripes;
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
        for (AttentionWorker w : workers) w.ensure(shape.heads(), shape.groupSize(), shape.headDim());
        long elements = ((long) startPos + rows) * rows * shape.kvWidth();
        try {
            // stripe s is rows s, s + T, s + 2T, ...: later rows attend to more keys, so stripes balance
            this.rows = rows;
            this.stripes = Math.min(rows, pool.threads());
            pool.forRange(stripes, elements >= DecodeAttention.PARALLEL_ELEMENTS, this);
        } finally {
            this.q = this.keys = this.values = this.out = null;
            this.table = null;
        }
    }

    @Override
    public void run(int worker, int fromStripe, int toStripe) {
        AttentionWorker aw = workers[worker];
        long qRow = (long) shape.qWidth() * 4;
        for (int stripe = fromStripe; stripe < toStripe; stripe++) {
            for (int r = stripe; r < rows; r += stripes) {
                aw.loadQuery(q, r * qRow, shape.scale());
                if (vector) aw.attend(keys, values, geometry, layer, table, 0, startPos + r + 1);
                else aw.attendScalar(keys, values, geometry, layer, table, 0, startPos + r + 1);
                aw.storeNormalised(out, r * qRow);
            }
        }
    }
}
