package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.predictor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.predict.Predictor;

/**
 * The prefills to come, priced beside a decode step of 2 rows with 102 tokens an iteration (so 100 for a chunk), by
 * hand: a chunk of n tokens from position s adds, per layer, the linear layers' growth from 2 to 2 + n rows and its
 * causal attention (n s + n (n + 1) / 2 pairs), plus the embedding and head of its tokens (one more sampled row when it
 * completes the prompt).
 */
class PrefillForecastTest {
    static final Predictor P = predictor(1, 1e-10);
    static final int L = 4;

    static double chunk(int start, int len, boolean completes) {
        long pairs = (long) len * start + (long) len * (len + 1) / 2;
        return L * (P.linear(2 + len) - P.linear(2) + P.prefillAttention(len, 1, pairs))
                + P.embedAndHead(2 + len, completes ? 3 : 2) - P.embedAndHead(2, 2);
    }

    @Test
    void aPromptLongerThanAnIterationsBudgetIsPricedChunkByChunk() {
        PrefillForecast f = new PrefillForecast().reset(P, L, 2, 2, 102, 0);
        assertEquals(100, f.chunkTokens());
        assertEquals(3, f.chunks(250));
        assertEquals(1, f.chunks(100));
        double whole = chunk(0, 100, false) + chunk(100, 100, false) + chunk(200, 50, true);
        assertEquals(whole, f.wholeSec(0, 250), 1e-15);
        // one chunk of 250 tokens would be priced lower in attention than three (later chunks attend the earlier ones)
        // and differently in the linear layers: the split is what is priced
        assertEquals(chunk(200, 50, true), f.chunkSec(200, 50, true), 1e-15);
    }

    @Test
    void chunksAreReservedInTheIterationsTheyRunAndOnlyWithinTheHorizon() {
        PrefillForecast f = new PrefillForecast().reset(P, L, 2, 2, 102, 5);
        f.reserve(0, 250, 3);     // chunks in iterations 3, 4 and 5: the third is past the horizon
        f.reserve(0, 30, 0);      // "now" is this iteration, already priced: the next one
        double c1 = chunk(0, 100, false), c2 = chunk(100, 100, false), small = chunk(0, 30, true);
        assertEquals(0, f.reservedThrough(0), "nothing is reserved in this iteration");
        assertEquals(small, f.reservedThrough(1), 1e-15);
        assertEquals(small, f.reservedThrough(2), 1e-15);
        assertEquals(small + c1, f.reservedThrough(3), 1e-15);
        assertEquals(small + c1 + c2, f.reservedThrough(4), 1e-15);
        assertEquals(small + c1 + c2, f.reservedThrough(100), 1e-15, "a window past the horizon sees what it holds");
        assertThrows(IllegalStateException.class, () -> f.reserve(0, 10, 1), "reserving after reading would be lost");
        f.reset(P, L, 2, 2, 102, 5);
        assertEquals(0, f.reservedThrough(4), "a reset forgets the reserves");
    }
}
