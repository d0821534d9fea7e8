package org.apexbench.engine.sim;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;

/**
 * One step of an iteration's layer stack as a small DAG, repeated for every step. Node j of step k
 * works on layer {@code k + offset[j]} (skipped outside 0..L-1), so pipelined strategies can put
 * {@code post(i)} next to {@code pre(i+1)} as NEO does. Dependencies point at an earlier node of the
 * same step (delta 0) or any node of the previous step (delta -1). Primitive arrays, reused across
 * iterations: the simulator allocates nothing per subtask.
 */
final class LayerTemplate {
    static final int MAX_NODES = 24;
    static final int MAX_DEPS = 6;

    final Op[] op = new Op[MAX_NODES];
    final int[] resource = new int[MAX_NODES];
    final int[] stage = new int[MAX_NODES];
    final int[] offset = new int[MAX_NODES];
    final int[] rows = new int[MAX_NODES];
    final int[] requests = new int[MAX_NODES];
    final long[] context = new long[MAX_NODES];
    final long[] pairs = new long[MAX_NODES];
    final long[] bytes = new long[MAX_NODES];
    final double[] duration = new double[MAX_NODES];
    final int[][] depNode = new int[MAX_NODES][MAX_DEPS];
    final int[][] depDelta = new int[MAX_NODES][MAX_DEPS];
    final int[] depCount = new int[MAX_NODES];
    int size;
    int steps;

    void reset(int steps) {
        this.size = 0;
        this.steps = steps;
    }

    /** Adds a node when {@code present}; returns its index or -1 (absent: dependencies on it are ignored). */
    int add(boolean present, Op op, int stage, int offset, int rows, int requests, long context, long pairs, long bytes) {
        if (!present) return -1;
        int j = size++;
        this.op[j] = op;
        this.resource[j] = op.resource().ordinal();
        this.stage[j] = stage;
        this.offset[j] = offset;
        this.rows[j] = rows;
        this.requests[j] = requests;
        this.context[j] = context;
        this.pairs[j] = pairs;
        this.bytes[j] = bytes;
        this.depCount[j] = 0;
        return j;
    }

    /** Node {@code node} waits for {@code on} of the same step ({@code delta} 0) or of the previous step (-1). */
    void dep(int node, int on, int delta) {
        if (node < 0 || on < 0) return;
        if (delta == 0 && on >= node) throw new IllegalStateException("same-step dependency must point backwards");
        int c = depCount[node]++;
        depNode[node][c] = on;
        depDelta[node][c] = delta;
    }

    static Resource resourceOf(int ordinal) { return Resource.values()[ordinal]; }
}
