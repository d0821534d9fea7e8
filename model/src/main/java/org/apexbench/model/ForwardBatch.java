package org.apexbench.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;

/**
 * One step's batch for {@link LlamaModel}: sequences, each contributing {@code count} new tokens at
 * positions {@code startPos ..} (a whole prompt, a prefill chunk, or one decode token), and the
 * scratch activations they flow through. Rows are the batch's tokens in the order sequences were
 * added; sequence s owns rows {@code rowStart(s) .. rowStart(s) + rowCount(s) - 1}.
 *
 * <p>Activations ({@code [maxTokens][width]} of the backend's activation type) are allocated once
 * and reused by every step: {@link #clear()} and add again. A step allocates only its small metadata
 * (per pool-run slot arrays, attention subsets), never activations.
 *
 * <p>Each sequence's KV lives wholly in one of {@link #pools()} (GPU pool, host pool); its block
 * table maps position p to slot {@code blockTable[p / 16] * 16 + p % 16} of that pool.
 */
public final class ForwardBatch implements AutoCloseable {
    private final ModelConfig config;
    private final Backend backend;
    private final List<KvPool> pools;
    private final int maxTokens;
    private final int maxSequences;
    final int logitRows;

    // per row
    final int[] tokens;
    final int[] positions;
    final int[] slots;
    // per sequence
    private final String[] labels;
    private final int[] rowStart;
    private final int[] rowCount;
    private final int[] startPos;
    private final int[] poolOf;
    private final int[][] blockTables;
    private int sequences;
    private int rows;

    // derived once per step (see seal())
    private boolean sealed;
    private List<AppendRun> appendRuns;
    private AttentionSubset[] poolSubsets;

    // activations
    final DeviceBuffer hidden;      // residual stream [maxTokens][hidden]
    final DeviceBuffer normed;      // [maxTokens][hidden]
    final DeviceBuffer q;           // [maxTokens][heads*headDim]
    final DeviceBuffer k;           // [maxTokens][kvHeads*headDim]
    final DeviceBuffer v;
    final DeviceBuffer attn;        // attention output [maxTokens][heads*headDim]
    final DeviceBuffer gateUp;      // [maxTokens][2*intermediate]
    final DeviceBuffer act;         // silu(gate)*up [maxTokens][intermediate]
    final DeviceBuffer lastHidden;  // last row of each sequence [logitRows][hidden]
    final DeviceBuffer lastNormed;
    final DeviceBuffer logits;      // [logitRows][vocab]
    final float[] temperature;
    final float[] topP;
    final double[] uniform;
    private final Arena hostArena;
    final MemorySegment hostLogits; // one row of logits read back to the host
    final DeviceBuffer finiteFlags;   // [layers + 2][maxTokens] ints: per row, NaN/infinite after the embedding, each layer, LM head
    private final int[] flaggedRows;  // rows each slot of finiteFlags holds this step (0: not marked since clear())
    private final MemorySegment hostFlags;

    ForwardBatch(ModelConfig config, Backend backend, List<KvPool> pools, int maxTokens, int maxSequences) {
        if (maxTokens <= 0 || maxSequences <= 0 || maxSequences > maxTokens) {
            throw new IllegalArgumentException("batch: need 0 < maxSequences <= maxTokens, got maxTokens=" + maxTokens
                    + " maxSequences=" + maxSequences);
        }
        if (pools.isEmpty()) {
            throw new IllegalArgumentException("batch: at least one KV pool is needed");
        }
        for (int i = 0; i < pools.size(); i++) {
            KvGeometry g = pools.get(i).geometry();
            if (g.layers() != config.layers() || g.kvHeads() != config.kvHeads() || g.headDim() != config.headDim()) {
                throw new IllegalArgumentException("batch: KV pool " + i + " has geometry " + g + ", model " + config.name()
                        + " needs layers=" + config.layers() + " kvHeads=" + config.kvHeads() + " headDim=" + config.headDim());
            }
        }
        this.config = config;
        this.backend = backend;
        this.pools = List.copyOf(pools);
        this.maxTokens = maxTokens;
        this.maxSequences = maxSequences;
        this.logitRows = Math.max(maxSequences, Math.min(maxTokens, 64));
        tokens = new int[maxTokens];
        positions = new int[maxTokens];
        slots = new int[maxTokens];
        labels = new String[maxSequences];
        rowStart = new int[maxSequences];
        rowCount = new int[maxSequences];
        startPos = new int[maxSequences];
        poolOf = new int[maxSequences];
        blockTables = new int[maxSequences][];
        long a = backend.activationType().bytes();
        hidden = backend.allocate(a * maxTokens * config.hiddenSize());
        normed = backend.allocate(a * maxTokens * config.hiddenSize());
        q = backend.allocate(a * maxTokens * config.qWidth());
        k = backend.allocate(a * maxTokens * config.kvWidth());
        v = backend.allocate(a * maxTokens * config.kvWidth());
        attn = backend.allocate(a * maxTokens * config.qWidth());
        gateUp = backend.allocate(a * maxTokens * 2L * config.intermediateSize());
        act = backend.allocate(a * maxTokens * config.intermediateSize());
        lastHidden = backend.allocate(a * logitRows * config.hiddenSize());
        lastNormed = backend.allocate(a * logitRows * config.hiddenSize());
        logits = backend.allocate(a * logitRows * config.vocabSize());
        temperature = new float[maxSequences];
        topP = new float[maxSequences];
        uniform = new double[maxSequences];
        hostArena = Arena.ofShared();
        hostLogits = hostArena.allocate(a * config.vocabSize(), 64);
        long flagBytes = 4L * (config.layers() + 2) * maxTokens;
        finiteFlags = backend.allocate(flagBytes);
        flaggedRows = new int[config.layers() + 2];
        hostFlags = hostArena.allocate(flagBytes, 64);
    }

