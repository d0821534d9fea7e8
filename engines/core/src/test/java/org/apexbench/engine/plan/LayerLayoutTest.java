package org.apexbench.engine.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.LayerLayout.Node;
import org.apexbench.engine.plan.LayerLayout.Presence;
import org.apexbench.profiler.Op;

/**
 * Each strategy's closed forms against the strategy's meaning (docs/engines.md), written out term by term: which work
 * shares a window, which overlaps, what counts as busy. Prices are small distinct integers (sums are exact), and each
 * strategy is evaluated once GPU-bound and once CPU-bound so that every max picks each side.
 */
class LayerLayoutTest {
    /** Sub-batch 0 and 1's linear, prefill, GPU decode and CPU path prices, then the launch. */
    static LaneCosts costs(double lin0, double lin1, double pre0, double gdec0, double cpu0, double cpu1, double launch) {
        LaneCosts c = new LaneCosts();
        c.linear[0] = lin0;
        c.linear[1] = lin1;
        c.prefill[0] = pre0;
        c.gpuDecode[0] = gdec0;
        c.cpuPath[0] = cpu0;
        c.cpuPath[1] = cpu1;
        c.launch = launch;
        return c;
    }

    @Test
    void gpuOnlyRunsEverythingOnTheGpuInOneWindow() {
        LayerLayout l = LayerLayout.of(Strategy.GPU_ONLY);
        LaneCosts c = costs(10, 0, 3, 5, 0, 0, 0);
        assertEquals(1, l.windows().size());
        assertEquals(10 + 3 + 5, l.perLayer(c));
        assertEquals(18, l.gpuLane(0, c));
        assertEquals(0, l.cpuLane(0, c), "no CPU lane");
        assertEquals(18, l.slack(0, c), "nothing on the CPU to wait for: the whole GPU lane is slack");
        assertEquals(18, l.gpuBusy(c));
        assertEquals(0, l.cpuBusy(c));
        assertEquals(32, l.steps(32), "one step per layer");
    }

    @Test
    void asyncOverlapRunsTheCpuPathBesideTheGpuAttentionAfterTheLinearPart() {
        LayerLayout l = LayerLayout.of(Strategy.ASYNC_OVERLAP);
        LaneCosts gpuBound = costs(10, 0, 3, 5, 6, 0, 1);      // attention 8 > CPU path 6 + launch 1
        assertEquals(10 + (3 + 5), l.perLayer(gpuBound));
        assertEquals(10, l.gpuLane(0, gpuBound));
        assertEquals(0, l.cpuLane(0, gpuBound));
        assertEquals(8, l.gpuLane(1, gpuBound));
        assertEquals(7, l.cpuLane(1, gpuBound));
        assertEquals(8 - 6 - 1, l.slack(1, gpuBound));
        LaneCosts cpuBound = costs(10, 0, 3, 5, 20, 0, 1);
        assertEquals(10 + (20 + 1), l.perLayer(cpuBound), "the GPU waits for the CPU path and its launch");
        assertEquals(8 - 21, l.slack(1, cpuBound));
        assertEquals(10 + 3 + 5, l.gpuBusy(cpuBound), "waiting is not busy");
        assertEquals(20, l.cpuBusy(cpuBound), "launches are not CPU busy time");
        assertEquals(32, l.steps(32));
    }

    @Test
    void offloadSerialAddsTheCpuPathToTheGpuLaneWithoutOverlap() {
        LayerLayout l = LayerLayout.of(Strategy.OFFLOAD_SERIAL);
        LaneCosts c = costs(10, 0, 3, 5, 20, 0, 1);
        assertEquals(1, l.windows().size());
        assertEquals(10 + 20 + 3 + 5, l.perLayer(c), "no launch: the GPU stream waits, no host stage is launched");
        assertEquals(0, l.cpuLane(0, c));
        assertEquals(10 + 3 + 5, l.gpuBusy(c), "the CPU path the GPU waits for is not GPU work");
        assertEquals(20, l.cpuBusy(c));
        assertEquals(32, l.steps(32));
    }

