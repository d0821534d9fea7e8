package org.apexbench.engine.apex;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The forecast of when waiting requests get GPU memory (gpu-only's candidate), on a pool small enough to follow by hand:
 * 20 blocks of 16 tokens, A holding 8 blocks with 4 tokens left and B 8 blocks with 10 left, so the pool holds
 * 16 + 2 t / 16 blocks at iteration t until A finishes.
 */
class GpuQueueForecastTest {
    static GpuQueueForecast twoRunning(GpuQueueForecast f) {
        f.reset(20, 16);
        f.addRunning(4, 8);
        f.addRunning(10, 8);
        return f;
    }

    @Test
    void waitingRequestsAreAdmittedFcfsAsTheRunningOnesGrowAndFree() {
        GpuQueueForecast f = twoRunning(new GpuQueueForecast());
        // q1 (6 blocks, 5 tokens): 16 + 6 > 20 now; at 4 A frees: B holds 8 + 4/16, + 6 = 14.25 fits
        assertEquals(4, f.admit(6, 5));
        // q2 (10 blocks, 3 tokens): at 4 the pool holds 8.25 + 6 = 14.25, + 10 is over; at 9 q1 frees (admitted at 4,
        // 5 tokens): B's 8 + 9/16, + 10 = 18.56 fits
        assertEquals(9, f.admit(10, 3));
        // q3 (2 blocks): at 9 the pool holds 8.5625 + 10 = 18.5625, + 2 is over, although q3 alone would fit an empty
        // pool: FCFS, it waits for B's end at 10 (q2's 10 + 1/16 and 2 fit)
        assertEquals(10, f.admit(2, 1));
        // q4 (30 blocks) is more than the pool less nothing can ever give
        assertEquals(-1, f.admit(30, 1));
    }

    @Test
    void aRequestThatFitsNowIsAdmittedNowAndGrowthDelaysTheNext() {
        GpuQueueForecast f = new GpuQueueForecast().reset(20, 16);
        f.addRunning(100, 16);
        assertEquals(0, f.admit(4, 50), "16 + 4 fills the pool exactly");
        // one block more: the newcomer frees at 50, but by then the running one has grown to 16 + 50/16 = 19.125
        // blocks, and one more is over 20: it waits for the running one's end at 100
        assertEquals(100, f.admit(1, 1));
    }

    /**
     * Ten one-block requests fill a ten-block pool and end in scrambled order (blocks of a million tokens: growth too
     * small to matter but for an exact fit): a newcomer of 5 blocks fits once 6 have ended (at 6; after 5 the pool
     * holds 5 and a trace of growth), one of 1 block at the next end (7), one of 2 blocks two ends later (9).
     */
    @Test
    void theEndsFreeTheirBlocksInTimeOrderWhateverTheOrderAdded() {
        GpuQueueForecast f = new GpuQueueForecast().reset(10, 1 << 20);
        for (int remaining : new int[] {7, 3, 9, 1, 5, 8, 2, 6, 4, 10}) f.addRunning(remaining, 1);
        assertEquals(6, f.admit(5, 100));
        assertEquals(7, f.admit(1, 100));
        assertEquals(9, f.admit(2, 100));
    }

    @Test
    void aResetForecastAnswersAsAFreshOne() {
        GpuQueueForecast f = twoRunning(new GpuQueueForecast());
        for (int i = 0; i < 100; i++) f.admit(1, 1000);   // grows the scratch past its first size
        twoRunning(f);
        assertEquals(4, f.admit(6, 5));
        assertEquals(9, f.admit(10, 3));
    }

    @Test
    void aForecastWithNothingRunningAdmitsWhatFitsTheEmptyPool() {
        GpuQueueForecast f = new GpuQueueForecast().reset(20, 16);
        assertEquals(0, f.admit(20, 10));
        assertEquals(10, f.admit(20, 10), "the second waits for the first to end");
        assertEquals(-1, f.admit(21, 1));
    }
}
