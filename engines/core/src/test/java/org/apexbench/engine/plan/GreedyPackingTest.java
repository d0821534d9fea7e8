package org.apexbench.engine.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * NEO's greedy slack packing over a pair whose slacks are worked out by hand: window A has 10 units of GPU time
 * beside B1's CPU rows, window B 10 beside B0's, and a CPU row costs its context. The traces below follow the rule
 * row by row: the side with the larger slack takes the next row (B1 first and on a tie B0), a row that drives a slack
 * below zero is dropped and every later row at least as long is skipped untried, a slack of exactly zero is kept.
 */
class GreedyPackingTest {
    /** Slack A = 10 - B1's contexts, slack B = 10 - B0's; records each tentative add. */
    static final class Pair implements GreedyPacking.Lanes {
        final long[] context;
        final List<Integer> b0 = new ArrayList<>(), b1 = new ArrayList<>(), tried = new ArrayList<>();
        long load0, load1;

        Pair(long... context) { this.context = context; }

        @Override public void tryAdd(int i, boolean toB1) {
            tried.add(i);
            if (toB1) load1 += context[i];
            else load0 += context[i];
        }

        @Override public double slack(int w) { return 10 - (w == 0 ? load1 : load0); }

        @Override public void settle(int i, boolean toB1, boolean keep) {
            if (keep) {
                (toB1 ? b1 : b0).add(i);
            } else if (toB1) {
                load1 -= context[i];
            } else {
                load0 -= context[i];
            }
        }

        int pack(int limit) { return GreedyPacking.pack(context.length, i -> context[i], limit, this); }
    }

    @Test
    void eachRowGoesToTheSideWithMoreSlackAndTooLongRowsAreSkipped() {
        Pair p = new Pair(3, 3, 5, 2, 6, 1, 6, 7, 2, 2, 1);
        // 0 -> B1 (A 7, B 10); 1 -> B0 (7, 7); tie -> 2 to B0 (7, 2); 3 -> B1 (5, 2); 4 -> B1 would leave A at -1:
        // dropped, 6 and 7 (>= 6) skipped; 5 -> B1 (4, 2); 8 -> B1 (2, 2); tie -> 9 to B0 (2, 0: kept); 10 -> B1 (1, 0)
        assertEquals(8, p.pack(100));
        assertEquals(List.of(0, 3, 5, 8, 10), p.b1);
        assertEquals(List.of(1, 2, 9), p.b0);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 8, 9, 10), p.tried);
        assertEquals(10 - 1, p.load1, "a dropped row is taken back");
        assertEquals(10, p.load0);
    }

    @Test
    void packingStopsAfterTheLimitKeptRows() {
        Pair p = new Pair(3, 3, 5, 2);
        assertEquals(3, p.pack(3));
        assertEquals(List.of(0, 1, 2), p.tried, "the fourth row is not tried");
        Pair none = new Pair(3);
        assertEquals(0, none.pack(0));
        assertEquals(List.of(), none.tried);
    }

    @Test
    void aRowThatFitsNowhereAloneIsDroppedAndShorterOnesStillGo() {
        Pair p = new Pair(11, 12, 4);
        assertEquals(1, p.pack(100));
        assertEquals(List.of(0, 2), p.tried);
        assertEquals(List.of(2), p.b1, "after a drop the next row still goes to B1");
    }
}