    @Test
    void pipelinedStrategiesOverlapEachSubBatchesCpuPathWithTheOthersGpuWork() {
        for (Strategy s : List.of(Strategy.ASYMMETRIC_PIPELINE, Strategy.SYMMETRIC_PIPELINE)) {
            LayerLayout l = LayerLayout.of(s);
            assertEquals(s, l.strategy());
            assertEquals(33, l.steps(32), s + ": a prologue and an epilogue step around the layers");
            // window A: B0's linear part beside B1's CPU path; window B: B1's linear part and B0's attention beside B0's CPU path
            LaneCosts gpuBound = costs(10, 4, 3, 5, 6, 7, 1);
            assertEquals(10 + (4 + 3 + 5), l.perLayer(gpuBound), s.toString());
            assertEquals(10 - 7 - 1, l.slack(0, gpuBound));
            assertEquals(12 - 6 - 1, l.slack(1, gpuBound));
            LaneCosts cpuBound = costs(10, 4, 3, 5, 30, 20, 2);
            assertEquals((20 + 2) + (30 + 2), l.perLayer(cpuBound), s.toString());
            assertEquals(10, l.gpuLane(0, cpuBound));
            assertEquals(22, l.cpuLane(0, cpuBound));
            assertEquals(12, l.gpuLane(1, cpuBound));
            assertEquals(32, l.cpuLane(1, cpuBound));
            assertEquals(10 - 22, l.slack(0, cpuBound));
            assertEquals(12 - 32, l.slack(1, cpuBound));
            assertEquals(10 + 4 + 3 + 5, l.gpuBusy(cpuBound));
            assertEquals(30 + 20, l.cpuBusy(cpuBound));
            LaneCosts mixed = costs(10, 4, 3, 5, 30, 2, 1);  // A GPU-bound, B CPU-bound
            assertEquals(10 + 31, l.perLayer(mixed), s.toString());
        }
    }

    @Test
    void laneCostsSumGpuWorkAndTheIterationAndClearEveryPrice() {
        LaneCosts c = costs(10, 4, 3, 5, 30, 20, 2);
        c.prefill[1] = 6;
        c.gpuDecode[1] = 9;
        assertEquals(10 + 3 + 5, c.gpuWork(0));
        assertEquals(4 + 6 + 9, c.gpuWork(1));
        assertEquals(32 * 7.0 + 0.5 + 0.25, LaneCosts.iteration(32, 7, 0.5, 0.25));
        assertEquals(0, c.clear().launch, "clear returns the cleared costs");
        for (int b = 0; b < 2; b++) {
            assertEquals(0, c.linear[b] + c.prefill[b] + c.gpuDecode[b] + c.cpuPath[b], "sub-batch " + b);
        }
        assertEquals(0, c.launch);
        assertEquals(0, LayerLayout.of(Strategy.ASYMMETRIC_PIPELINE).perLayer(c));
    }

    @Test
    void nodesArePresentOnlyWhenTheirSubBatchHasThatWork() {
        SubBatches.Shape empty = new SubBatches.Shape();
        SubBatches.Shape prefill = new SubBatches.Shape();
        prefill.prefillTokens = 5;
        prefill.prefillSeqs = 1;
        SubBatches.Shape hostPrefill = new SubBatches.Shape();
        hostPrefill.prefillTokens = 5;
        hostPrefill.prefillSeqs = 1;
        hostPrefill.hostPrefillTokens = 5;
        SubBatches.Shape gpu = new SubBatches.Shape();
        gpu.gpuDecodes = 1;
        SubBatches.Shape cpu = new SubBatches.Shape();
        cpu.cpuDecodes = 1;
        assertTrue(Presence.ALWAYS.test(empty, false));
        assertFalse(Presence.ROWS.test(empty, false));
        for (SubBatches.Shape s : List.of(prefill, gpu, cpu)) assertTrue(Presence.ROWS.test(s, false));
        assertTrue(Presence.CPU_ROWS.test(cpu, false));
        assertFalse(Presence.CPU_ROWS.test(gpu, false));
        assertTrue(Presence.PREFILLS.test(prefill, false));
        assertFalse(Presence.PREFILLS.test(gpu, false));
        assertTrue(Presence.GPU_DECODES.test(gpu, false));
        assertFalse(Presence.GPU_DECODES.test(cpu, false));
        assertTrue(Presence.HOST_PREFILL.test(hostPrefill, false));
        assertFalse(Presence.HOST_PREFILL.test(prefill, false), "a GPU-bound prefill streams nothing out");
        assertTrue(Presence.SINGLE_THREAD.test(empty, true));
        assertFalse(Presence.SINGLE_THREAD.test(cpu, false));
    }

