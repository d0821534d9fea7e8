package org.apexbench.engine.runtime;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Invariants every run must hold, as checks that return the violations found (empty = fine), for
 * tests and for the harness's self-check: every request exactly once with its target length and
 * non-decreasing token times; no resource runs two subtasks at once; per layer and sub-batch, the
 * data dependencies of docs/architecture.md#the-iteration-plan hold (pre before attention before post; q/k/v copy before CPU
 * attention before the output copy before post; layers in order), a required predecessor being present.
 */
public final class RunChecks {
    private static final double EPS = 1e-12;

    private RunChecks() { }

    public static List<String> requests(List<RequestSpec> specs, RunResult result) {
        List<String> v = new ArrayList<>();
        if (specs.size() != result.requests().size()) {
            v.add("expected " + specs.size() + " request records, got " + result.requests().size());
        }
        Set<String> seen = new HashSet<>();
        for (RequestRecord r : result.requests()) {
            if (!seen.add(r.id())) v.add("request " + r.id() + " recorded twice");
        }
        for (int i = 0; i < Math.min(specs.size(), result.requests().size()); i++) {
            RequestSpec s = specs.get(i);
            RequestRecord r = result.requests().get(i);
            if (!s.id().equals(r.id())) v.add("record " + i + " is " + r.id() + ", expected " + s.id());
            if (r.outputTokens() != s.outputTokens()) v.add("request " + s.id() + " produced " + r.outputTokens() + " of " + s.outputTokens());
            double[] t = r.tokenTimesSec();
            for (int k = 0; k < t.length; k++) {
                if (t[k] < r.arrivalSec() || (k > 0 && t[k] < t[k - 1])) {
                    v.add("request " + s.id() + " token " + k + " at " + t[k] + " precedes arrival or its previous token");
                    break;
                }
            }
        }
        return v;
    }

    /** No resource runs two subtasks at once. */
    public static List<String> exclusiveResources(List<SubtaskRecord> subtasks) {
        List<String> v = new ArrayList<>();
        Map<Resource, List<SubtaskRecord>> by = new EnumMap<>(Resource.class);
        for (SubtaskRecord s : subtasks) by.computeIfAbsent(s.resource(), k -> new ArrayList<>()).add(s);
        for (var e : by.entrySet()) {
            List<SubtaskRecord> l = e.getValue();
            l.sort(Comparator.comparingDouble(SubtaskRecord::startSec));
            for (int i = 1; i < l.size(); i++) {
                if (l.get(i).startSec() < l.get(i - 1).endSec() - EPS) {
                    v.add(e.getKey() + " overlaps: " + l.get(i - 1) + " and " + l.get(i));
                    if (v.size() > 5) return v;
                }
            }
        }
        return v;
    }

    /**
     * Data dependencies per (iteration, layer, sub-batch). A predecessor that must exist is required: attention and
     * the q/k/v copy need their PRE, CPU attention its q/k/v copy, the output copy its CPU attention, POST its PRE
     * and (when the sub-batch has CPU rows) the output copy, and PRE of layer l &gt; 0 the POST of layer l - 1. GPU
     * attention precedes POST when it exists (a sub-batch without prefills or GPU decodes has none). A subtask
     * recorded twice for one (iteration, layer, sub-batch) is a violation too.
     */
    public static List<String> dependencies(List<SubtaskRecord> subtasks) {
        List<String> v = new ArrayList<>();
        Map<String, SubtaskRecord> at = new HashMap<>();
        for (SubtaskRecord s : subtasks) {
            if (s.layer() >= 0 && at.put(key(s.iteration(), s.layer(), s.stage(), s.op()), s) != null) {
                v.add(s + " recorded twice");
                if (v.size() > 5) return v;
            }
        }
        for (SubtaskRecord s : subtasks) {
            if (s.layer() < 0) continue;
            long it = s.iteration();
            int l = s.layer(), st = s.stage();
            switch (s.op()) {
                case PREFILL_ATTN, GPU_DECODE_ATTN, QKV_D2H -> required(v, at.get(key(it, l, st, Op.PRE)), Op.PRE, s);
                case CPU_DECODE_ATTN -> required(v, at.get(key(it, l, st, Op.QKV_D2H)), Op.QKV_D2H, s);
                case ATTN_OUT_H2D -> required(v, at.get(key(it, l, st, Op.CPU_DECODE_ATTN)), Op.CPU_DECODE_ATTN, s);
                case POST -> {
                    required(v, at.get(key(it, l, st, Op.PRE)), Op.PRE, s);
                    if (at.containsKey(key(it, l, st, Op.CPU_DECODE_ATTN))) {
                        required(v, at.get(key(it, l, st, Op.ATTN_OUT_H2D)), Op.ATTN_OUT_H2D, s);
                    }
                    before(v, at.get(key(it, l, st, Op.PREFILL_ATTN)), s);
                    before(v, at.get(key(it, l, st, Op.GPU_DECODE_ATTN)), s);
                }
                case PRE -> { if (l > 0) required(v, at.get(key(it, l - 1, st, Op.POST)), Op.POST, s); }
                default -> { }
            }
            if (v.size() > 5) return v;
        }
        return v;
    }

    /** Seconds during which CPU attention ran while the GPU was busy (real overlap, not just concurrency of queues). */
    public static double cpuGpuOverlapSec(List<SubtaskRecord> subtasks) {
        List<double[]> gpu = new ArrayList<>();
        for (SubtaskRecord s : subtasks) if (s.resource() == Resource.GPU && s.endSec() > s.startSec()) gpu.add(new double[]{s.startSec(), s.endSec()});
        gpu.sort(Comparator.comparingDouble(a -> a[0]));
        List<double[]> merged = new ArrayList<>();
        for (double[] g : gpu) {
            if (!merged.isEmpty() && g[0] <= merged.getLast()[1]) merged.getLast()[1] = Math.max(merged.getLast()[1], g[1]);
            else merged.add(g.clone());
        }
        double[] starts = new double[merged.size()];
        for (int i = 0; i < starts.length; i++) starts[i] = merged.get(i)[0];
        double overlap = 0;
        for (SubtaskRecord s : subtasks) {
            if (s.resource() != Resource.CPU_ATTN) continue;
            int i = java.util.Arrays.binarySearch(starts, s.startSec());
            i = i < 0 ? Math.max(0, -i - 2) : i;
            for (; i < merged.size() && merged.get(i)[0] < s.endSec(); i++) {
                overlap += Math.max(0, Math.min(s.endSec(), merged.get(i)[1]) - Math.max(s.startSec(), merged.get(i)[0]));
            }
        }
        return overlap;
    }

    /** {@code first}, when recorded, ends before {@code then} starts. */
    private static void before(List<String> v, SubtaskRecord first, SubtaskRecord then) {
        if (first != null && then.startSec() < first.endSec() - EPS) v.add(then + " starts before " + first + " ends");
    }

    /** {@code first} (an {@code op}) is recorded and ends before {@code then} starts. */
    private static void required(List<String> v, SubtaskRecord first, Op op, SubtaskRecord then) {
        if (first == null) v.add(then + " has no " + op + " of its iteration, layer and sub-batch before it");
        else before(v, first, then);
    }

    private static String key(long it, int layer, int stage, Op op) { return it + "/" + layer + "/" + stage + "/" + op; }
}
