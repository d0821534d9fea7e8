package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IterationBreakdownTest {
    private static IterationRecord it(long i, double start, double end, String strategy, int prefill, int gpu, int cpu, double busy,
                                      double stall) {
        return new IterationRecord(i, start, end, strategy, prefill, gpu, cpu, Double.NaN, busy, 0.5 * busy, stall, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * Three decode iterations of one row (1, 2 and 3 ms; 0.8 ms device busy each), a prefill of 10 ms with no decode row, and
     * a pipelined decode iteration of one GPU and two CPU rows (4 ms, 1 ms of it waiting for the host). Each group's mean
     * splits into device busy, host wait and the rest; the time between tokens weighs each iteration by its decode rows
     * (1 + 2 + 3 ms for one row each, 4 ms for three: 18 ms over 6 rows, 3 ms), the groups summing to it.
     */
    @Test
    void groupsSplitEachIterationsWallTimeAndWeighTheTimeBetweenTokensByDecodeRows() {
        List<IterationRecord> its = List.of(it(0, 0, 10e-3, "GPU_ONLY", 48, 0, 0, 9e-3, 0), it(1, 10e-3, 11e-3, "GPU_ONLY", 0, 1, 0, 0.8e-3, 0),
                it(2, 11e-3, 13e-3, "GPU_ONLY", 0, 1, 0, 0.8e-3, 0), it(3, 13e-3, 16e-3, "GPU_ONLY", 0, 1, 0, 0.8e-3, 0),
                it(4, 16e-3, 20e-3, "ASYMMETRIC_PIPELINE", 0, 1, 2, 2e-3, 1e-3));
        List<IterationBreakdown.Group> g = IterationBreakdown.of("e", "real", 1, its);
        assertEquals(3, g.size());
        IterationBreakdown.Group pipe = g.get(0), decode = g.get(1), prefill = g.get(2);
        assertEquals("ASYMMETRIC_PIPELINE", pipe.strategy());
        assertEquals(3, pipe.decodeRows());
        assertEquals(1, pipe.hostWaitMs(), 1e-12);
        assertEquals(1, pipe.outsideMs(), 1e-12);
        assertFalse(decode.prefill());
        assertEquals(3, decode.iterations());
        assertEquals(2, decode.wallMs(), 1e-12);
        assertEquals(2, decode.medianWallMs(), 1e-12);
        assertEquals(0.8, decode.deviceBusyMs(), 1e-12);
        assertEquals(1.2, decode.outsideMs(), 1e-12);
        assertEquals(0.4, decode.cpuBusyMs(), 1e-12);
        assertEquals(6e-3, decode.totalSec(), 1e-15);
        assertTrue(prefill.prefill());
        assertEquals(0, prefill.betweenTokensMs());
        assertEquals(1, decode.betweenTokensMs(), 1e-12);
        assertEquals(2, pipe.betweenTokensMs(), 1e-12);
        assertEquals(3, g.stream().mapToDouble(IterationBreakdown.Group::betweenTokensMs).sum(), 1e-12, "the mean time between tokens");
    }

    /**
     * Four requests of three tokens, two of them preempted: the run's median TPOT (2.5 ms) lies between the two groups
     * (1 and 2 ms; 3 and 5 ms) and is set by the slowest of one and the fastest of the other. A request that failed is left out.
     */
    @Test
    void requestsAreSplitByPreemptionWithTheRunsMedianBetweenThem(@TempDir Path dir) throws IOException {
        List<RequestRecord> r = List.of(req("a", 2e-3, 0), req("b", 4e-3, 0), req("c", 6e-3, 1), req("d", 10e-3, 2),
                new RequestRecord("x", 0, 4, 3, new double[] {1}, 0, 0, "failed"));
        List<IterationBreakdown.TpotGroup> g = IterationBreakdown.tpot("e", "sim", 0, r);
        assertEquals(2, g.size());
        assertFalse(g.get(0).preempted());
        assertEquals(2, g.get(0).requests());
        assertEquals(1.5, g.get(0).medianMs(), 1e-12);
        assertEquals(2, g.get(0).maxMs(), 1e-12);
        assertTrue(g.get(1).preempted());
        assertEquals(3, g.get(1).minMs(), 1e-12);
        assertEquals(4, g.get(1).meanMs(), 1e-12);
        assertEquals(2.5, g.get(1).runMedianMs(), 1e-12);
        IterationBreakdown.Collector c = new IterationBreakdown.Collector();
        c.add("e", "sim", 0, r, List.of(it(0, 0, 1e-3, "GPU_ONLY", 0, 1, 0, 1e-3, 0)));
        c.write(dir);
        List<String> lines = Files.readAllLines(dir.resolve(IterationBreakdown.FILE));
        assertEquals(String.join(",", IterationBreakdown.COLUMNS), lines.get(0));
        assertEquals(2, lines.size());
        assertEquals(3, Files.readAllLines(dir.resolve(IterationBreakdown.TPOT_FILE)).size());
    }

    /** A request whose three tokens came at 1 ms and then {@code span} later in two equal steps: TPOT span / 2. */
    private static RequestRecord req(String id, double span, int preemptions) {
        return new RequestRecord(id, 0, 4, 3, new double[] {1e-3, 1e-3 + span / 2, 1e-3 + span}, preemptions, 0, null);
    }
}