    @Test
    void offloadSerialsGpuAttentionWaitsForTheCpuPathAndAsyncOverlapsDoesNot() {
        for (Op attention : List.of(Op.PREFILL_ATTN, Op.GPU_DECODE_ATTN)) {
            assertTrue(waitsFor(LayerLayout.of(Strategy.OFFLOAD_SERIAL), attention, Op.ATTN_OUT_H2D), attention.toString());
            assertFalse(waitsFor(LayerLayout.of(Strategy.ASYNC_OVERLAP), attention, Op.ATTN_OUT_H2D), attention.toString());
            assertFalse(waitsFor(LayerLayout.of(Strategy.ASYNC_OVERLAP), attention, Op.CPU_DECODE_ATTN), attention.toString());
        }
        for (Strategy s : List.of(Strategy.GPU_ONLY, Strategy.ASYNC_OVERLAP, Strategy.OFFLOAD_SERIAL)) {
            LayerLayout l = LayerLayout.of(s);
            for (Op before : List.of(Op.PRE, Op.PREFILL_ATTN, Op.GPU_DECODE_ATTN, Op.ATTN_OUT_H2D, Op.CPU_DECODE_ATTN, Op.QKV_D2H)) {
                assertTrue(waitsFor(l, Op.POST, before), s + ": post waits for " + before);
            }
            assertFalse(waitsFor(l, Op.POST, Op.SWAP_OUT), s + ": host-bound KV streams out beside the layer");
            for (Node n : l.nodes()) assertEquals(0, n.subBatch() + n.offset(), s + ": one batch, one layer per step");
        }
    }

    @Test
    void pipelinedStepsFinishTheLastLayersPostAndSubBatchOnesCpuAttentionOneStepLate() {
        LayerLayout l = LayerLayout.of(Strategy.ASYMMETRIC_PIPELINE);
        Set<String> late = new HashSet<>();
        for (Node n : l.nodes()) if (n.offset() == -1) late.add(n.op() + "/" + n.subBatch());
        assertEquals(Set.of("POST/0", "POST/1", "QKV_D2H/1", "CPU_DECODE_ATTN/1", "ATTN_OUT_H2D/1"), late);
        // B0's CPU attention of this layer overlaps B1's pre of this layer: neither waits for the other
        assertFalse(waitsFor(l, Op.CPU_DECODE_ATTN, 0, Op.PRE, 1));
        assertFalse(waitsFor(l, Op.PRE, 1, Op.CPU_DECODE_ATTN, 0));
        // the host thread works in order: B1's CPU attention after launching stage A, stage B after it
        assertTrue(waitsFor(l, Op.LAUNCH, 1, Op.CPU_DECODE_ATTN, 1));
        assertTrue(waitsFor(l, Op.CPU_DECODE_ATTN, 0, Op.LAUNCH, 1));
    }

    /** Whether a node running {@code op} waits, within the step, for one running {@code on} (any sub-batch). */
    static boolean waitsFor(LayerLayout l, Op op, Op on) {
        for (int i = 0; i < l.nodes().size(); i++) {
            if (l.nodes().get(i).op() == op && reaches(l, i, on, -1)) return true;
        }
        return false;
    }

    /** Whether {@code op} of sub-batch {@code sub} waits, within the step, for {@code on} of {@code onSub}. */
    static boolean waitsFor(LayerLayout l, Op op, int sub, Op on, int onSub) {
        for (int i = 0; i < l.nodes().size(); i++) {
            Node n = l.nodes().get(i);
            if (n.op() == op && n.subBatch() == sub && reaches(l, i, on, onSub)) return true;
        }
        return false;
    }

    private static boolean reaches(LayerLayout l, int from, Op on, int onSub) {
        for (LayerLayout.Dep d : l.nodes().get(from).deps()) {
            if (d.delta() != 0) continue;
            Node n = l.nodes().get(d.node());
            if (n.op() == on && (onSub < 0 || n.subBatch() == onSub)) return true;
            if (reaches(l, d.node(), on, onSub)) return true;
        }
        return false;
    }
}
