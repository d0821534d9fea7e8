package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.KvGeometry;

/**
 * Paged decode attention, one query token per sequence. Work items are (request, kvHead, context segment);
 * a segment is the whole context unless there are too few items to keep every worker busy, in which case
 * contexts are cut into block-aligned segments. Items are assigned to workers in contiguous runs of equal
 * KV volume (tokens), and the segments of one (request, kvHead) are merged with log-sum-exp weights:
 * <pre>
 *   M = max_s m_s;   L = sum_s l_s e^(m_s - M);   out = sum_s acc_s e^(m_s - M) / L
 * </pre>
 * All planning arrays, partial results and per-worker scratch are reused; a call allocates nothing once
 * the shapes stop growing.
 */
final class DecodeAttention implements WorkerPool.Body {
    /** Below this many K/V elements (tokens x kvHeads x headDim) one thread does it all. */
    static final long PARALLEL_ELEMENTS = 1L << 15;
    /** Segments are never shorter than this many tokens (a multiple of the 16-token block). */
    static final int MIN_SEGMENT = 256;

    private final WorkerPool pool;
    private final AttentionWorker[] workers;

    // plan, grown on demand
    private int items;
    private int[] itemReq = new int[0], itemHead = new int[0], itemFrom = new int[0], itemTo = new int[0];
    private int[] itemPartial = new int[0];   // slot in the partial arrays, or -1 when the item is a whole context
    private int[] workerFirstItem;
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
        this.workerFirstItem = new int[pool.threads() + 1];
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
        for (AttentionWorker w : workers) w.ensure(shape.groupSize(), shape.headDim());
        int threads = pool.threads();
        long tokens = 0;
        for (int i = 0; i < count; i++) tokens += contextLens[i];
        long volume = tokens * shape.kvHeads();
        int segment = segmentTokens;
        if (segment <= 0) {
            long perItem = (volume + 4L * threads - 1) / (4L * threads);
            segment = threads == 1 ? Integer.MAX_VALUE
                    : (int) Math.max(MIN_SEGMENT, Math.min(Integer.MAX_VALUE - 16, (perItem + 15) / 16 * 16));
        }
        plan(contextLens, count, shape.kvHeads(), segment, volume, threads);
        try {
            pool.forRange(threads, volume * shape.headDim() >= PARALLEL_ELEMENTS, this);
            merge(contextLens, count);
        } finally {
            this.q = this.keys = this.values = this.out = null;
            this.tables = null;
        }
    }

    private void plan(int[] lens, int count, int kvHeads, int segment, long volume, int threads) {
        int n = 0, partials = 0;
        for (int i = 0; i < count; i++) {
            int segs = (int) ((lens[i] + (long) segment - 1) / segment);
            n += segs * kvHeads;
            if (segs > 1) partials += segs * kvHeads;
        }
        if (itemReq.length < n) {
            itemReq = new int[n]; itemHead = new int[n]; itemFrom = new int[n]; itemTo = new int[n]; itemPartial = new int[n];
        }
        int g = shape.groupSize(), d = shape.headDim();
        if (partM.length < partials * g) {
            partAcc = new float[partials * g * d];
            partM = new float[partials * g];
            partL = new float[partials * g];
        }
        int it = 0, slot = 0, worker = 0;
        long done = 0;
        workerFirstItem[0] = 0;
        for (int i = 0; i < count; i++) {
            boolean split = lens[i] > segment;
            for (int h = 0; h < kvHeads; h++) {
                for (int from = 0; from < lens[i]; from += segment) {
                    // the worker whose share of the volume this item starts in
                    while (worker + 1 < threads && done >= volume * (worker + 1) / threads) workerFirstItem[++worker] = it;
                    itemReq[it] = i; itemHead[it] = h; itemFrom[it] = from;
                    itemTo[it] = (int) Math.min(lens[i], (long) from + segment);
                    itemPartial[it] = split ? slot++ : -1;
                    done += itemTo[it] - from;
                    it++;
                }
            }
        }
        while (worker < threads) workerFirstItem[++worker] = it;
        items = it;
    }

    @Override
    public void run(int ignored, int fromWorker, int toWorker) {
        for (int w = fromWorker; w < toWorker; w++) {
            AttentionWorker aw = workers[w];
            int g = shape.groupSize(), d = shape.headDim();
            long qRow = (long) shape.heads() * d * 4;
            for (int it = workerFirstItem[w]; it < workerFirstItem[w + 1]; it++) {
                int req = itemReq[it], kvHead = itemHead[it];
                aw.loadQuery(q, req * qRow, kvHead * g, shape.scale());
                if (vector) {
                    aw.attend(keys, values, geometry, layer, kvHead, tables[req], itemFrom[it], itemTo[it]);
                } else {
                    aw.attendScalar(keys, values, geometry, layer, kvHead, tables[req], itemFrom[it], itemTo[it]);
                }
                int p = itemPartial[it];
                if (p < 0) {
                    aw.storeNormalised(out, req * qRow, kvHead * g);
                } else {
                    System.arraycopy(aw.acc, 0, partAcc, p * g * d, g * d);
                    System.arraycopy(aw.m, 0, partM, p * g, g);
                    System.arraycopy(aw.l, 0, partL, p * g, g);
                }
            }
        }
    }

    /** Log-sum-exp merge of the segments of every split (request, kvHead). Segments of one pair are adjacent. */
    private void merge(int[] lens, int count) {
        int g = shape.groupSize(), d = shape.headDim();
        long qRow = (long) shape.heads() * d * 4;
        for (int it = 0; it < items; ) {
            if (itemPartial[it] < 0) { it++; continue; }
            int end = it;
            while (end < items && itemReq[end] == itemReq[it] && itemHead[end] == itemHead[it]) end++;
            int first = itemPartial[it], last = itemPartial[end - 1];
            for (int h = 0; h < g; h++) {
                float mMax = Float.NEGATIVE_INFINITY;
                for (int p = first; p <= last; p++) mMax = Math.max(mMax, partM[p * g + h]);
                float total = 0f;
                for (int p = first; p <= last; p++) total += partL[p * g + h] * (float) Math.exp(partM[p * g + h] - mMax);
                long o = itemReq[it] * qRow + (long) (itemHead[it] * g + h) * d * 4;
                for (int i = 0; i < d; i++) {
                    float sum = 0f;
                    for (int p = first; p <= last; p++) {
                        sum += partAcc[(p * g + h) * d + i] * (float) Math.exp(partM[p * g + h] - mMax);
                    }
                    out.set(Elements.F32, o + 4L * i, sum / total);
                }
            }
            it = end;
        }
    }
}
