package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.KvGeometry;

/**
 * Paged decode attention, one query token per sequence. A work item is (request, context segment) over all
 * KV heads, so each worker reads every block it touches as one sequential run of K and one of V (the
 * layout keeps a block's kv heads adjacent). A segment is the whole context unless there are too few items
 * to keep every worker busy; then contexts are cut into block-aligned segments of about equal KV volume.
 * Workers take items from a shared counter (dynamic, so a worker descheduled on a busy host does not hold
 * the whole call back), and the segments of one request are merged per head with log-sum-exp weights:
 * <pre>
 *   M = max_s m_s;   L = sum_s l_s e^(m_s - M);   out = sum_s acc_s e^(m_s - M) / L
 * </pre>
 * Planning arrays, partial results and per-worker scratch are reused; a call allocates nothing once the
 * shapes stop growing.
 */
final class DecodeAttention implements WorkerPool.Body {
    /** Below this many K/V elements (tokens x kvHeads x headDim) one thread does it all. */
    static final long PARALLEL_ELEMENTS = 1L << 15;
    /** Segments are never shorter than this many tokens (a multiple of the 16-token block). */
    static final int MIN_SEGMENT = 128;
    /** Aim for this many items per worker, so unequal contexts still balance. */
    static final int ITEMS_PER_WORKER = 4;

    private final WorkerPool pool;
    private final AttentionWorker[] workers;

    // plan, grown on demand
    private int items;
    private int[] itemReq = new int[0], itemFrom = new int[0], itemTo = new int[0];
    private int[] itemPartial = new int[0];   // slot in the partial arrays, or -1 when the item is a whole context
    private final AtomicInteger nextItem = new AtomicInteger();
    private float[] partAcc = new float[0], partM = new float[0], partL = new float[0];

    // current call
    private MemorySegment q, keys, values, out;
    private KvGeometry geometry;
    private int layer;
    private int[][] tables;
    private AttentionShape shape;
    private boolean vector;

    DecodeAttention(WorkerPool pool) {
        this.pool = pool;
        this.workers = new AttentionWorker[pool.threads()];
        for (int i = 0; i < workers.length; i++) workers[i] = new AttentionWorker();
    }

    /**
     * @param segmentTokens 0 = choose from the work size; otherwise cut every context into segments of this
     *                      many tokens (a multiple of 16; tests use it to check the merge)
     */
    synchronized void run(MemorySegment q, MemorySegment keys, MemorySegment values, KvGeometry geometry, int layer,
                          int[][] tables, int[] contextLens, int count, AttentionShape shape, MemorySegment out,
                          boolean vector, int segmentTokens) {
        this.q = q; this.keys = keys; this.values = values; this.geometry = geometry; this.layer = layer;
        this.tables = tables; this.shape = shape; this.out = out; this.vector = vector;
        for (AttentionWorker w : workers) w.ensure(shape.heads(), shape.groupSize(), shape.headDim());
        int threads = pool.threads();
        long tokens = 0;
        for (int i = 0; i < count; i++) tokens += contextLens[i];
        boolean parallel = tokens * shape.kvWidth() >= PARALLEL_ELEMENTS && threads > 1;
        int segment = segmentTokens;
        if (segment <= 0) {
            long perItem = (tokens + (long) ITEMS_PER_WORKER * threads - 1) / ((long) ITEMS_PER_WORKER * threads);
            segment = !parallel || count >= ITEMS_PER_WORKER * threads ? Integer.MAX_VALUE
                    : (int) Math.max(MIN_SEGMENT, Math.min(Integer.MAX_VALUE - 16, (perItem + 15) / 16 * 16));
        }
        plan(contextLens, count, segment);
        nextItem.set(0);
        try {
            pool.forRange(threads, parallel, this);
            merge();
        } finally {
            this.q = this.keys = this.values = this.out = null;
            this.tables = null;
        }
    }

    private void plan(int[] lens, int count, int segment) {
        int n = 0, partials = 0;
        for (int i = 0; i < count; i++) {
            int segs = (int) ((lens[i] + (long) segment - 1) / segment);
            n += segs;
            if (segs > 1) partials += segs;
        }
        if (itemReq.length < n) {
            itemReq = new int[n]; itemFrom = new int[n]; itemTo = new int[n]; itemPartial = new int[n];
        }
        int heads = shape.heads(), d = shape.headDim();
        if (partM.length < partials * heads) {
            partAcc = new float[partials * heads * d];
            partM = new float[partials * heads];
            partL = new float[partials * heads];
        }
        int it = 0, slot = 0;
        for (int i = 0; i < count; i++) {
            boolean split = lens[i] > segment;
            for (int from = 0; from < lens[i]; from += segment) {
                itemReq[it] = i;
                itemFrom[it] = from;
                itemTo[it] = (int) Math.min(lens[i], (long) from + segment);
                itemPartial[it] = split ? slot++ : -1;
                it++;
            }
        }
        items = it;
    }

    @Override
    public void run(int ignored, int fromWorker, int toWorker) {
        int heads = shape.heads(), d = shape.headDim();
        long qRow = (long) heads * d * 4;
        for (int w = fromWorker; w < toWorker; w++) {
            AttentionWorker aw = workers[w];
            for (int it = nextItem.getAndIncrement(); it < items; it = nextItem.getAndIncrement()) {
                int req = itemReq[it];
                aw.loadQuery(q, req * qRow, shape.scale());
                if (vector) aw.attend(keys, values, geometry, layer, tables[req], itemFrom[it], itemTo[it]);
                else aw.attendScalar(keys, values, geometry, layer, tables[req], itemFrom[it], itemTo[it]);
                int p = itemPartial[it];
                if (p < 0) {
                    aw.storeNormalised(out, req * qRow);
                } else {
                    System.arraycopy(aw.acc, 0, partAcc, p * heads * d, heads * d);
                    System.arraycopy(aw.m, 0, partM, p * heads, heads);
                    System.arraycopy(aw.l, 0, partL, p * heads, heads);
                }
            }
        }
    }

    /** Log-sum-exp merge of the segments of every split request. Segments of one request are adjacent items. */
    private void merge() {
        int heads = shape.heads(), d = shape.headDim();
        long qRow = (long) heads * d * 4;
        for (int it = 0; it < items; ) {
            if (itemPartial[it] < 0) { it++; continue; }
            int end = it;
            while (end < items && itemReq[end] == itemReq[it]) end++;
            int first = itemPartial[it], last = itemPartial[end - 1];
            for (int h = 0; h < heads; h++) {
                float mMax = Float.NEGATIVE_INFINITY;
                for (int p = first; p <= last; p++) mMax = Math.max(mMax, partM[p * heads + h]);
                float total = 0f;
                for (int p = first; p <= last; p++) {
                    float weight = (float) Math.exp(partM[p * heads + h] - mMax);
                    partM[p * heads + h] = weight;   // reused below as the segment's weight
                    total += partL[p * heads + h] * weight;
                }
                long o = itemReq[it] * qRow + (long) h * d * 4;
                for (int i = 0; i < d; i++) {
                    float sum = 0f;
                    for (int p = first; p <= last; p++) sum += partAcc[(p * heads + h) * d + i] * partM[p * heads + h];
                    out.set(Elements.F32, o + 4L * i, sum / total);
                }
            }
            it = end;
        }
    }
}
