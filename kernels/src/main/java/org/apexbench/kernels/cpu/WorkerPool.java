package org.apexbench.kernels.cpu;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The backend's own workers: {@code threads - 1} platform threads that live until {@link #close()}; the
 * calling thread is the last of the {@code threads}. A parallel loop is cut into parts; every part is
 * claimed by one atomic step before it runs, by a worker or by the caller, so each runs exactly once. The
 * caller runs part 0, then claims and runs every part no worker has claimed yet, then waits only for parts
 * a worker is running: a call never waits for a worker to wake, so a late or lost wake-up costs speed,
 * never progress. Dispatch allocates nothing.
 */
final class WorkerPool implements AutoCloseable {
    /** One part of a parallel loop: the index range {@code [from, to)}, run by worker {@code worker}. */
    interface Body {
        void run(int worker, int from, int to);
    }

    /**
     * Spin-waits (Thread.onSpinWait) of an idle worker before it parks, and of a caller waiting for a worker's
     * part: the 256 a ForkJoinPool worker makes before it parks (~8 us here), so back-to-back kernel calls
     * find the workers awake, and an idle pool costs no CPU.
     */
    static final int IDLE_SPINS = 1 << 8;

    private static final AtomicInteger POOLS = new AtomicInteger();
    private static final int PART_BITS = 16, PART_MASK = (1 << PART_BITS) - 1;

    private final int threads;
    private final Thread[] workers;
    private final AtomicIntegerArray parked;   // 1 while worker i is parked or about to park
    /**
     * The call in progress, one word so that a claim names its call: {@code generation << 32 | parts << 16 |
     * next part}. Workers claim by CAS on the exact word they read, so a claim can never take a part of a
     * later call.
     */
    private final AtomicLong claim = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();   // parts of the call in progress that have run
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean closed;
    // the call's arguments: written before the claim word is published, read after a claim of this call
    private Body body;
    private int n;
    private Thread caller;

    WorkerPool(int threads) {
        this(threads, namedDaemons(POOLS.incrementAndGet()));
    }

    /** @param factory makes the worker threads (tests hold them back to check the caller alone completes a call) */
    WorkerPool(int threads, ThreadFactory factory) {
        if (threads < 1 || threads > PART_MASK) {
            throw new IllegalArgumentException("worker pool: threads must be in [1, " + PART_MASK + "], got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parked = new AtomicIntegerArray(threads - 1);
        for (int i = 0; i < workers.length; i++) {
            int index = i;
            workers[i] = factory.newThread(() -> work(index));
        }
        try {
            for (Thread t : workers) t.start();
        } catch (RuntimeException | Error e) {
            close();   // the workers already started end instead of idling forever
            throw e;
        }
    }

    private static ThreadFactory namedDaemons(int pool) {
        AtomicInteger next = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "apex-cpu-" + pool + "-" + next.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }

    int threads() { return threads; }

    /** The worker threads (tests wait for them to end after {@link #close()}). */
    Thread[] workerThreads() { return workers.clone(); }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads} contiguous, equal chunks, or
     * inline in one call when {@code parallel} is false (small work does not pay the hand-off). The first
     * failure of any part is rethrown once every part has run.
     */
    synchronized void forRange(int n, boolean parallel, Body body) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        int chunks = parallel ? Math.min(threads, n) : 1;
        if (chunks <= 1) {
            if (n > 0) body.run(0, 0, n);
            return;
        }
        this.body = body;
        this.n = n;
        this.caller = Thread.currentThread();
        failure.set(null);
        done.set(0);
        long generation = ((claim.get() >>> 32) + 1) & 0xffff_ffffL;
        claim.set(generation << 32 | (long) chunks << PART_BITS | 1);   // part 0 is the caller's
        wakeParked();
        runPart(0, chunks);
        for (int part; (part = tryClaim(generation)) >= 0; ) runPart(part, chunks);
        awaitParts(chunks);
        this.body = null;
        this.caller = null;
        Throwable t = failure.getAndSet(null);
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Claims the next part of call {@code generation}; -1 when none is left or the call is over. */
    private int tryClaim(long generation) {
        for (long c = claim.get(); c >>> 32 == generation; c = claim.get()) {
            int next = (int) c & PART_MASK, parts = (int) (c >>> PART_BITS) & PART_MASK;
            if (next >= parts) return -1;
            if (claim.compareAndSet(c, c + 1)) return next;
        }
        return -1;
    }

    /** Runs one claimed part, keeps the call's first failure, counts the part; true if it was the call's last. */
    private boolean runPart(int part, int chunks) {
        try {
            body.run(part, (int) ((long) n * part / chunks), (int) ((long) n * (part + 1) / chunks));
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
        return done.incrementAndGet() == chunks;
    }

    /** The caller, every part claimed: waits for the parts workers are running, spinning briefly, then parked. */
    private void awaitParts(int chunks) {
        for (int spins = 0; done.get() != chunks; spins++) {
            if (spins < IDLE_SPINS) Thread.onSpinWait();
            else LockSupport.park(this);   // unparked by the worker that finishes the last part
        }
    }

    private void wakeParked() {
        for (int i = 0; i < workers.length; i++) {
            if (parked.get(i) != 0) LockSupport.unpark(workers[i]);
        }
    }

    /** A worker's life: claim parts of each new call until none is left, idle (spin, then park) between calls. */
    private void work(int index) {
        long seen = claim.get() >>> 32;
        while (!closed) {
            long c = awaitCall(index, seen);
            if (c == -1) return;
            long generation = c >>> 32;
            int parts = (int) (c >>> PART_BITS) & PART_MASK;
            for (int part; (part = tryClaim(generation)) >= 0; ) {
                // a claim of this call: its arguments are published, and stay until this part is done
                Thread waiting = caller;
                if (runPart(part, parts)) LockSupport.unpark(waiting);
            }
            seen = generation;
        }
    }

    /** Spins, then parks, until a call newer than {@code seen} is published; returns its claim word, -1 if closed. */
    private long awaitCall(int index, long seen) {
        for (int spins = 0; ; spins++) {
            if (closed) return -1;
            long c = claim.get();
            if (c >>> 32 != seen) return c;
            if (spins < IDLE_SPINS) {
                Thread.onSpinWait();
                continue;
            }
            parked.set(index, 1);
            // re-check after announcing: a call published before the announcement is seen here, one after it unparks us
            if (claim.get() >>> 32 == seen && !closed) LockSupport.park(this);
            parked.set(index, 0);
            spins = 0;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) LockSupport.unpark(t);
    }
}
