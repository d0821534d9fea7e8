package org.apexbench.engine.runtime;

import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;

import java.util.BitSet;

/**
 * A logical paged KV pool (GPU or host): fixed-size blocks, lowest-numbered free blocks first (as
 * NEO's block manager does, which keeps a request's blocks contiguous so swaps coalesce).
 */
final class BlockPool implements KvCapacity.Pool {
    private final Location location;
    private final int capacity;
    private final BitSet used;
    private int usedCount;

    public BlockPool(Location location, int capacity) {
        if (location == Location.NONE || capacity < 0) {
            throw new IllegalArgumentException("a block pool needs GPU or HOST and capacity >= 0");
        }
        this.location = location;
        this.capacity = capacity;
        this.used = new BitSet(capacity);
    }

    Location location() { return location; }

    int capacity() { return capacity; }

    @Override public int used() { return usedCount; }

    int free() { return capacity - usedCount; }

    /** Grows {@code r}'s table to {@code blocks} blocks; the request must live here (or nowhere yet). */
    void growTo(TrackedRequest r, int blocks) {
        if (r.location() != location) {
            throw new IllegalStateException("request " + r.id() + " lives in " + r.location() + ", not in the " + location + " pool");
        }
        int need = blocks - r.blocks();
        if (need <= 0) return;
        if (need > free()) {
            throw new IllegalStateException(location + " KV pool exhausted: request " + r.id() + " needs " + need
                    + " more blocks, " + free() + " of " + capacity + " free (scheduler over-committed)");
        }
        int b = 0;
        for (int i = 0; i < need; i++) {
            b = used.nextClearBit(b);
            used.set(b);
            r.appendBlock(b);
        }
        usedCount += need;
    }

    /** Takes {@code count} blocks for a request moving in; returns the ids. */
    int[] take(int count, String requestId) {
        if (count > free()) {
            throw new IllegalStateException(location + " KV pool cannot take request " + requestId + ": needs " + count
                    + " blocks, " + free() + " of " + capacity + " free (scheduler over-committed)");
        }
        int[] ids = new int[count];
        int b = 0;
        for (int i = 0; i < count; i++) {
            b = used.nextClearBit(b);
            used.set(b);
            ids[i] = b;
        }
        usedCount += count;
        return ids;
    }

    /** Frees every block of {@code r}'s table. */
    void release(TrackedRequest r) {
        for (int i = 0; i < r.blocks(); i++) {
            int b = r.block(i);
            if (!used.get(b)) throw new IllegalStateException("block " + b + " of " + r.id() + " freed twice in " + location);
            used.clear(b);
        }
        usedCount -= r.blocks();
        r.clearBlocks();
    }

    /** Runs of consecutive block ids in a table: the number of coalesced copies a swap needs per layer and tensor. */
    static int runs(int[] table) {
        int runs = table.length == 0 ? 0 : 1;
        for (int i = 1; i < table.length; i++) {
            if (table[i] != table[i - 1] + 1) runs++;
        }
        return runs;
    }
}
