package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.table.IterationCost;
import org.apexbench.profiler.table.IterationCost.Term;
import org.junit.jupiter.api.Test;

/** The per-iteration runtime cost fitted to synthetic samples whose terms are known. */
class IterationCostFitTest {
    private static final double US = 1e-6;
    /** A prefill chunk's tokens, as the validated workload's: whole prompts of 48, and chunks of 65 and 96 under the budget. */
    private static final int[] PREFILL = {48, 65, 96};

    private static org.apexbench.profiler.table.Profile profile() {
        Map<String, org.apexbench.profiler.table.ProfileTable> t = new java.util.HashMap<>();
        for (String name : org.apexbench.profiler.table.Profile.TABLE_NAMES) {
            t.put(name, name.equals(org.apexbench.profiler.table.Profile.GPU_DECODE_ATTN) || name.equals(org.apexbench.profiler.table.Profile.CPU_DECODE_ATTN)
                    ? new org.apexbench.profiler.table.Table2D("requests x contextTokens", new double[] {1, 2}, new double[] {16, 32},
                            new double[][] {{1e-3, 2e-3}, {2e-3, 4e-3}})
                    : new org.apexbench.profiler.table.Table1D("width", new double[] {1, 17}, new double[] {1e-3, 17e-3}));
        }
        var f = new org.apexbench.profiler.table.ProfileFingerprint("vm", "cpu", "n/a", "amd64 x2", 1,
                new org.apexbench.profiler.model.ModelGeometry("cal", 2, 100, 1, 1, 1, 100, 1, 4096, false, 1, 5), "bf16", "f16", 16, "cpu");
        return new org.apexbench.profiler.table.Profile(f, t, 0, "hand-made");
    }

