package org.apexbench.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

/**
 * RunChecks is the oracle of every simulated scheduling test, so each of its checks is shown to fail on a record set
 * built to violate exactly it (and to pass on the same set without the violation).
 */
class RunChecksTest {

    // ---- requests ----

    private static RequestSpec spec(String id, int output) {
        return new RequestSpec(id, 1.0, new int[4], output, SamplingParams.GREEDY);
    }

    private static RequestRecord rec(String id, double... tokenTimes) {
        return new RequestRecord(id, 1.0, 4, 3, tokenTimes, 0, 0, null);
    }

    private static RunResult result(RequestRecord... r) {
        return new RunResult("e", "e", "sim", ScriptedSchedulerTest.B, List.of(r), List.of(), List.of(), 0, 0);
    }

    @Test
    void requestChecksPassOnAConsistentRunAndNameEachViolation() {
        List<RequestSpec> specs = List.of(spec("a", 3), spec("b", 3));
        assertEquals(List.of(), RunChecks.requests(specs, result(rec("a", 1.5, 2, 2), rec("b", 1.2, 1.3, 1.4))));
        assertOne(RunChecks.requests(specs, result(rec("a", 1.5, 2, 2))), "expected 2 request records, got 1");
        List<String> twice = RunChecks.requests(specs, result(rec("a", 1.5, 2, 2), rec("a", 1.5, 2, 2)));
        assertOne(twice, "request a recorded twice");
        assertOne(twice, "record 1 is a, expected b");
        assertOne(RunChecks.requests(specs, result(rec("b", 1.5, 2, 2), rec("a", 1.2, 1.3, 1.4))), "record 0 is b, expected a");
        assertOne(RunChecks.requests(specs, result(rec("a", 1.5, 2), rec("b", 1.2, 1.3, 1.4))), "request a produced 2 of 3");
        assertOne(RunChecks.requests(specs, result(rec("a", 0.5, 2, 2), rec("b", 1.2, 1.3, 1.4))), "request a token 0 at 0.5 precedes");
        assertOne(RunChecks.requests(specs, result(rec("a", 1.5, 2, 1.9), rec("b", 1.2, 1.3, 1.4))), "request a token 2 at 1.9 precedes");
    }

    // ---- subtasks ----

    private static SubtaskRecord st(int layer, int stage, Op op, double start, double end) {
        return new SubtaskRecord(7, layer, stage, op, op.resource(), 1, 0, 0, start, end, Double.NaN);
    }

