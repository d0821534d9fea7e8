package org.apexbench.kernels.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Many short parallel loops, from concurrent callers, on pools of 2 and 3 threads, on an oversubscribed
 * host: the load under which the ForkJoinPool-based pool once left {@code ./apex microbench cpu-attention}
 * parked forever in a join (docs/decisions.md, 2026-12-07). Every call must complete and cover its range
 * exactly once. {@code -Dapex.workerPoolStressSeconds=N} runs it longer than the default 2 s.
 */
class WorkerPoolStressTest {
    static final int SECONDS = Integer.getInteger("apex.workerPoolStressSeconds", 2);
    /** How long a caller may go without finishing before the test reports it stuck (a hang, not slowness). */
    static final long STUCK_MS = 30_000;

    @Test
    void mixedCallersOnSharedAndIdlingPoolsAllComplete() throws InterruptedException {
        stress(List.of(
                // two callers on one pool: they serialise on the pool, each sees its own calls complete
                new Caller("shared-a", 0, 2, 0, 0, true), new Caller("shared-b", 0, 2, 0, 0, true),
                // gaps of up to 1 ms between calls: the workers go idle and park, each call has to wake them
                new Caller("idling", 1, 2, 0, 1, true),
                new Caller("three", 2, 3, 200, 0, true)));
    }

    /**
     * The caller's own part much longer than the worker's: the caller finds the worker's part done, returns
     * and calls again at once, while the worker may still be finishing the previous call. With a reused
     * ForkJoinTask this reproduced the lost wake-up of the hang.
     */
    @Test
    void callersThatCallAgainAtOnceAllComplete() throws InterruptedException {
        stress(List.of(new Caller("again-0", 0, 2, 20_000, 0, false), new Caller("again-1", 1, 2, 20_000, 0, false),
                new Caller("again-2", 2, 2, 20_000, 0, false)));
    }

    /**
     * A caller: its name, its pool (an index; callers with the same index share one), the pool's size, how
     * long its own part spins, the longest gap between calls, and whether its loops vary in size (1 to
     * threads + 1 indices, one in eight inline) or always cover one index per thread.
     */
    record Caller(String name, int pool, int threads, int callerSpin, int maxGapMs, boolean varied) {}

    private static void stress(List<Caller> specs) throws InterruptedException {
        // The pool does not depend on the vector width: run once, in the default execution.
        assumeTrue(System.getProperty("apex.vectorBits") == null, "runs in the default-width execution only");
        long end = System.nanoTime() + SECONDS * 1_000_000_000L;
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Map<Integer, WorkerPool> pools = new HashMap<>();
        List<Thread> callers = new ArrayList<>();
        long[] calls = new long[specs.size()];
        try {
            for (int i = 0; i < specs.size(); i++) {
                Caller c = specs.get(i);
                WorkerPool pool = pools.computeIfAbsent(c.pool(), k -> new WorkerPool(c.threads()));
                callers.add(caller(c, pool, end, calls, i, failures));
            }
            for (Thread t : callers) t.start();
            long deadline = System.currentTimeMillis() + SECONDS * 1000L + STUCK_MS;
            for (Thread t : callers) {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
                if (t.isAlive()) {
                    fail(t.getName() + " did not finish its calls within " + STUCK_MS + " ms of the end: state "
                            + t.getState() + " at\n" + stack(t) + "\ncalls completed per caller: " + Arrays.toString(calls));
                }
            }
        } finally {
            for (WorkerPool p : pools.values()) p.close();
        }
        if (!failures.isEmpty()) throw new AssertionError("a call failed", failures.peek());
        for (int i = 0; i < calls.length; i++) assertTrue(calls[i] > 0, specs.get(i).name() + " completed no call");
    }

    /**
     * A thread that, until {@code end}, runs loops as {@code spec} says, checks each index ran exactly once,
     * and counts its calls in {@code calls[slot]}.
     */
    private static Thread caller(Caller spec, WorkerPool pool, long end, long[] calls, int slot,
                                 ConcurrentLinkedQueue<Throwable> failures) {
        String name = spec.name();
        int callerSpin = spec.callerSpin(), maxGapMs = spec.maxGapMs();
        Thread t = new Thread(() -> {
            Random rnd = new Random(slot);
            AtomicIntegerArray hits = new AtomicIntegerArray(pool.threads() + 1);
            long[] sink = new long[1];
            try {
                while (System.nanoTime() < end) {
                    int n = spec.varied() ? 1 + rnd.nextInt(pool.threads() + 1) : pool.threads();
                    boolean parallel = !spec.varied() || rnd.nextInt(8) != 0;
                    pool.forRange(n, parallel, (worker, from, to) -> {
                        for (int i = from; i < to; i++) hits.incrementAndGet(i);
                        if (worker == 0) sink[0] += spin(callerSpin);
                    });
                    for (int i = 0; i < n; i++) {
                        if (hits.getAndSet(i, 0) != 1) throw new AssertionError(name + ": index " + i + " of " + n + " ran "
                                + "other than once");
                    }
                    calls[slot]++;
                    if (maxGapMs > 0 && rnd.nextInt(4) == 0) Thread.sleep(rnd.nextInt(maxGapMs + 1));
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        }, name);
        t.setDaemon(true);   // a stuck caller must not keep the test JVM alive
        return t;
    }

    private static long spin(int iterations) {
        long s = 0;
        for (int i = 0; i < iterations; i++) s += i ^ (s >>> 3);
        return s;
    }

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) b.append("    at ").append(e).append('\n');
        return b.toString();
    }
}
