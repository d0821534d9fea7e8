package org.apexbench.engine.real;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The host-attention thread of the two-thread runtime (docs/architecture.md#real-executor): takes per-layer jobs in the order
 * the device thread published them (a job is published once the layer's q/k/v of its CPU rows exist),
 * runs each one (copy q/k/v to the host, append K/V to the host pool, decode attention, copy the output
 * back) and signals its stage's completion. The device thread blocks only in {@link #await}, i.e. where a
 * CPU-attention output is consumed. A failure on this thread fails the device thread's next await.
 */
final class HostAttentionThread implements AutoCloseable {
    private static final Runnable STOP = () -> { };
    /** Completion signals: sub-batch 0, sub-batch 1, and kernel launches (NEO's single-thread runtime). */
    private static final int STAGES = 3;
    static final int LAUNCHES = 2;
    private static final Runnable WAKE = () -> { };
    /** How long the device thread polls (yielding) for a CPU output before it parks. */
    private static final long YIELD_POLL_NANOS = 20_000_000;
    /** How long the device thread waits for one CPU output before it calls the host thread stuck, rather than hang. */
    static final long STUCK_SECONDS = 120;
    private final long stuckSeconds;
    /** How long the host thread keeps polling after an iteration with CPU work before it parks. */
    private static final long LINGER_NANOS = 20_000_000;

    private final BlockingQueue<Runnable> jobs = new LinkedBlockingQueue<>();
    private final Semaphore[] completed = new Semaphore[STAGES];
    private final Thread thread;
    private volatile Throwable failure;
    /**
     * While an iteration runs, the host thread polls for jobs instead of parking: a layer's work on a small
     * model takes tens of microseconds, less than a park/unpark round trip (a real runtime polls a
     * pinned-memory flag the same way).
     */
    private volatile boolean iterationActive;
    /** When the last iteration with CPU work ended: the thread keeps polling a while, as iterations come back to back. */
    private volatile long lastActiveNanos;

    HostAttentionThread(String name) { this(name, STUCK_SECONDS); }

    /** @param stuckSeconds how long {@link #await} waits for one output before it fails */
    HostAttentionThread(String name, long stuckSeconds) {
        this.stuckSeconds = stuckSeconds;
        for (int s = 0; s < STAGES; s++) completed[s] = new Semaphore(0);
        thread = Thread.ofPlatform().name(name).daemon(true).start(this::loop);
    }

    private void loop() {
        while (true) {
            Runnable job = jobs.poll();
            while (job == null && (iterationActive || System.nanoTime() - lastActiveNanos < LINGER_NANOS)) {
                Thread.yield();
                job = jobs.poll();
            }
            try {
                if (job == null) job = jobs.take();
            } catch (InterruptedException e) {
                return;
            }
            if (job == STOP) return;
            try {
                job.run();
            } catch (Throwable t) {
                failure = t;
                for (Semaphore s : completed) s.release(Integer.MAX_VALUE / 4);
                return;
            }
        }
    }

    /** An iteration starts: wake the host thread now (during swaps and embedding) and keep it polling. */
    void beginIteration() {
        iterationActive = true;
        jobs.add(WAKE);
    }

    /** The iteration's CPU work is all consumed: the host thread may park. */
    void endIteration() {
        lastActiveNanos = System.nanoTime();
        iterationActive = false;
    }

    /** Publishes one layer's CPU-attention job of sub-batch {@code stage}; it signals {@code stage} when done. */
    void submit(int stage, Runnable job) {
        failIfBroken();
        jobs.add(() -> {
            job.run();
            completed[stage].release();
        });
    }

    /** Waits for the oldest unconsumed job of {@code stage}; returns the seconds spent waiting. */
    double await(int stage) {
        long t0 = System.nanoTime();
        // Poll yielding the core: a parked device thread can take milliseconds to wake on a loaded machine
        // (longer than a layer), while a busy spin would take the core the host thread needs.
        Semaphore done = completed[stage];
        boolean got = done.tryAcquire();
        while (!got && System.nanoTime() - t0 < YIELD_POLL_NANOS) {
            Thread.yield();
            got = done.tryAcquire();
        }
        try {
            if (!got && !done.tryAcquire(stuckSeconds, TimeUnit.SECONDS)) {
                failIfBroken();
                throw new IllegalStateException("no CPU-attention output of sub-batch " + stage + " in " + stuckSeconds
                        + " s: the host-attention thread is stuck (a layer's CPU attention takes milliseconds to seconds)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("device thread interrupted while waiting for CPU attention", e);
        }
        failIfBroken();
        return (System.nanoTime() - t0) / 1e9;
    }

    private void failIfBroken() {
        Throwable f = failure;
        if (f != null) throw new IllegalStateException("host-attention thread failed: " + f, f);
    }

    @Override
    public void close() {
        jobs.add(STOP);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
