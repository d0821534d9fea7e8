package org.apexbench.kernels.cpu;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's contract: each part exactly once with its range, failures reported, progress without workers. */
class WorkerPoolTest {

    @Test
    void everyPartRunsOnceOverItsEqualContiguousRange() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int n = 0; n <= 9; n++) {
                    int chunks = Math.min(threads, n);
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    int[] from = new int[threads], to = new int[threads];
                    AtomicIntegerArray ran = new AtomicIntegerArray(threads);
                    pool.forRange(n, true, (worker, f, t) -> {
                        ran.incrementAndGet(worker);
                        from[worker] = f;
                        to[worker] = t;
                        for (int i = f; i < t; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "threads " + threads + " n " + n + " index " + i);
                    for (int c = 0; c < chunks && chunks > 1; c++) {
                        assertEquals(1, ran.get(c), "part " + c + " runs once");
                        assertEquals(n * c / chunks, from[c], "part " + c + " starts at its equal share");
                        assertEquals(n * (c + 1) / chunks, to[c], "part " + c + " ends at its equal share");
                    }
                }
            }
        }
    }

    @Test
    void sequentialCallsRunInlineOnTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            Thread caller = Thread.currentThread();
            int[] calls = new int[1];
            pool.forRange(7, false, (worker, from, to) -> {
                assertSame(caller, Thread.currentThread());
                assertEquals(0, worker);
                assertEquals(0, from);
                assertEquals(7, to);
                calls[0]++;
            });
            assertEquals(1, calls[0]);
        }
    }

    /**
     * The property the ForkJoinPool version lacked: a call never depends on a worker waking up. With every
     * worker held before its first instruction, calls still complete, the caller running every part; once
     * released, the workers take parts again.
     */
    @Test
    void callsCompleteWhileNoWorkerRunsAndWorkersJoinOnceReleased() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        WorkerPool pool = new WorkerPool(3, r -> new Thread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                return;
            }
            r.run();
        }, "held-worker"));
        try {
            Thread caller = Thread.currentThread();
            for (int call = 0; call < 100; call++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(3);
                pool.forRange(3, true, (worker, from, to) -> {
                    assertSame(caller, Thread.currentThread(), "no worker is running");
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < 3; i++) assertEquals(1, hits.get(i));
            }
            release.countDown();
            // wait for the state: a part taken by a worker (the caller may win every race for a while)
            Set<Thread> ran = ConcurrentHashMap.newKeySet();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ran.stream().noneMatch(t -> t != caller) && System.nanoTime() < deadline) {
                pool.forRange(3, true, (worker, from, to) -> {
                    ran.add(Thread.currentThread());
                    if (Thread.currentThread() == caller) sleepQuietly();
                });
            }
            assertTrue(ran.stream().anyMatch(t -> t != caller), "a released worker took a part");
        } finally {
            release.countDown();
            pool.close();
        }
    }

    @Test
    void theFirstFailureIsRethrownOnceEveryPartHasRunAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(3)) {
            IllegalStateException boom = new IllegalStateException("part 1 failed");
            AtomicIntegerArray ran = new AtomicIntegerArray(3);
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pool.forRange(3, true, (worker, from, to) -> {
                ran.incrementAndGet(worker);
                if (worker == 1) throw boom;
            }));
            assertSame(boom, thrown);
            for (int c = 0; c < 3; c++) assertEquals(1, ran.get(c), "part " + c + " ran despite the failure");

            assertThrows(AssertionError.class, () -> pool.forRange(3, true, (worker, from, to) -> {
                if (worker == 0) throw new AssertionError("an Error from the caller's own part");
            }));

            AtomicIntegerArray hits = new AtomicIntegerArray(6);
            pool.forRange(6, true, (worker, from, to) -> {
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 6; i++) assertEquals(1, hits.get(i), "after failures, index " + i);
        }
    }

    @Test
    void closeEndsTheWorkersAndLaterCallsAreRefused() throws InterruptedException {
        WorkerPool pool = new WorkerPool(3);
        pool.forRange(3, true, (worker, from, to) -> { });
        pool.close();
        for (Thread t : pool.workerThreads()) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(t.isAlive(), t.getName() + " ended after close");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forRange(3, true, (w, f, t) -> { }));
        assertEquals("worker pool is closed", e.getMessage());
    }

    @Test
    void aWorkerThatCannotStartFailsThePoolAndEndsTheOnesStarted() throws InterruptedException {
        Thread[] first = new Thread[1];
        assertThrows(IllegalThreadStateException.class, () -> new WorkerPool(3, r -> {
            if (first[0] == null) return first[0] = new Thread(r, "first-worker");
            // a thread that has already been started cannot be started again: the second worker fails to start
            Thread spent = new Thread(() -> { });
            spent.start();
            return spent;
        }));
        first[0].join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(first[0].isAlive(), "the worker started before the failure ended");
    }

    @Test
    void aPoolNeedsAtLeastOneThread() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
        assertTrue(e.getMessage().contains("threads must be in [1, 65535], got 0"), e.getMessage());
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
