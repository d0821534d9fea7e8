package org.apexbench.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

import org.apexbench.engine.Engine;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.sim.SimulatedExecutor;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine loop serving online requests ({@link EngineLoop#serve}): requests submitted from another thread while it
 * runs are batched and each listener hears exactly its tokens; a cancelled request (by its client, by the listener
 * itself, or by a shutdown) leaves the loop with its KV freed; close ends the loop once it is drained.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OnlineLoopTest {

    /** Records what a listener hears; {@code onToken} decides whether to go on (index, id -> more). */
    static final class Heard implements OnlineRequests.Listener {
        final List<Integer> indexes = new ArrayList<>();
        final List<Double> times = new ArrayList<>();
        final CountDownLatch end = new CountDownLatch(1);
        volatile String how;
        final BiFunction<Integer, Integer, Boolean> onToken;

        Heard(BiFunction<Integer, Integer, Boolean> onToken) { this.onToken = onToken; }

        Heard() { this((i, id) -> true); }

        @Override
        public synchronized boolean token(int index, int tokenId, double timeSec) {
            indexes.add(index);
            times.add(timeSec);
            return onToken.apply(index, tokenId);
        }

        @Override
        public void finished(double timeSec) {
            how = "finished";
            end.countDown();
        }

        @Override
        public void cancelled() {
            how = "cancelled";
            end.countDown();
        }

        boolean await() throws InterruptedException { return end.await(20, TimeUnit.SECONDS); }
    }

    static RequestSpec spec(String id, int prompt, int output) {
        return new RequestSpec(id, 0, new int[prompt], output, SamplingParams.GREEDY);
    }

    /** A loop over the simulated executor serving {@code online} on its own thread. */
    static Thread serve(OnlineRequests online, List<Throwable> failures) {
        Engine e = new Engine("scripted", "scripted", () -> ScriptedSchedulerTest.scripted(Strategy.ASYNC_OVERLAP), 0);
        SimulatedExecutor exec = new SimulatedExecutor(ScriptedSchedulerTest.GEO, ScriptedSchedulerTest.B, ScriptedSchedulerTest.COST,
                0, 1, 0);
        EngineLoop loop = new EngineLoop(e, exec, "sim", ScriptedSchedulerTest.GEO, ScriptedSchedulerTest.B,
                Predictor.of(ScriptedSchedulerTest.COST), RecordOptions.NONE, true);
        Thread t = new Thread(() -> {
            try {
                loop.serve(online, null);
            } catch (Throwable x) {
                failures.add(x);
            }
        });
        t.start();
        return t;
    }

    @Test
    void requestsSubmittedWhileTheLoopRunsEachHearExactlyTheirTokens() throws Exception {
        OnlineRequests online = new OnlineRequests();
        List<Throwable> failures = new ArrayList<>();
        Thread loop = serve(online, failures);
        List<Heard> heard = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Heard h = new Heard();
            heard.add(h);
            online.submit(spec("r" + i, 20 + i, 5 + i), h);
            if (i == 2) Thread.sleep(20);   // some arrive while others run
        }
        for (int i = 0; i < heard.size(); i++) {
            Heard h = heard.get(i);
            assertTrue(h.await(), "request " + i + " ended");
            assertEquals("finished", h.how);
            List<Integer> expected = new ArrayList<>();
            for (int k = 0; k < 5 + i; k++) expected.add(k);
            assertEquals(expected, h.indexes, "request " + i + " heard every token once, in order");
            for (int k = 1; k < h.times.size(); k++) assertTrue(h.times.get(k) > h.times.get(k - 1));
        }
        online.close();
        loop.join(10_000);
        assertFalse(loop.isAlive(), "close ends the loop once it is drained");
        assertEquals(List.of(), failures);
        OnlineRequests.State s = online.state();
        assertEquals(0, s.running());
        assertEquals(0, s.gpuBlocksUsed());
        assertThrows(IllegalStateException.class, () -> online.submit(spec("late", 4, 2), new Heard()));
    }

    @Test
    void aCancelledOrStoppedRequestLeavesTheLoopWithItsKvFreed() throws Exception {
        OnlineRequests online = new OnlineRequests();
        List<Throwable> failures = new ArrayList<>();
        Thread loop = serve(online, failures);
        OnlineRequests.Ticket[] self = new OnlineRequests.Ticket[1];
        CountDownLatch ticketSet = new CountDownLatch(1);
        Heard cancelledByClient = new Heard((i, id) -> {
            if (i == 1) {
                try {
                    ticketSet.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                self[0].cancel();
            }
            return true;
        });
        Heard stopsItself = new Heard((i, id) -> i < 2);
        Heard normal = new Heard();
        self[0] = online.submit(spec("cancel", 100, 400), cancelledByClient);
        ticketSet.countDown();
        online.submit(spec("stop", 100, 400), stopsItself);
        online.submit(spec("normal", 30, 4), normal);
        assertTrue(cancelledByClient.await() && normal.await());
        assertEquals("cancelled", cancelledByClient.how);
        assertTrue(cancelledByClient.indexes.size() <= 3, "no token after the cancel's turn: " + cancelledByClient.indexes);
        assertEquals("finished", normal.how);
        assertEquals(List.of(0, 1, 2), stopsItself.indexes, "a listener that says stop hears nothing more");
        assertEquals(null, stopsItself.how, "nor is it told it was cancelled");
        // the stopped request leaves at the loop's next turn: wait for the state that turn publishes, not a fixed time
        long deadline = System.nanoTime() + 10_000_000_000L;
        OnlineRequests.State s = online.state();
        while ((s.running() != 0 || s.waiting() != 0 || s.gpuBlocksUsed() != 0 || s.hostBlocksUsed() != 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
            s = online.state();
        }
        assertEquals(0, s.running());
        assertEquals(0, s.waiting());
        assertEquals(0, s.gpuBlocksUsed(), "every block freed");
        assertEquals(0, s.hostBlocksUsed());

        Heard queued = new Heard();
        online.submit(spec("long", 100, 1000), queued);
        online.cancelAll();
        online.close();
        assertTrue(queued.await());
        loop.join(10_000);
        assertFalse(loop.isAlive());
        assertEquals(List.of(), failures);
        assertEquals(0, online.state().gpuBlocksUsed());
    }
}
