package org.apexbench.kernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend's own workers (never the common pool). The calling thread runs part 0 itself, so a pool of
 * {@code threads} uses {@code threads - 1} extra threads. The part tasks are preallocated and reinitialised,
 * so dispatch allocates nothing per call.
 */
final class WorkerPool implements AutoCloseable {
    /** One part of a parallel loop: the index range {@code [from, to)}, run by worker {@code worker}. */
    interface Body {
        void run(int worker, int from, int to);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final ForkJoinPool pool;
    private final Part[] parts;

    WorkerPool(int threads) {
        this.threads = threads;
        int id = POOLS.incrementAndGet();
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("apex-cpu-" + id + "-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false) : null;
        this.parts = new Part[threads];
        for (int i = 0; i < threads; i++) parts[i] = new Part();
    }

    int threads() { return threads; }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads} contiguous, equal chunks, or
     * inline in one call when {@code parallel} is false (small work does not pay the hand-off).
     */
    synchronized void forRange(int n, boolean parallel, Body body) {
        int chunks = parallel ? Math.min(threads, n) : 1;
        if (chunks <= 1) {
            if (n > 0) body.run(0, 0, n);
            return;
        }
        for (int c = 1; c < chunks; c++) {
            Part part = parts[c];
            part.set(body, c, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
            part.reinitialize();
            pool.execute(part);
        }
        Throwable failure = null;
        try {
            body.run(0, 0, (int) ((long) n / chunks));
        } catch (Throwable t) {
            failure = t;
        }
        for (int c = 1; c < chunks; c++) {
            try {
                parts[c].join();
            } catch (Throwable t) {
                if (failure == null) failure = t;
            }
            parts[c].body = null;
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new IllegalStateException(failure);
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }

    private static final class Part extends RecursiveAction {
        private Body body;
        private int worker, from, to;

        void set(Body body, int worker, int from, int to) {
            this.body = body;
            this.worker = worker;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() { body.run(worker, from, to); }
    }
}