    /**
     * Samples of a NEO-like run (decode iterations of 16 rows split between device and host, prefill iterations of 48, 65
     * or 96 tokens beside a few decode rows, a few empty iterations), each {@code truth} of its composition times a noise factor
     * of +-10%, and one in 50 descheduled by 5 ms.
     */
    private static List<IterationCostFit.Sample> samples(java.util.function.ToDoubleFunction<int[]> truth, boolean cpuRows, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<IterationCostFit.Sample> out = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            int gpu, cpu, prefill;
            int kind = rng.nextInt(10);
            if (kind < 7) {
                gpu = cpuRows ? rng.nextInt(17) : 1 + rng.nextInt(16);
                cpu = cpuRows ? 16 - gpu : 0;
                prefill = 0;
            } else if (kind < 9) {
                gpu = rng.nextInt(4);
                cpu = cpuRows ? rng.nextInt(4) : 0;
                prefill = PREFILL[rng.nextInt(PREFILL.length)];
            } else {
                gpu = cpu = prefill = 0;
            }
            double sec = truth.applyAsDouble(new int[] {gpu, cpu, prefill}) * (0.9 + 0.2 * rng.nextDouble());
            if (rng.nextInt(50) == 0) sec += 5e-3;
            out.add(new IterationCostFit.Sample(gpu, cpu, prefill, sec));
        }
        return out;
    }

    @Test
    void findsThePerCpuRowAndPerPrefillTokenCostsAndLeavesTheRestOut() {
        // 4 us an iteration, 1.5 us a CPU row, 0.05 us a prefill token; no GPU-row or per-flag cost
        var f = IterationCostFit.fit(samples(c -> (4 + 1.5 * c[1] + 0.05 * c[2]) * US, true, 1));
        assertEquals(java.util.Set.of(Term.ITERATION, Term.CPU_ROW, Term.PREFILL_TOKEN), f.cost().costs().keySet(),
                String.join("\n", IterationCostFit.describe("test", f, 8)));
        assertEquals(4 * US, f.cost().costs().get(Term.ITERATION), 0.2 * US);
        assertEquals(1.5 * US, f.cost().costs().get(Term.CPU_ROW), 0.05 * US);
        assertEquals(0.05 * US, f.cost().costs().get(Term.PREFILL_TOKEN), 0.005 * US);
        assertTrue(f.rejected().get(Term.GPU_ROW) < IterationCostFit.MIN_T, "GPU rows cost nothing here: t " + f.rejected().get(Term.GPU_ROW));
        assertEquals(3000, f.samples());
    }

    @Test
    void findsTheTwoThreadIterationsOwnCostAndTheGpuRowsCost() {
        // 3 us an iteration, 0.5 us a GPU row, 8 us once an iteration has CPU rows (the host thread woken), 20 us with a prefill
        var f = IterationCostFit.fit(samples(c -> (3 + 0.5 * c[0] + (c[1] > 0 ? 8 : 0) + (c[2] > 0 ? 20 : 0)) * US, true, 2));
        assertEquals(java.util.Set.of(Term.ITERATION, Term.GPU_ROW, Term.CPU_ITERATION, Term.PREFILL_ITERATION), f.cost().costs().keySet(),
                String.join("\n", IterationCostFit.describe("test", f, 8)));
        assertEquals(8 * US, f.cost().costs().get(Term.CPU_ITERATION), 0.4 * US);
        assertEquals(0.5 * US, f.cost().costs().get(Term.GPU_ROW), 0.05 * US);
        assertEquals(20 * US, f.cost().costs().get(Term.PREFILL_ITERATION), 1 * US);
    }

    @Test
    void aConstantCostKeepsTheConstantAloneAndRunsWithoutCpuRowsCannotMeasureTheirTerms() {
        var f = IterationCostFit.fit(samples(c -> 7 * US, false, 3));
        assertEquals(java.util.Set.of(Term.ITERATION), f.cost().costs().keySet(), String.join("\n", IterationCostFit.describe("test", f, 8)));
        assertEquals(7 * US, f.cost().costs().get(Term.ITERATION), 0.2 * US);
        assertTrue(Double.isNaN(f.rejected().get(Term.CPU_ROW)), "no CPU rows in the runs: no variation");
        assertTrue(Double.isNaN(f.rejected().get(Term.CPU_ITERATION)));
        assertNull(IterationCostFit.fit(List.of()).cost(), "no samples: no cost");
    }

    /**
     * FastDecode's runs on the validated workload: two compositions only (decodes of 16 CPU rows, prefills of 96 tokens beside
     * 14), as many groups as terms: no residual is left to judge a term by, and the medians' own sampling error does: the
     * prefill's 8 us joins, its two collinear alternatives (per token, the CPU rows' change) are not separable from it.
     */
    @Test
    void twoCompositionsMeasureATermFromTheMediansOwnScatter() {
        SplittableRandom rng = new SplittableRandom(5);
        List<IterationCostFit.Sample> s = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            boolean prefill = i % 8 == 0;
            double sec = (16 + (prefill ? 8 : 0)) * US * (0.9 + 0.2 * rng.nextDouble());
            s.add(new IterationCostFit.Sample(0, prefill ? 14 : 16, prefill ? 96 : 0, sec));
        }
        var f = IterationCostFit.fit(s);
        assertEquals(2, f.cost().costs().size(), String.join("\n", IterationCostFit.describe("test", f, 8)));
        assertEquals(16 * US, f.cost().costs().get(Term.ITERATION), 0.5 * US);
        double prefillCost = f.cost().seconds(0, 14, 96) - f.cost().seconds(0, 16, 0);
        assertEquals(8 * US, prefillCost, 0.8 * US, "the prefill iteration's extra cost, whichever of its collinear terms carries it");
        assertTrue(Double.isNaN(f.rejected().get(Term.GPU_ROW)), "no GPU rows: not separable");
    }

    @Test
    void aSampleIsTheIterationLessItsDeviceWorkItsWaitAndItsSwaps() {
        // 1 ms iteration: 0.6 ms device busy, 0.1 ms waiting for the host, a swap of 0.2 ms: 0.1 ms outside
        IterationRecord it = new IterationRecord(3, 1.0, 1.001, "GPU_ONLY", 0, 2, 0, Double.NaN, 0.6e-3, 0, 0.1e-3, 0, 0, 0, 0, 1, 0, 2, 0);
        SubtaskRecord swap = new SubtaskRecord(3, -1, 0, Op.SWAP_IN, Resource.PCIE_H2D, 2, 0, 1024, 1.0, 1.0002, Double.NaN);
        SubtaskRecord otherIteration = new SubtaskRecord(4, -1, 0, Op.SWAP_OUT, Resource.PCIE_D2H, 2, 0, 1024, 1.001, 1.0015, Double.NaN);
        SubtaskRecord post = new SubtaskRecord(3, 0, 0, Op.POST, Resource.GPU, 2, 0, 0, 1.0, 1.0003, Double.NaN);
        var s = IterationCostFit.samples(List.of(it), List.of(swap, otherIteration, post));
        assertEquals(1, s.size());
        assertEquals(0.1e-3, s.getFirst().sec(), 1e-12);
        assertEquals(2, s.getFirst().gpuRows());
    }

    @Test
    void applyStoresEachEnginesFitInTheProfile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        var profile = profile();
        List<IterationCostFit.Sample> samples = samples(c -> (4 + 1.5 * c[1]) * US, true, 4);
        List<String> log = new ArrayList<>();
        var out = IterationCostFit.apply(profile, dir.resolve("p.json"), List.of("apex", "gpu-only"),
                e -> e.equals("apex") ? samples : List.of(), log::add);
        IterationCost apex = IterationCost.of(out, "apex");
        assertEquals(IterationCostFit.fit(samples).cost(), apex);
        assertNull(IterationCost.of(out, "gpu-only"), "no samples: the profile's calibration stays");
        assertEquals(apex, IterationCost.of(org.apexbench.profiler.table.Profile.load(dir.resolve("p.json")), "apex"), "saved");
        assertTrue(log.getFirst().startsWith("apex: runtime time per iteration outside subtasks, fitted to "), log.getFirst());
        assertTrue(log.stream().anyMatch(l -> l.equals("gpu-only: no per-iteration runtime cost fitted (0 samples, no composition of 10 or more)")), log.toString());
    }
}