    /** Empties the batch for the next step (activations are kept). */
    public void clear() {
        sequences = 0;
        rows = 0;
        sealed = false;
        java.util.Arrays.fill(flaggedRows, 0);
    }

    /**
     * Adds a sequence's new tokens {@code tokens[from .. from+count-1]} at positions
     * {@code startPos .. startPos+count-1}; returns its sequence index in this batch.
     *
     * @param label      names the request in error messages (e.g. "request 17", "prompt 2")
     * @param blockTable the sequence's KV blocks in pool {@code pool}; must cover position startPos+count-1.
     *                   Not copied: it must not change until the step is done.
     */
    public int add(String label, int[] tokens, int from, int count, int startPos, int[] blockTable, int pool) {
        if (count <= 0 || from < 0 || from + count > tokens.length) {
            throw new IllegalArgumentException(label + ": tokens [" + from + ", " + (from + count) + ") out of range of "
                    + tokens.length + " tokens");
        }
        if (sequences == maxSequences || rows + count > maxTokens) {
            throw new IllegalStateException(label + ": batch is full (" + sequences + "/" + maxSequences + " sequences, "
                    + rows + "+" + count + " > " + maxTokens + " tokens)");
        }
        if (startPos < 0 || (long) startPos + count > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(label + ": positions " + startPos + ".." + (startPos + count - 1)
                    + " exceed the model's context of " + config.maxPositionEmbeddings() + " tokens (max_position_embeddings)");
        }
        if (pool < 0 || pool >= pools.size()) {
            throw new IllegalArgumentException(label + ": KV pool " + pool + " does not exist (" + pools.size() + " pools)");
        }
        int lastBlock = (startPos + count - 1) / KvGeometry.BLOCK_SIZE;
        if (blockTable.length <= lastBlock) {
            throw new IllegalArgumentException(label + ": block table has " + blockTable.length + " blocks, position "
                    + (startPos + count - 1) + " needs " + (lastBlock + 1));
        }
        int poolBlocks = pools.get(pool).geometry().blocks();
        for (int b = 0; b <= lastBlock; b++) {
            if (blockTable[b] < 0 || blockTable[b] >= poolBlocks) {
                throw new IllegalArgumentException(label + ": block table entry " + b + " = " + blockTable[b]
                        + " is outside KV pool " + pool + " (" + poolBlocks + " blocks)");
            }
        }
        for (int i = 0; i < count; i++) {
            int t = tokens[from + i];
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException(label + ": token id " + t + " at position " + (startPos + i)
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        int s = sequences++;
        labels[s] = label;
        rowStart[s] = rows;
        rowCount[s] = count;
        this.startPos[s] = startPos;
        poolOf[s] = pool;
        blockTables[s] = blockTable;
        for (int i = 0; i < count; i++) {
            int r = rows + i;
            int p = startPos + i;
            this.tokens[r] = tokens[from + i];
            positions[r] = p;
            slots[r] = blockTable[p / KvGeometry.BLOCK_SIZE] * KvGeometry.BLOCK_SIZE + p % KvGeometry.BLOCK_SIZE;
        }
        rows += count;
        sealed = false;
        return s;
    }

    public int sequences() { return sequences; }

    public int rows() { return rows; }

    public int maxTokens() { return maxTokens; }

    public int maxSequences() { return maxSequences; }

    public List<KvPool> pools() { return pools; }

    public int rowStart(int seq) { return rowStart[check(seq)]; }

    public int rowCount(int seq) { return rowCount[check(seq)]; }

    public int startPos(int seq) { return startPos[check(seq)]; }

    public int pool(int seq) { return poolOf[check(seq)]; }

    public String label(int seq) { return labels[check(seq)]; }

    public int[] blockTable(int seq) { return blockTables[check(seq)]; }

    private int check(int seq) {
        if (seq < 0 || seq >= sequences) {
            throw new IndexOutOfBoundsException("sequence " + seq + " of a batch of " + sequences);
        }
        return seq;
    }

    /** Bytes of one activation row of {@code width} elements. */
    long rowBytes(int width) { return (long) backend.activationType().bytes() * width; }

    /**
     * Activation rows of this batch in one of its buffers, for engines that move a subset's rows
     * (e.g. queries to a host backend): {@code buffer.slice(firstRow * rowBytes, rows * rowBytes)}.
     */
    public DeviceBuffer rowSlice(DeviceBuffer buffer, int width, int firstRow, int count) {
        return buffer.slice(firstRow * rowBytes(width), count * rowBytes(width));
    }

    /**
     * Rows of a buffer laid out like this batch's rows but holding elements of {@code type} (e.g. fp32 host
     * copies of a cuda batch's fp16 rows, which a host backend attends over).
     */
    public DeviceBuffer rowSlice(DeviceBuffer buffer, org.apexbench.kernels.DType type, int width, int firstRow, int count) {
        long row = (long) type.bytes() * width;
        return buffer.slice(firstRow * row, count * row);
    }

    /** Queries {@code [rows][heads*headDim]} after {@link LlamaModel#pre} (row-sliceable). */
    public DeviceBuffer queries() { return q; }

    /** Attention output {@code [rows][heads*headDim]}, filled by {@link LlamaModel#attention}. */
    public DeviceBuffer attentionOutput() { return attn; }

    /** New keys {@code [rows][kvHeads*headDim]} after {@link LlamaModel#project} (row-sliceable). */
    public DeviceBuffer newKeys() { return k; }

    /** New values {@code [rows][kvHeads*headDim]} after {@link LlamaModel#project} (row-sliceable). */
    public DeviceBuffer newValues() { return v; }

    /** Bytes of one activation row of {@code width} elements (public for engines that copy rows). */
    public long activationRowBytes(int width) { return rowBytes(width); }

    /** The residual stream {@code [rows][hidden]}. */
    public DeviceBuffer hiddenStates() { return hidden; }

    /** The sequences of {@code seqs} (all in one pool) as an attention subset. */
    public AttentionSubset subset(int... seqs) {
        if (seqs.length == 0) {
            throw new IllegalArgumentException("attention subset needs at least one sequence");
        }
        int[] sorted = seqs.clone();
        Arrays.sort(sorted);
        int pool = poolOf[check(sorted[0])];
        for (int i = 0; i < sorted.length; i++) {
            check(sorted[i]);
            if (i > 0 && sorted[i] == sorted[i - 1]) {
                throw new IllegalArgumentException("attention subset lists sequence " + sorted[i] + " twice");
            }
            if (poolOf[sorted[i]] != pool) {
                throw new IllegalArgumentException("attention subset mixes KV pools: " + labels[sorted[0]] + " is in pool "
                        + pool + ", " + labels[sorted[i]] + " in pool " + poolOf[sorted[i]]);
            }
        }
        List<AttentionSubset.Prefill> prefill = new ArrayList<>();
        List<AttentionSubset.DecodeRun> runs = new ArrayList<>();
        int i = 0;
        while (i < sorted.length) {
            int s = sorted[i];
            if (rowCount[s] > 1) {
                prefill.add(new AttentionSubset.Prefill(s, rowStart[s], rowCount[s], startPos[s], blockTables[s],
                        rowSlice(q, config.qWidth(), rowStart[s], rowCount[s]),
                        rowSlice(attn, config.qWidth(), rowStart[s], rowCount[s])));
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < sorted.length && rowCount[sorted[j + 1]] == 1
                    && rowStart[sorted[j + 1]] == rowStart[sorted[j]] + 1) {
                j++;
            }
            int n = j - i + 1;
            int[][] tables = new int[n][];
            int[] lens = new int[n];
            for (int x = 0; x < n; x++) {
                tables[x] = blockTables[sorted[i + x]];
                lens[x] = startPos[sorted[i + x]] + 1;
            }
            runs.add(new AttentionSubset.DecodeRun(rowStart[s], n, tables, lens,
                    rowSlice(q, config.qWidth(), rowStart[s], n), rowSlice(attn, config.qWidth(), rowStart[s], n)));
            i = j + 1;
        }
        return new AttentionSubset(this, pool, List.copyOf(prefill), List.copyOf(runs));
    }

    /**
     * All sequences of pool {@code pool}, or null when it has none in this batch. Build the subsets
     * before handing them to other threads (the first call after {@link #add} computes them).
     */
    public AttentionSubset poolSubset(int pool) {
        seal();
        return poolSubsets[pool];
    }

    /**
     * One kvAppend call: a maximal run of consecutive rows in the same pool, with views of its K and V
     * rows and its slots from index 0.
     */
    record AppendRun(KvPool pool, DeviceBuffer k, DeviceBuffer v, int rows, int[] slots, int poolIndex, int firstRow) {}

    List<AppendRun> appendRuns() {
        seal();
        return appendRuns;
    }

    private synchronized void seal() {
        if (sealed) return;
        appendRuns = new ArrayList<>();
        int s = 0;
        while (s < sequences) {
            int e = s;
            while (e + 1 < sequences && poolOf[e + 1] == poolOf[s]) e++;
            int first = rowStart[s];
            int n = rowStart[e] + rowCount[e] - first;
            boolean whole = first == 0 && n == rows;
            appendRuns.add(new AppendRun(pools.get(poolOf[s]),
                    whole ? k : rowSlice(k, config.kvWidth(), first, n), whole ? v : rowSlice(v, config.kvWidth(), first, n),
                    n, first == 0 ? slots : Arrays.copyOfRange(slots, first, first + n), poolOf[s], first));
            s = e + 1;
        }
        poolSubsets = new AttentionSubset[pools.size()];
        for (int p = 0; p < pools.size(); p++) {
            final int pool = p;
            int[] members = java.util.stream.IntStream.range(0, sequences).filter(x -> poolOf[x] == pool).toArray();
            poolSubsets[p] = members.length == 0 ? null : subset(members);
        }
        sealed = true;
    }

    /**
     * Enqueues the finiteness flags of the residual stream's rows after layer {@code layer} (-1: after the embedding),
     * one per token, into that layer's slot of {@link #finiteFlags}: nothing is read back until {@link #firstNonFinite()}.
     */
    void markNonFinite(int layer) { mark(layer + 1, hidden, config.hiddenSize(), rows); }

    /** As {@link #markNonFinite(int)} for the logits, one row per sequence, in the last slot. */
    void markNonFiniteLogits() { mark(logitsSlot(), logits, config.vocabSize(), sequences); }

    private int logitsSlot() { return flaggedRows.length - 1; }

    private void mark(int slot, DeviceBuffer buffer, int width, int n) {
        if (n == 0) return;
        backend.markNonFinite(buffer, n, width, finiteFlags, 4L * slot * maxTokens);
        flaggedRows[slot] = n;
    }

    /**
     * The lowest marked slot with a flagged row and the sequence of its first flagged row, as {@code {slot, sequence}}
     * (slot 0: the embedding, l + 1: layer l, the last: the logits), or null when every row marked since
     * {@link #clear()} was finite. One copy of the flags to the host (it waits for the marks enqueued so far).
     */
    int[] firstNonFinite() {
        int last = -1;
        for (int slot = 0; slot < flaggedRows.length; slot++) if (flaggedRows[slot] != 0) last = slot;
        if (last < 0) return null;
        backend.read(finiteFlags, 0, hostFlags.asSlice(0, 4L * (last + 1) * maxTokens));
        for (int slot = 0; slot <= last; slot++) {
            for (int r = 0; r < flaggedRows[slot]; r++) {
                if (hostFlags.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, (long) slot * maxTokens + r) != 0) {
                    return new int[] {slot, slot == logitsSlot() ? r : sequenceOfRow(r)};
                }
            }
        }
        return null;
    }

    private int sequenceOfRow(int row) {
        for (int s = 0; s < sequences; s++) {
            if (row >= rowStart[s] && row < rowStart[s] + rowCount[s]) return s;
        }
        return -1;
    }

    /** Frees the host scratch; device activations go with the backend. */
    @Override
    public void close() {
        hostArena.close();
    }
}