    /** Two layers, one sub-batch, with GPU decode attention and CPU rows, every dependency met (times in ms). */
    private static List<SubtaskRecord> valid() {
        List<SubtaskRecord> l = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            double t = 10 * layer;
            l.add(st(layer, 0, Op.PRE, t, t + 2));
            l.add(st(layer, 0, Op.QKV_D2H, t + 2, t + 3));
            l.add(st(layer, 0, Op.GPU_DECODE_ATTN, t + 2, t + 4));
            l.add(st(layer, 0, Op.CPU_DECODE_ATTN, t + 3, t + 6));
            l.add(st(layer, 0, Op.ATTN_OUT_H2D, t + 6, t + 7));
            l.add(st(layer, 0, Op.POST, t + 7, t + 9));
        }
        l.add(st(-1, 0, Op.LM_HEAD, 19, 20));
        return l;
    }

    /** {@code valid()} with the subtask of (layer, op) replaced by one running [start, end), or removed when start is NaN. */
    private static List<SubtaskRecord> with(int layer, Op op, double start, double end) {
        List<SubtaskRecord> l = new ArrayList<>();
        for (SubtaskRecord s : valid()) {
            if (s.layer() == layer && s.op() == op) {
                if (!Double.isNaN(start)) l.add(st(layer, s.stage(), op, start, end));
            } else {
                l.add(s);
            }
        }
        return l;
    }

    @Test
    void dependencyChecksPassOnAValidLayerStack() {
        assertEquals(List.of(), RunChecks.dependencies(valid()));
        assertEquals(List.of(), RunChecks.exclusiveResources(valid()));
    }

    @Test
    void eachDependencyThatRunsEarlyIsAViolation() {
        assertOne(RunChecks.dependencies(with(1, Op.GPU_DECODE_ATTN, 11, 14)), "GPU_DECODE_ATTN", "starts before", "PRE");
        assertOne(RunChecks.dependencies(with(1, Op.QKV_D2H, 11.5, 13)), "QKV_D2H", "starts before", "PRE");
        assertOne(RunChecks.dependencies(with(1, Op.CPU_DECODE_ATTN, 12.5, 16)), "CPU_DECODE_ATTN", "starts before", "QKV_D2H");
        assertOne(RunChecks.dependencies(with(1, Op.ATTN_OUT_H2D, 15.5, 17)), "ATTN_OUT_H2D", "starts before", "CPU_DECODE_ATTN");
        assertOne(RunChecks.dependencies(with(0, Op.POST, 6.5, 9)), "POST", "starts before", "ATTN_OUT_H2D");
        assertOne(RunChecks.dependencies(with(0, Op.GPU_DECODE_ATTN, 2, 7.5)), "POST", "starts before", "GPU_DECODE_ATTN");
        assertOne(RunChecks.dependencies(with(1, Op.PRE, 8.5, 12)), "PRE", "starts before", "POST");
        List<SubtaskRecord> prefill = valid();
        prefill.add(st(0, 0, Op.PREFILL_ATTN, 4, 7.5));
        assertOne(RunChecks.dependencies(prefill), "POST", "starts before", "PREFILL_ATTN");
        prefill.set(prefill.size() - 1, st(0, 0, Op.PREFILL_ATTN, 1, 3));
        assertOne(RunChecks.dependencies(prefill), "PREFILL_ATTN", "starts before", "PRE");
    }

    /** The predecessor record missing altogether must not pass silently (it did before: RunChecks.before skipped nulls). */
    @Test
    void aMissingRequiredPredecessorIsAViolation() {
        double gone = Double.NaN;
        assertOne(RunChecks.dependencies(with(1, Op.QKV_D2H, gone, 0)), "CPU_DECODE_ATTN", "has no QKV_D2H");
        assertOne(RunChecks.dependencies(with(1, Op.CPU_DECODE_ATTN, gone, 0)), "ATTN_OUT_H2D", "has no CPU_DECODE_ATTN");
        assertOne(RunChecks.dependencies(with(1, Op.ATTN_OUT_H2D, gone, 0)), "POST", "has no ATTN_OUT_H2D");
        assertOne(RunChecks.dependencies(with(0, Op.POST, gone, 0)), "PRE", "has no POST");
        List<SubtaskRecord> noPre = with(1, Op.PRE, gone, 0);
        List<String> v = RunChecks.dependencies(noPre);
        for (Op op : List.of(Op.QKV_D2H, Op.GPU_DECODE_ATTN, Op.POST)) {
            assertTrue(v.stream().anyMatch(x -> x.contains("op=" + op) && x.contains("has no PRE")), op + " without PRE: " + v);
        }
        // GPU attention is optional: a sub-batch of CPU rows only has none
        assertEquals(List.of(), RunChecks.dependencies(with(1, Op.GPU_DECODE_ATTN, gone, 0)));
        // without CPU rows, POST needs no output copy
        List<SubtaskRecord> gpuOnly = new ArrayList<>(valid().stream()
                .filter(s -> s.op() != Op.QKV_D2H && s.op() != Op.CPU_DECODE_ATTN && s.op() != Op.ATTN_OUT_H2D).toList());
        assertEquals(List.of(), RunChecks.dependencies(gpuOnly));
    }

    @Test
    void aSubtaskRecordedTwiceIsAViolation() {
        List<SubtaskRecord> l = valid();
        l.add(st(1, 0, Op.POST, 17, 19));
        assertTrue(RunChecks.dependencies(l).stream().anyMatch(x -> x.contains("recorded twice")), RunChecks.dependencies(l).toString());
    }

    @Test
    void aResourceRunningTwoSubtasksAtOnceIsAViolation() {
        List<SubtaskRecord> l = valid();
        l.add(st(-1, 0, Op.SWAP_OUT, 2.5, 2.6));          // D2H, inside layer 0's q/k/v copy [2, 3)
        assertOne(RunChecks.exclusiveResources(l), "PCIE_D2H overlaps", "SWAP_OUT");
        List<SubtaskRecord> touching = valid();
        touching.add(st(-1, 0, Op.SWAP_OUT, 3, 4));        // starts exactly when the copy ends: fine
        assertEquals(List.of(), RunChecks.exclusiveResources(touching));
    }

    /** Overlap measured by hand: GPU [0,1) [1,2) [3,4), CPU [0.5,3.5) overlaps 1.5 + 0.5 s; CPU [5,6) none. */
    @Test
    void cpuGpuOverlapIsTheIntersectionWithTheMergedGpuBusyTime() {
        List<SubtaskRecord> l = List.of(st(0, 0, Op.PRE, 0, 1), st(0, 0, Op.POST, 1, 2), st(1, 0, Op.PRE, 3, 4),
                st(0, 0, Op.CPU_DECODE_ATTN, 0.5, 3.5), st(1, 0, Op.CPU_DECODE_ATTN, 5, 6));
        assertEquals(2.0, RunChecks.cpuGpuOverlapSec(l), 1e-12);
    }

    private static void assertOne(List<String> violations, String... fragments) {
        assertTrue(violations.stream().anyMatch(v -> java.util.Arrays.stream(fragments).allMatch(v::contains)),
                "expected a violation containing " + List.of(fragments) + ", got " + violations);
    }
}
