package org.apexbench.engine.apex;

/**
 * When the waiting requests would get GPU memory if none of them went to the host (gpu-only's candidate, docs/engines.md,
 * SLO-aware scheduling): an event forecast in iterations from now. Each request on the GPU holds its blocks now and grows
 * by one block per block-size tokens, one token per iteration, until its last token frees everything it holds; the
 * waiting requests are admitted FCFS, each at the first iteration at which its prompt's blocks fit beside what the
 * requests on the GPU hold then (the admission rule of the placement, its watermark taken off the capacity), and once
 * admitted it grows and frees the same way. Growth is counted in fractional blocks (the blocks a request holds are its
 * tokens over the block size, rounded up only at admission), which is what a pool of many requests averages to.
 * Reusable: {@link #reset}, {@link #addRunning} per GPU request, then {@link #admit} per waiting request in FCFS order.
 * No allocation once the scratch has grown.
 */
final class GpuQueueForecast {
    /** Events: (iteration at which a request frees its blocks) << 32 | its slot; a binary min-heap. */
    private long[] heap = new long[64];
    /** Per slot: blocks held at iteration 0 of the forecast, extrapolated back from its admission (held - start / bs). */
    private double[] base = new double[64];
    private int size, slots;
    private double capacity, blockSize, sumBase;
    private int alive;
    private long now;

    /**
     * Starts a forecast over a GPU pool whose admissions may fill {@code capacityBlocks} (its blocks less the
     * watermark) with blocks of {@code blockSize} tokens.
     */
    GpuQueueForecast reset(int capacityBlocks, int blockSize) {
        this.capacity = capacityBlocks;
        this.blockSize = blockSize;
        size = slots = alive = 0;
        sumBase = 0;
        now = 0;
        return this;
    }

    /** A request on the GPU that holds {@code blocks} now and gets its last token in iteration {@code remaining - 1}. */
    void addRunning(int remaining, int blocks) { start(0, Math.max(1, remaining), blocks); }

    /**
     * The next waiting request in FCFS order, needing {@code blocks} for its prompt and then producing {@code tokens}
     * tokens: the iteration (from now) whose prefill admits it, or -1 if it never fits, even once every request before
     * it has finished.
     */
    long admit(int blocks, int tokens) {
        while (true) {
            while (size > 0 && (heap[0] >>> 32) <= now) finish((int) pop());
            if (sumBase + alive * (now / blockSize) + blocks <= capacity) {
                start(now, Math.max(1, tokens), blocks);
                return now;
            }
            if (size == 0) return -1;
            now = heap[0] >>> 32;
        }
    }

    private void start(long at, int tokens, int blocks) {
        if (slots == base.length) base = java.util.Arrays.copyOf(base, 2 * slots);
        base[slots] = blocks - at / blockSize;
        sumBase += base[slots];
        alive++;
        push((at + tokens) << 32 | slots);
        slots++;
    }

    private void finish(int slot) {
        sumBase -= base[slot];
        alive--;
    }

    private void push(long key) {
        if (size == heap.length) heap = java.util.Arrays.copyOf(heap, 2 * size);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= key) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = key;
    }

    /** Removes the earliest event; returns its slot. */
    private long pop() {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return top & 0xffffffffL;
    }
}
