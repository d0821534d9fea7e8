package org.apexbench.engine.hybrid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.predict.Predictor;

/** NEO's scheduler sees GPU decode attention as its profile measured it: the tokens held by the fewest max_seq_len requests. */
class NeoProfiledPredictorTest {
    /** Every prediction encodes its arguments, so the test sees what reached the underlying predictor. */
    private static final Predictor ECHO = new Predictor() {
        @Override public double linear(int rows) { return rows; }
        @Override public double prefillAttention(int newTokens, int sequences, long pairs) { return newTokens + 1e3 * sequences + 1e6 * pairs; }
        @Override public double gpuDecodeAttention(int requests, long contextTokens) { return requests * 1e6 + contextTokens; }
        @Override public double cpuDecodeAttention(int requests, long contextTokens) { return requests * 1e6 + contextTokens; }
        @Override public double d2h(long bytes, int transfers) { return bytes + 1e9 * transfers; }
        @Override public double h2d(long bytes, int transfers) { return 2 * bytes + 1e9 * transfers; }
        @Override public double embedAndHead(int rows, int sampledRows) { return rows + 1e3 * sampledRows; }
    };

    @Test
    void gpuDecodesArePricedAsTheFewestRequestsOfTheBudgetRoundedToBlocksThatHoldTheirTokens() {
        // NEO's T4 settings: 832 tokens per iteration, 16-token blocks: max_seq_len 832
        NeoProfiledPredictor t4 = new NeoProfiledPredictor(ECHO, new EngineBudgets(512, 832, 52, 2560, 16));
        assertEquals(1e6 + 800, t4.gpuDecodeAttention(2, 800), "two requests of 400 tokens: one 800-token request");
        assertEquals(2e6 + 833, t4.gpuDecodeAttention(3, 833), "one token over 832: two");
        assertEquals(0, t4.gpuDecodeAttention(0, 0));
        // a budget that is not a whole number of blocks is rounded up (max_blocks_per_seq = (budget - 1) / 16 + 1)
        NeoProfiledPredictor odd = new NeoProfiledPredictor(ECHO, new EngineBudgets(8, 20, 10, 100, 16));
        assertEquals(1e6 + 32, odd.gpuDecodeAttention(5, 32), "max_seq_len 32");
        assertEquals(2e6 + 33, odd.gpuDecodeAttention(5, 33));
        // the A10G: 20,480 tokens; 20 requests of 1,300 tokens are two profiled requests
        NeoProfiledPredictor a10g = new NeoProfiledPredictor(ECHO, new EngineBudgets(1024, 20480, 1600, 61440, 16));
        assertEquals(2e6 + 26000, a10g.gpuDecodeAttention(20, 26000));
    }

    @Test
    void everythingElseIsTheUnderlyingPrediction() {
        NeoProfiledPredictor p = new NeoProfiledPredictor(ECHO, new EngineBudgets(512, 832, 52, 2560, 16));
        assertEquals(ECHO.linear(7), p.linear(7));
        assertEquals(ECHO.prefillAttention(100, 2, 5050), p.prefillAttention(100, 2, 5050));
        assertEquals(ECHO.cpuDecodeAttention(9, 4000), p.cpuDecodeAttention(9, 4000));
        assertEquals(ECHO.d2h(4096, 3), p.d2h(4096, 3));
        assertEquals(ECHO.h2d(4096, 3), p.h2d(4096, 3));
        assertEquals(ECHO.embedAndHead(40, 4), p.embedAndHead(40, 4));
    }
}
